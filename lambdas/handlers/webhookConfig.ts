/** The webhook receiver Lambda's environment, read once and validated; errors name the variable. */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.ts';
import { environmentVariablePath, validate } from '../core/validation.ts';
import type { EnvironmentSchema, WebhookEnvironment } from '../environment.ts';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -');

export const webhookEnvSchema = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_PREFIX: z.string().default(''),
  /** Secrets Manager secret holding the Intercom app's client secret (plain, or JSON {"client_secret":"…"}). */
  WEBHOOK_SECRET_ID: z.string().min(1),
  /** Intercom app_id (the workspace's id_code) → archive workspace id, as JSON. */
  WEBHOOK_APPS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<app_id>":"<workspace id>"}' });
        return z.NEVER;
      }
    })
    .pipe(z.record(id, id).refine((r) => Object.keys(r).length > 0, 'name at least one app_id')),
  RULES_FILE: z.string().optional(),
  ALERTS_TOPIC_ARN: z.string().startsWith('arn:').optional(),
  ALERTS_BUS_NAME: z.string().min(1).optional(),
  ALERT_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(400 * 86_400)
    .default(86_400),
} satisfies EnvironmentSchema<WebhookEnvironment>);

export type WebhookConfig = z.infer<typeof webhookEnvSchema>;

export function parseWebhookEnv(env: NodeJS.ProcessEnv): WebhookConfig {
  const parsed = validate(webhookEnvSchema, env, environmentVariablePath);
  if (!parsed.success) throw new ConfigurationError(`webhook receiver configuration is invalid: ${parsed.problems.join('; ')}`);
  return parsed.data;
}

/** The client secret from a secret stored as a plain string or as JSON (`client_secret` or `secret`). */
export function clientSecretFrom(secretId: string, value: string | undefined): string {
  const text = value?.trim() ?? '';
  let secret = text;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const found = json.client_secret ?? json.secret;
      secret = typeof found === 'string' ? found.trim() : '';
    } catch {
      throw new ConfigurationError(`secret ${secretId} looks like JSON but does not parse; store the client secret as a plain string`);
    }
  }
  if (!secret)
    throw new ConfigurationError(
      `secret ${secretId} has no client secret yet: aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '<the Intercom app's client secret>'`,
    );
  return secret;
}
