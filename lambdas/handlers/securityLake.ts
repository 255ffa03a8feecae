/**
 * Security Lake export Lambda (optional, `securityLake` context): once a day, the previous UTC
 * day's chain-listed parts → OCSF Parquet (DuckDB, the same encoder as `export ocsf`) → each
 * custom source's location, written with the provider role Security Lake created. It reads the
 * archive and never writes into it. Run another day with the event `{"day": "2026-01-31"}`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { kmsVerifier } from '../adapters/aws/KmsSigner.ts';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore.ts';
import { S3OcsfDestination } from '../adapters/aws/S3OcsfDestination.ts';
import { DuckDbParquetEncoder } from '../adapters/local/DuckDbParquetEncoder.ts';
import { ConfigurationError } from '../core/errors.ts';
import { chainListedParts } from '../core/ocsf/chainListedParts.ts';
import { type ExportResult, type OcsfDestination, exportOcsf, sourceName } from '../core/ocsf/exportOcsf.ts';
import type { OcsfClassName } from '../core/ocsf/mapping.ts';
import type { SignatureVerifier } from '../core/ports.ts';
import { type SecurityLakeConfig, parseSecurityLakeEnv } from './securityLakeConfig.ts';

export interface SecurityLakeDeps {
  readonly config: SecurityLakeConfig;
  readonly archiveS3: S3Client;
  readonly verifier: () => Promise<SignatureVerifier>;
  readonly destination: OcsfDestination;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly tmpDir?: string;
}

/** The UTC day before `now`, `YYYY-MM-DD`. */
export function previousDay(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)).toISOString().slice(0, 10);
}

export function createSecurityLakeHandler(deps: SecurityLakeDeps) {
  const { config, logger } = deps;
  const store = new S3ObjectStore(deps.archiveS3, { bucket: config.ARCHIVE_BUCKET, prefix: config.ARCHIVE_PREFIX });
  let sources: Partial<Record<OcsfClassName, string>>;
  try {
    sources = JSON.parse(config.SECURITY_LAKE_SOURCES) as Partial<Record<OcsfClassName, string>>;
  } catch {
    throw new ConfigurationError('environment variable SECURITY_LAKE_SOURCES: must be JSON like {"authentication":"intercom_auth"}');
  }
  let verifier: SignatureVerifier | undefined;
  return async (event: { day?: string } | undefined): Promise<ExportResult & { day: string }> => {
    const day = event?.day ?? previousDay(deps.now?.() ?? new Date());
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day)))
      throw new ConfigurationError(`event.day: '${day}' is not a date like 2026-01-31`);
    verifier ??= await deps.verifier();
    const parts = await chainListedParts(store, { fromDay: day, toDay: day, verifier });
    const encoder = await DuckDbParquetEncoder.open({ tmpDir: deps.tmpDir ?? '/tmp' });
    try {
      const result = await exportOcsf(store, parts, {
        encoder,
        destination: deps.destination,
        layout: { region: config.SECURITY_LAKE_REGION, accountId: config.SECURITY_LAKE_ACCOUNT_ID, sources },
      });
      // Counts and keys only: never an entry body.
      logger.info('security lake export', {
        day,
        parts: result.partsRead,
        events: result.events,
        objects: result.objects.map((o) => ({ key: o.key, events: o.events })),
      });
      return { ...result, day };
    } finally {
      encoder.close();
    }
  };
}

/** Source name → provider role, from SECURITY_LAKE_PROVIDER_ROLE_ARNS (class → role) and the source names. */
export function providerRoles(config: SecurityLakeConfig): Map<string, string> {
  let byClass: Partial<Record<OcsfClassName, string>>;
  let sources: Partial<Record<OcsfClassName, string>>;
  try {
    byClass = JSON.parse(config.SECURITY_LAKE_PROVIDER_ROLE_ARNS) as Partial<Record<OcsfClassName, string>>;
    sources = JSON.parse(config.SECURITY_LAKE_SOURCES) as Partial<Record<OcsfClassName, string>>;
  } catch {
    throw new ConfigurationError(
      'environment variables SECURITY_LAKE_PROVIDER_ROLE_ARNS and SECURITY_LAKE_SOURCES: must be JSON objects keyed by OCSF class name',
    );
  }
  const roles = new Map<string, string>();
  for (const [cls, role] of Object.entries(byClass) as [OcsfClassName, string][])
    roles.set(sourceName({ region: config.SECURITY_LAKE_REGION, accountId: config.SECURITY_LAKE_ACCOUNT_ID, sources }, cls), role);
  return roles;
}

/**
 * The real adapters for a Lambda container, from its environment; `securityLakeEntry.ts` calls
 * this once, at start. Provider-role S3 clients are built on first use and kept.
 */
export function securityLakeDepsFromEnvironment(env: NodeJS.ProcessEnv): SecurityLakeDeps {
  const config = parseSecurityLakeEnv(env);
  const roles = providerRoles(config);
  // One client per provider role (Security Lake creates a role per custom source), built on first use.
  const clients = new Map<string, S3Client>();
  const clientFor = (source: string) => {
    const roleArn = roles.get(source) ?? config.SECURITY_LAKE_PROVIDER_ROLE_ARN;
    let client = clients.get(roleArn);
    if (!client) {
      client = new S3Client({
        region: config.SECURITY_LAKE_REGION,
        credentials: fromTemporaryCredentials({
          params: { RoleArn: roleArn, ExternalId: config.SECURITY_LAKE_EXTERNAL_ID, RoleSessionName: 'intercom-audit-archive' },
        }),
      });
      clients.set(roleArn, client);
    }
    return client;
  };
  const kms = new KMSClient({});
  return {
    config,
    archiveS3: new S3Client({}),
    verifier: () => kmsVerifier(kms, config.SIGNING_KEY_ID),
    destination: new S3OcsfDestination(clientFor, config.SECURITY_LAKE_BUCKET),
    // The service name comes from POWERTOOLS_SERVICE_NAME, which the stack sets.
    logger: new Logger(),
  };
}
