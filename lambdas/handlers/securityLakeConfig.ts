/** The Security Lake export job's environment, read once and validated; errors name the variable. */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.ts';
import { environmentVariablePath, validate } from '../core/validation.ts';
import type { EnvironmentSchema, SecurityLakeEnvironment } from '../environment.ts';

export const securityLakeEnvSchema = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_PREFIX: z.string().default(''),
  /** The KMS key that signs the manifests: the job checks each chain head with its public key. */
  SIGNING_KEY_ID: z.string().min(1),
  SECURITY_LAKE_BUCKET: z.string().min(3),
  SECURITY_LAKE_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like eu-west-1'),
  SECURITY_LAKE_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  /** JSON object: OCSF class name → custom source name. */
  SECURITY_LAKE_SOURCES: z.string().default('{}'),
  /** The role Security Lake created for the custom source (AmazonSecurityLake-Provider-…). */
  SECURITY_LAKE_PROVIDER_ROLE_ARN: z.string().startsWith('arn:'),
  /** JSON object: OCSF class name → provider role, for classes whose source has its own role. */
  SECURITY_LAKE_PROVIDER_ROLE_ARNS: z.string().default('{}'),
  SECURITY_LAKE_EXTERNAL_ID: z.string().min(1),
} satisfies EnvironmentSchema<SecurityLakeEnvironment>);

export type SecurityLakeConfig = z.infer<typeof securityLakeEnvSchema>;

export function parseSecurityLakeEnv(env: NodeJS.ProcessEnv): SecurityLakeConfig {
  const parsed = validate(securityLakeEnvSchema, env, environmentVariablePath);
  if (!parsed.success) throw new ConfigurationError(`Security Lake export configuration is invalid: ${parsed.problems.join('; ')}`);
  return parsed.data;
}
