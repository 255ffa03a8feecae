/** The collector's Intercom tokens: read from Secrets Manager once per container, checked, never logged. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../core/errors.ts';
import { checkToken } from '../adapters/intercom/IntercomClient.ts';
import type { WorkspaceConfig } from './collectorConfig.ts';

/** Reads a token stored as a plain string or as JSON (`token`, `access_token` or `INTERCOM_ACCESS_TOKEN`). */
export function tokenFromSecret(secretId: string, value: string | undefined): string {
  const text = value?.trim() ?? '';
  let token = text;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const found = json.token ?? json.access_token ?? json.INTERCOM_ACCESS_TOKEN;
      token = typeof found === 'string' ? found.trim() : '';
    } catch {
      throw new ConfigurationError(
        `secret ${secretId} looks like JSON but does not parse; store the token as a plain string or as {"token":"…"}`,
      );
    }
  }
  if (!token) {
    throw new ConfigurationError(
      `secret ${secretId} has no token yet: set it with aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '<Intercom access token>'`,
    );
  }
  return checkToken(token, `secret ${secretId}`);
}

/** Each workspace's token, fetched once per container. */
export class TokenCache {
  readonly #tokens = new Map<string, string>();

  constructor(private readonly secrets: SecretsManagerClient) {}

  async tokenFor(workspace: WorkspaceConfig): Promise<string> {
    const cached = this.#tokens.get(workspace.secretId);
    if (cached) return cached;
    let value: string | undefined;
    try {
      value = (await this.secrets.send(new GetSecretValueCommand({ SecretId: workspace.secretId }))).SecretString;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ResourceNotFoundException' || name === 'InvalidRequestException') {
        throw new ConfigurationError(
          `secret ${workspace.secretId} for workspace ${workspace.id} is missing or has no value yet (${name}); set the token with aws secretsmanager put-secret-value`,
        );
      }
      throw error;
    }
    const result = tokenFromSecret(workspace.secretId, value);
    this.#tokens.set(workspace.secretId, result);
    return result;
  }
}
