/**
 * Deployment configuration, read from CDK context key `auditArchive` and validated with zod.
 * Every problem names the context key, e.g. `auditArchive.workspaces[0].region`.
 */
import { z } from 'zod';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import { WORKSPACE_ID } from '../lambdas/core/archive/keys.ts';
import { DEFAULT_SOURCE_NAMES, type OcsfClassName } from '../lambdas/core/ocsf/mapping.ts';
import { dottedPath, validate } from '../lambdas/core/validation.ts';

const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ocsfClass = z.enum(Object.keys(DEFAULT_SOURCE_NAMES) as [OcsfClassName, ...OcsfClassName[]]);

/** Amazon Security Lake custom sources the daily job writes to (one source per OCSF class). */
export const securityLakeSchema = z.strictObject({
  /** The Security Lake bucket of the region (aws-security-data-lake-<region>-…). */
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like eu-west-1'),
  /** The accountId=… partition: the account the custom sources are registered in. */
  accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  /** Custom source name per OCSF class (at most 20 characters); a class left out uses the default name. */
  sources: z
    .partialRecord(ocsfClass, z.string().regex(/^[A-Za-z0-9_-]{1,20}$/, 'a custom source name (1–20 letters, digits, _ or -)'))
    .default({}),
  /** The role Security Lake created for the custom source (AmazonSecurityLake-Provider-<source>-<region>), and its external id. */
  providerRoleArn: z.string().regex(roleArnPattern, 'an IAM role ARN'),
  /** Security Lake creates one provider role per custom source: the role of each class whose role is not providerRoleArn. */
  providerRoleArns: z.partialRecord(ocsfClass, z.string().regex(roleArnPattern, 'an IAM role ARN')).default({}),
  externalId: z.string().min(2).max(1224),
});

export type SecurityLakeContext = z.infer<typeof securityLakeSchema>;

const principalArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/,
    'an IAM role, user or account-root ARN (arn:aws:iam::123456789012:role/Name)',
  );

const roleArn = z.string().regex(roleArnPattern, 'an IAM role ARN (arn:aws:iam::123456789012:role/Name)');

export const deployConfigSchema = z.strictObject({
  /** Intercom workspaces to archive, each with its API region. */
  workspaces: z
    .array(
      z.strictObject({
        id: z.string().regex(WORKSPACE_ID, 'an Intercom workspace id (app id_code)'),
        region: z.enum(['us', 'eu', 'au']),
      }),
    )
    .min(1, 'list at least one workspace')
    .refine((list) => new Set(list.map((w) => w.id)).size === list.length, 'workspace ids must be unique'),
  /** EventBridge schedule expression for the collector. */
  schedule: z
    .string()
    .regex(
      /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/,
      "an EventBridge expression like 'rate(15 minutes)' or 'cron(0/15 * * * ? *)'",
    )
    .default('rate(15 minutes)'),
  /** Object Lock default retention, whole years. */
  retentionYears: z.number().int().min(1).max(100).default(7),
  /** COMPLIANCE (nobody can delete early) or GOVERNANCE (for trials only). */
  objectLockMode: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
  /** Where alarms are e-mailed; without it the SNS topic has no subscriber. */
  alarmEmail: z.string().email().optional(),
  /** IAM principals allowed to assume the read-only auditor role. Default: the account root (grant via IAM). */
  auditorPrincipals: z.array(principalArn).default([]),
  /** IAM principals allowed to assume the legal-hold role (place and release legal holds). Default: the account root (grant via IAM). */
  legalHoldPrincipals: z.array(principalArn).default([]),
  /**
   * Break-glass role that administers the KMS keys instead of the account root (it manages, never
   * signs or decrypts). The CloudFormation execution role stays a key administrator either way.
   */
  keyAdminRoleArn: roleArn.optional(),
  /**
   * The role CloudFormation deploys this stack with, the only principal allowed to change the
   * archive bucket's policy, lifecycle and versioning. Default: the CDK bootstrap's
   * cloudformation execution role. Set it when you deploy with `--role-arn` or a custom synthesizer.
   */
  deploymentRoleArn: roleArn.optional(),
  /** First day collected for a new archive (and the start of Athena's date projection). Default: one year back. */
  backfillFrom: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2025-01-01')
    .optional(),
  /** Move archive objects to a colder class Athena and verify still read without a restore. */
  transition: z
    .strictObject({ afterDays: z.number().int().min(30).max(3650), storageClass: z.enum(['STANDARD_IA', 'GLACIER_IR']) })
    .optional(),
  /** Athena per-query scan cutoff in GB. */
  athenaScanCutoffGb: z.number().min(1).max(10_000).default(100),
  /** Query results expire after this many days. */
  athenaResultsDays: z.number().int().min(1).max(3650).default(30),
  /** Alarm when no window was closed for this many schedule intervals. */
  staleAfterIntervals: z.number().int().min(1).max(96).default(4),
  /** Alert rules (YAML or JSON) bundled with the collector, validated at synth; null turns live alerts off. */
  rulesFile: z.string().min(1).nullable().default('rules/default-rules.yaml'),
  /** Live alerts only for entries younger than this many hours (a backfill raises no storm). */
  alertMaxAgeHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 400)
    .default(24),
  /** Language of the quarterly summary.html. */
  reportLang: z.enum(['en', 'ja']).default('en'),
  /** Lambda timeout in minutes (the collector stops taking windows 2 minutes before it). */
  collectorTimeoutMinutes: z.number().int().min(3).max(15).default(15),
  /** SIEM feed: after each signed manifest, an S3-event-shaped message per listed part to SNS → SQS. */
  siemFeed: z.boolean().default(false),
  /** Daily OCSF Parquet export into Amazon Security Lake custom sources. */
  securityLake: securityLakeSchema.optional(),
});

export type DeployConfig = z.infer<typeof deployConfigSchema>;

/** Validates the `auditArchive` context value; one error listing every problem. */
export function parseDeployConfig(value: unknown): DeployConfig {
  if (value === undefined) {
    throw new ConfigurationError(
      'CDK context auditArchive is missing: set it in cdk.json or pass -c auditArchive=\'{"workspaces":[{"id":"…","region":"us"}]}\'',
    );
  }
  const input = typeof value === 'string' ? safeJson(value) : value;
  const parsed = validate(deployConfigSchema, input, (path) => dottedPath(path, 'auditArchive'));
  if (!parsed.success) throw new ConfigurationError(`invalid deployment configuration:\n  ${parsed.problems.join('\n  ')}`);
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigurationError('CDK context auditArchive is not valid JSON');
  }
}

/** Schedule interval in seconds (for the staleness alarm); cron expressions count as 15 minutes. */
export function scheduleSeconds(schedule: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!m) return 900;
  const unit = m[2]!.startsWith('minute') ? 60 : m[2]!.startsWith('hour') ? 3600 : 86_400;
  return Number(m[1]) * unit;
}
