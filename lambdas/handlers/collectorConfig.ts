/** The collector Lambda's environment, read once and validated; errors name the variable. */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.ts';
import { environmentVariablePath, validate } from '../core/validation.ts';
import { WORKSPACE_ID } from '../core/archive/keys.ts';
import { COLLECT_DEFAULTS } from '../core/collect/settings.ts';
import type { CollectorEnvironment, EnvironmentSchema } from '../environment.ts';

const workspaceSchema = z.strictObject({
  id: z.string().regex(WORKSPACE_ID, 'an Intercom workspace id (letters, digits, _ or -)'),
  region: z.enum(['us', 'eu', 'au']),
  /** Secrets Manager secret (name or ARN) holding this workspace's access token. */
  secretId: z.string().min(1),
  /** Override of the API base URL (a proxy or the simulator). */
  apiUrl: z.string().url().optional(),
});

const seconds = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const collectorEnvSchema = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_PREFIX: z.string().default(''),
  WORKSPACES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: [{"id":"…","region":"us","secretId":"…"}]' });
        return z.NEVER;
      }
    })
    .pipe(z.array(workspaceSchema).min(1)),
  RETENTION_YEARS: z.coerce.number().int().min(1).max(100).default(7),
  OBJECT_LOCK_MODE: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
  /** Where a new archive starts, ISO date; default: one year back (all Intercom still holds). */
  BACKFILL_FROM: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}/, 'an ISO-8601 date like 2025-01-01')
    .optional(),
  WINDOW_SECONDS: seconds(COLLECT_DEFAULTS.windowSeconds, 60, 30 * 86_400),
  LOOKBACK_SECONDS: seconds(COLLECT_DEFAULTS.lookbackSeconds, 0, 30 * 86_400),
  SETTLE_LAG_SECONDS: seconds(COLLECT_DEFAULTS.settleLagSeconds, 0, 86_400),
  /** Stop taking new windows when less than this remains before the Lambda deadline. */
  DEADLINE_MARGIN_SECONDS: seconds(120, 10, 900),
  BUDGET_SHARE: z.coerce.number().gt(0).max(1).default(1),
  /** Alert rules bundled with the function (path relative to the handler); checked at start. */
  RULES_FILE: z.string().optional(),
  ALERTS_TOPIC_ARN: z.string().startsWith('arn:').optional(),
  ALERTS_BUS_NAME: z.string().min(1).optional(),
  ALERT_MAX_AGE_SECONDS: seconds(86_400, 60, 400 * 86_400),
  /** KMS asymmetric key (RSASSA-PSS SHA-256) that signs every manifest. */
  SIGNING_KEY_ID: z.string().min(1).optional(),
  /** SNS topic of the SIEM feed: one S3-event-shaped message per part a signed manifest lists. */
  SIEM_FEED_TOPIC_ARN: z.string().startsWith('arn:').optional(),
  /** Set by Lambda; the feed's messages carry it as awsRegion. */
  AWS_REGION: z.string().default('us-east-1'),
} satisfies EnvironmentSchema<CollectorEnvironment>);

export type CollectorConfig = z.infer<typeof collectorEnvSchema>;
export type WorkspaceConfig = z.infer<typeof workspaceSchema>;

export function parseCollectorEnv(env: NodeJS.ProcessEnv): CollectorConfig {
  const parsed = validate(collectorEnvSchema, env, environmentVariablePath);
  if (!parsed.success) throw new ConfigurationError(`collector configuration is invalid: ${parsed.problems.join('; ')}`);
  return parsed.data;
}
