import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhookHandler } from '../../../lambdas/handlers/webhook.ts';
import { clientSecretFrom, parseWebhookEnv } from '../../../lambdas/handlers/webhookConfig.ts';
import { reconcileAll, withWebhookReconciliation } from '../../../lambdas/handlers/webhookReconciliation.ts';
import { parseRules } from '../../../lambdas/core/rules/ruleset.ts';
import { hubSignature } from '../../../lambdas/core/webhook/signature.ts';
import { recordReceived } from '../../../lambdas/core/webhook/received.ts';
import { MemoryObjectStore } from '../../helpers/MemoryObjectStore.ts';

const SECRET = 'lambda-client-secret';
const BODY = readFileSync(new URL('../../fixtures/intercom/webhook-activity-log.json', import.meta.url));
const RULES = parseRules(
  'version: 1\nrules:\n  - name: any-export\n    severity: high\n    when: [{ type_in_group: data_exports }]\n',
  'r.yaml',
);
const ENV = {
  ARCHIVE_BUCKET: 'archive-bucket',
  WEBHOOK_SECRET_ID: 'intercom-audit-archive/webhook-client-secret',
  WEBHOOK_APPS: '{"ws-hook":"ws-hook"}',
};

function event(method: string, body?: Buffer, headers: Record<string, string> = {}, base64 = false): LambdaFunctionURLEvent {
  return {
    requestContext: { http: { method } },
    headers,
    ...(body && { body: base64 ? body.toString('base64') : body.toString('utf8'), isBase64Encoded: base64 }),
  } as unknown as LambdaFunctionURLEvent;
}

function setup(secretString: string | null = SECRET) {
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves(secretString === null ? {} : { SecretString: secretString });
  const logs: string[] = [];
  const logger = new Logger({ serviceName: 'webhook', logLevel: 'SILENT' });
  for (const level of ['info', 'warn', 'error'] as const)
    vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logs.push(JSON.stringify(args)));
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'webhook' });
  const published: string[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    published.push(JSON.stringify(metrics.serializeMetrics()));
    return metrics;
  });
  const store = new MemoryObjectStore();
  const sent: unknown[] = [];
  const handler = createWebhookHandler({
    config: parseWebhookEnv(ENV),
    store,
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    alerts: { ruleSet: RULES, sinks: [{ channel: 'sns', publish: async (a) => void sent.push(...a) }] },
    logger,
    metrics,
    now: () => new Date('2026-03-01T12:00:05Z'),
  });
  return { handler, secrets, store, logs, published, sent };
}

afterEach(() => vi.restoreAllMocks());

describe('webhook Lambda (Function URL)', () => {
  it('answers HEAD with 200 without reading the secret', async () => {
    const { handler, secrets } = setup();
    expect(await handler(event('HEAD'))).toMatchObject({ statusCode: 200, body: '' });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('verifies the signature over the raw bytes, also of a base64-encoded body, and raises the alert', async () => {
    const { handler, store, sent, published, secrets } = setup();
    const r = await handler(event('POST', BODY, { 'X-Hub-Signature': hubSignature(BODY, SECRET) }, true));
    expect(r).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((r as { body: string }).body)).toMatchObject({ outcome: 'received' });
    expect(sent).toHaveLength(1);
    expect(store.keys('webhook/')).toEqual(['webhook/workspace=ws-hook/dt=2026-03-01/1772366400-910001.json']);
    expect(published.join()).toContain('WebhookAlertsSent');
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ENV.WEBHOOK_SECRET_ID });
    // Fetched once per container.
    await handler(event('POST', BODY, { 'x-hub-signature': hubSignature(BODY, SECRET) }));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('answers a forged request with 401, counts it, and logs no body or secret', async () => {
    const { handler, logs, published, store } = setup();
    const r = await handler(event('POST', BODY, { 'x-hub-signature': hubSignature(BODY, 'guess') }));
    expect(r).toMatchObject({ statusCode: 401 });
    expect(published.join()).toContain('WebhookRejected');
    expect(logs.join()).not.toMatch(/ops@example\.com|lambda-client-secret/);
    expect(store.objects.size).toBe(0);
  });

  it('answers 413 for a body over the limit', async () => {
    const { handler } = setup();
    const big = Buffer.alloc(300 * 1024, 0x20);
    expect(await handler(event('POST', big, { 'x-hub-signature': hubSignature(big, SECRET) }))).toMatchObject({ statusCode: 413 });
  });

  it('answers 500 (Intercom retries) when the secret has no value yet, naming what to set in the log', async () => {
    const { handler, logs, published } = setup(null);
    expect(await handler(event('POST', BODY, { 'x-hub-signature': hubSignature(BODY, SECRET) }))).toMatchObject({ statusCode: 500 });
    expect(logs.join()).toContain('put-secret-value');
    expect(published.join()).toContain('WebhookErrors');
  });

  it('reads the client secret stored plain or as JSON, and names the variable of a bad environment', () => {
    expect(clientSecretFrom('s', ' abc ')).toBe('abc');
    expect(clientSecretFrom('s', '{"client_secret":"xyz"}')).toBe('xyz');
    expect(() => parseWebhookEnv({ ...ENV, WEBHOOK_APPS: '{"../x":"ws"}' })).toThrow(/WEBHOOK_APPS/);
    expect(() => parseWebhookEnv({ ...ENV, WEBHOOK_APPS: 'nope' })).toThrow(/WEBHOOK_APPS.*JSON/);
  });
});

describe('reconciliation with the collector', () => {
  function deps(store: MemoryObjectStore) {
    const logger = new Logger({ serviceName: 'collector', logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'collector' });
    const published: string[] = [];
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      published.push(JSON.stringify(metrics.serializeMetrics()));
      return metrics;
    });
    return { d: { store, workspaceIds: ['ws-hook'], lookbackSeconds: 7 * 86_400, logger, metrics }, published };
  }

  it('runs after a scheduled collector run, not after an operator event, and publishes WebhookUnmatched', async () => {
    const { d, published } = deps(new MemoryObjectStore());
    const inner = vi.fn(async () => ({ workspaces: [] }));
    const handler = withWebhookReconciliation(inner, d);
    await handler({}, {} as Context);
    expect(published.join()).toContain('"WebhookUnmatched"');
    published.length = 0;
    await handler({ operation: 'rotate-key', new_key_id: 'k' }, {} as Context);
    expect(published).toEqual([]);
    expect(inner).toHaveBeenCalledTimes(2);
  });

  it('counts nothing for received ids the poll has not reached yet (no chain)', async () => {
    const store = new MemoryObjectStore();
    await recordReceived(store, {
      format: 'intercom-audit-archive/webhook-received/v1',
      workspace_id: 'ws-hook',
      id: '1',
      created_at: Math.floor(Date.now() / 1000) - 3600,
      activity_type: 'app_data_export',
      app_id: 'ws-hook',
      notification_id: null,
      received_at: new Date().toISOString(),
    });
    const { d } = deps(store);
    expect(await reconcileAll(d)).toBe(0);
  });
});
