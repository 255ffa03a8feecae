/**
 * The bucket policy denies any object-creating put without If-None-Match and any put outside the
 * writer's prefixes; this shows the collector never makes one: every PutObject of a signed run
 * with live alerts carries `If-None-Match: *` and falls under a prefix the contract gives it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ed25519Signer } from '../../../lambdas/adapters/local/Ed25519Signer.ts';
import { writersOf } from '../../../lambdas/contract.ts';
import type { Alert } from '../../../lambdas/core/rules/evaluate.ts';
import { parseRules } from '../../../lambdas/core/rules/ruleset.ts';
import { createCollectorHandler } from '../../../lambdas/handlers/collector.ts';
import { parseCollectorEnv } from '../../../lambdas/handlers/collectorConfig.ts';
import { type RunningSimulator, startSimulator } from '../../../simulator/server.ts';
import { DAY, T0 } from '../../helpers/collecting.ts';
import { fakeS3 } from '../../helpers/fakeS3.ts';

let sim: RunningSimulator;
const NOW = T0 + 3 * DAY;
beforeAll(async () => {
  sim = await startSimulator({ now: () => NOW });
});
afterAll(async () => {
  await sim.close();
});

describe('collector puts', () => {
  it('carry If-None-Match: * on every PutObject, each under a prefix the contract gives the collector', async () => {
    const s3 = fakeS3();
    mockClient(SecretsManagerClient).on(GetSecretValueCommand).resolves({ SecretString: sim.token });
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'collector' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const published: Alert[] = [];
    const config = parseCollectorEnv({
      ARCHIVE_BUCKET: 'archive-bucket',
      WORKSPACES: JSON.stringify([{ id: 'sim-acme', region: 'us', secretId: 'intercom/sim-acme', apiUrl: sim.url }]),
      BACKFILL_FROM: new Date(T0 * 1000).toISOString(),
      WINDOW_SECONDS: String(DAY),
      ALERT_MAX_AGE_SECONDS: String(30 * DAY),
    });
    const { privateKey } = generateKeyPairSync('ed25519');
    const handler = createCollectorHandler({
      config,
      s3: s3.client,
      secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
      logger,
      metrics,
      now: () => new Date(NOW * 1000),
      signer: new Ed25519Signer(privateKey),
      alerts: {
        ruleSet: parseRules(
          'version: 1\nrules:\n  - { name: every-sign-in, severity: low, when: [ { type_in_group: sign_ins } ] }\n',
          'test.yaml',
        ),
        sinks: [{ channel: 'sns', publish: async (alerts) => void published.push(...alerts) }],
      },
    });
    const result = await handler({}, { getRemainingTimeInMillis: () => 900_000 } as unknown as Context);
    expect(result.workspaces[0]).toMatchObject({ ok: true });

    const puts = s3.mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    const roots = new Set(puts.map((p) => p.Key!.split('/')[0]));
    // The run wrote data, manifests, their part indexes, signatures, the day's roster and alert records: every kind the collector writes here.
    expect([...roots].sort()).toEqual(['activity_logs', 'alerts', 'index', 'manifests', 'rosters', 'signatures']);
    expect(published.length).toBeGreaterThan(0);
    for (const p of puts) {
      expect(p.IfNoneMatch, p.Key).toBe('*');
      expect(writersOf(p.Key!), p.Key).toContain('collector');
    }
  });
});
