/**
 * The contract between the stack and the handlers: the environment each function reads (names
 * and the form of each value), the metric names the alarms watch, the archive prefixes each
 * function reads. The stack builds `environment` with `satisfies` against these types; each
 * handler's zod schema covers exactly these names (`satisfies EnvironmentSchema<…>`), so a name
 * cannot be renamed on one side only.
 */
import type { ArchivePrefix } from './contract.ts';

/** Every Lambda value is a string; these name the form the handler parses. */
type Integer = `${number}`;
type Json = string;
type Arn = string;

/** What the stack sets on every function for Powertools and Node.js (read by the libraries, not by our schemas). */
export interface RuntimeEnvironment {
  readonly POWERTOOLS_SERVICE_NAME: string;
  readonly POWERTOOLS_METRICS_NAMESPACE?: string;
  readonly NODE_OPTIONS: '--enable-source-maps';
}

export interface CollectorEnvironment {
  readonly ARCHIVE_BUCKET: string;
  readonly ARCHIVE_PREFIX?: string;
  /** `[{"id":"…","region":"us","secretId":"…"}]` */
  readonly WORKSPACES: Json;
  readonly RETENTION_YEARS: Integer;
  readonly OBJECT_LOCK_MODE: 'COMPLIANCE' | 'GOVERNANCE';
  readonly BACKFILL_FROM?: string;
  readonly WINDOW_SECONDS?: Integer;
  readonly LOOKBACK_SECONDS?: Integer;
  readonly SETTLE_LAG_SECONDS?: Integer;
  readonly DEADLINE_MARGIN_SECONDS: Integer;
  readonly BUDGET_SHARE?: `${number}`;
  readonly RULES_FILE?: string;
  readonly ALERTS_TOPIC_ARN: Arn;
  readonly ALERTS_BUS_NAME: string;
  readonly ALERT_MAX_AGE_SECONDS: Integer;
  /** Key ARN, or alias ARN when the key is in the archive account. */
  readonly SIGNING_KEY_ID: string;
  readonly SIEM_FEED_TOPIC_ARN?: Arn;
  /** Set by Lambda itself. */
  readonly AWS_REGION?: string;
}

export interface ReporterEnvironment {
  readonly ARCHIVE_BUCKET: string;
  readonly ARCHIVE_PREFIX?: string;
  /** Comma-separated workspace ids. */
  readonly WORKSPACE_IDS: string;
  readonly ATHENA_WORKGROUP: string;
  readonly ATHENA_DATABASE: string;
  readonly TOPIC_ARN: Arn;
  readonly REPORT_LANG: 'en' | 'ja';
  readonly QUERY_TIMEOUT_SECONDS?: Integer;
  readonly REPORT_SIGNING_KEY_ID: string;
  /** Set by Lambda itself. */
  readonly AWS_LAMBDA_FUNCTION_NAME?: string;
  readonly QUERIES_DIR?: string;
}

export interface SecurityLakeEnvironment {
  readonly ARCHIVE_BUCKET: string;
  readonly ARCHIVE_PREFIX?: string;
  readonly SIGNING_KEY_ID: string;
  readonly SECURITY_LAKE_BUCKET: string;
  readonly SECURITY_LAKE_REGION: string;
  readonly SECURITY_LAKE_ACCOUNT_ID: string;
  /** OCSF class name → custom source name. */
  readonly SECURITY_LAKE_SOURCES: Json;
  readonly SECURITY_LAKE_PROVIDER_ROLE_ARN: Arn;
  /** OCSF class name → provider role ARN. */
  readonly SECURITY_LAKE_PROVIDER_ROLE_ARNS: Json;
  readonly SECURITY_LAKE_EXTERNAL_ID: string;
}

/** A zod shape with exactly the names of an environment (checked with `satisfies`). */
export type EnvironmentSchema<Env, Schema = unknown> = { readonly [K in keyof Required<Env>]: Schema };

/** The collector's metrics the alarms read (namespace METRICS_NAMESPACE, dimension service). */
export const COLLECTOR_METRICS = {
  windowsClosed: 'WindowsClosed',
  entriesQuarantined: 'EntriesQuarantined',
} as const;

/** The archive prefixes each reading function may get objects from (writers are in contract.ts). */
export const PREFIXES_READ_BY = {
  reporter: ['activity_logs/', 'quarantine/', 'manifests/', 'index/', 'rosters/', 'reports/'],
  securityLakeExport: ['activity_logs/', 'manifests/', 'signatures/'],
} as const satisfies Record<string, readonly ArchivePrefix[]>;
