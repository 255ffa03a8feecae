/**
 * Reporter Lambda: on the first day of each quarter, runs every canned query on Athena for the
 * previous quarter, writes the pack into the archive bucket under reports/quarter=YYYY-Qn/
 * (create-only, locked like the data) and notifies the SNS topic.
 */
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { AthenaClient } from '@aws-sdk/client-athena';
import { WORKSPACE_ID } from '../core/archive/keys.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { KMSClient } from '@aws-sdk/client-kms';
import { AthenaEngine } from '../adapters/aws/AthenaEngine.ts';
import { KmsSigner, kmsVerifier } from '../adapters/aws/KmsSigner.ts';
import type { ReportSigner } from '../core/reports/packSigning.ts';
import { COLLECTOR_VERSION } from '../core/version.ts';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore.ts';
import { ConfigurationError, describeError } from '../core/errors.ts';
import { environmentVariablePath, validate } from '../core/validation.ts';
import type { EnvironmentSchema, ReporterEnvironment } from '../environment.ts';
import { previousQuarter, quarterRange } from '../core/queries/catalog.ts';
import { loadQueries } from '../adapters/local/loadQueries.ts';
import { buildReportPack } from '../core/reports/buildReportPack.ts';
import { ObjectStoreReportSink } from '../core/reports/ObjectStoreReportSink.ts';

export const reporterEnvSchema = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_PREFIX: z.string().default(''),
  WORKSPACE_IDS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(WORKSPACE_ID, 'comma-separated Intercom workspace ids (letters, digits, _ or -)')).min(1)),
  ATHENA_WORKGROUP: z.string().min(1),
  ATHENA_DATABASE: z.string().min(1),
  TOPIC_ARN: z.string().startsWith('arn:'),
  REPORT_LANG: z.enum(['en', 'ja']).default('en'),
  QUERY_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(850).default(600),
  /** The KMS report-signing key (not the manifest key): packs get manifest.sig.json when set. */
  REPORT_SIGNING_KEY_ID: z.string().min(1).optional(),
  /** Recorded as the pack's generator host (Lambda sets it). */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  /** Where the canned .sql files are in the bundle. */
  QUERIES_DIR: z.string().optional(),
} satisfies EnvironmentSchema<ReporterEnvironment>);
export type ReporterConfig = z.infer<typeof reporterEnvSchema>;

export function parseReporterEnv(env: NodeJS.ProcessEnv): ReporterConfig {
  const parsed = validate(reporterEnvSchema, env, environmentVariablePath);
  if (!parsed.success) throw new ConfigurationError(`reporter configuration is invalid: ${parsed.problems.join('; ')}`);
  return parsed.data;
}

/** `{"quarter": "2026-Q1", "allowPartial": true}`; the schedule sends no quarter (the previous one). */
export const reporterEventSchema = z
  .object({ quarter: z.string().optional(), allowPartial: z.boolean().optional() })
  .passthrough()
  .optional()
  .nullable();
export type ReporterEvent = { quarter?: string; allowPartial?: boolean } | undefined | null;

export interface ReporterDeps {
  readonly config: ReporterConfig;
  readonly athena: AthenaClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly kms?: KMSClient;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createReporterHandler(deps: ReporterDeps) {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  // The report key's fingerprint is fetched once per container (kms:GetPublicKey), then reused.
  let reportSigner: Promise<ReportSigner> | undefined;
  const signerFor = (keyId: string, kms: KMSClient) =>
    (reportSigner ??= kmsVerifier(kms, keyId).then((v) => ({ signer: new KmsSigner(kms, keyId), fingerprint: v.fingerprint })));
  // Built once per container; each invocation only runs.
  const kms = deps.kms ?? new KMSClient({});
  const store = new S3ObjectStore(deps.s3, { bucket: config.ARCHIVE_BUCKET, prefix: config.ARCHIVE_PREFIX });
  const engine = new AthenaEngine(deps.athena, {
    workgroup: config.ATHENA_WORKGROUP,
    database: config.ATHENA_DATABASE,
    timeoutMs: config.QUERY_TIMEOUT_SECONDS * 1000,
    ...(deps.sleep && { sleep: deps.sleep }),
    now: () => now().getTime(),
  });
  const queries = loadQueries(config.QUERIES_DIR ?? path.join(import.meta.dirname, 'queries'));
  return async (input: ReporterEvent) => {
    const parsed = validate(reporterEventSchema, input, (path) => path.map(String).join('.') || '(event)');
    if (!parsed.success)
      throw new ConfigurationError(
        `reporter event is invalid: ${parsed.problems.join('; ')}; send {"quarter": "2026-Q1", "allowPartial": true} or nothing`,
      );
    const event = parsed.data;
    const quarter = event?.quarter ?? previousQuarter(now());
    quarterRange(quarter); // validates an explicit quarter
    const prefix = `reports/quarter=${quarter}/`;
    try {
      const result = await buildReportPack({
        quarter,
        queries,
        engine,
        sink: new ObjectStoreReportSink(store, prefix),
        archive: store,
        workspaceIds: config.WORKSPACE_IDS,
        readsIndex: true,
        lang: config.REPORT_LANG,
        now,
        ...(event?.allowPartial && { allowPartial: true }),
        ...(config.REPORT_SIGNING_KEY_ID && { reportSigner: await signerFor(config.REPORT_SIGNING_KEY_ID, kms) }),
        generator: {
          tool: 'intercom-audit-archive',
          version: COLLECTOR_VERSION,
          host: `aws-lambda:${config.AWS_LAMBDA_FUNCTION_NAME ?? 'reporter'}`,
          user: 'reporter role',
        },
        onCoverage: (statement, coverage) => logger.info('coverage', { quarter, statement, complete: coverage.complete }),
        onQuery: (name, rows) => logger.info('query finished', { query: name, rows }),
      });
      const location = `s3://${config.ARCHIVE_BUCKET}/${config.ARCHIVE_PREFIX}${prefix}`;
      await deps.sns.send(
        new PublishCommand({
          TopicArn: config.TOPIC_ARN,
          Subject: `Intercom audit report pack ${quarter} is ready`,
          Message:
            `${result.statement}\n\nThe report pack for ${quarter} is in ${location} (${result.files.length} files). Start with summary.html; manifest.json lists the SQL, parameters and SHA-256 of every file.` +
            (reportSigner
              ? ` Signed (manifest.sig.json) by the report-signing key with fingerprint ${(await reportSigner).fingerprint}.`
              : ''),
        }),
      );
      logger.info('report pack written', { quarter, location, files: result.files.length });
      return { quarter, location, files: result.files.map((f) => f.name) };
    } catch (error) {
      logger.error('report pack failed', { quarter, error: describeError(error) });
      await deps.sns
        .send(
          new PublishCommand({
            TopicArn: config.TOPIC_ARN,
            Subject: `Intercom audit report pack ${quarter} FAILED`,
            Message: `The report pack for ${quarter} could not be built: ${describeError(error)}`,
          }),
        )
        .catch(() => undefined);
      throw error;
    }
  };
}

/** The real adapters for a Lambda container, from its environment; `reporterEntry.ts` calls this once, at start. */
export function reporterDepsFromEnvironment(env: NodeJS.ProcessEnv): ReporterDeps {
  return {
    config: parseReporterEnv(env),
    athena: new AthenaClient({}),
    s3: new S3Client({}),
    sns: new SNSClient({}),
    kms: new KMSClient({}),
    // The service name comes from POWERTOOLS_SERVICE_NAME, which the stack sets.
    logger: new Logger(),
  };
}
