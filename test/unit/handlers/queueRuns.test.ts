/**
 * Issue 22 on AWS: each workspace's schedule queues `{"workspace":"<id>"}` in its own FIFO message
 * group; one invocation collects only that workspace, a failing workspace raises its own metric
 * (named by its id) without failing the message or touching the others, and a message naming no
 * workspace of the collector is returned for retry and the dead-letter queue.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { findHead } from '../../../lambdas/core/archive/chain.ts';
import { createCollectorHandler } from '../../../lambdas/handlers/collector.ts';
import { parseCollectorEnv } from '../../../lambdas/handlers/collectorConfig.ts';
import { queueRecords, workspaceOfMessage } from '../../../lambdas/handlers/collectorQueue.ts';
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

const sqsEvent = (...bodies: string[]) => ({
  Records: bodies.map((body, i) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs', attributes: { MessageGroupId: 'x' } })),
});

function setup() {
  const s3 = fakeS3();
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand, { SecretId: 'intercom/sim-acme' }).resolves({ SecretString: sim.token });
  secrets
    .on(GetSecretValueCommand, { SecretId: 'intercom/broken' })
    .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'collector' });
  const published: string[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    published.push(JSON.stringify(metrics.serializeMetrics()));
    return metrics;
  });
  const config = parseCollectorEnv({
    ARCHIVE_BUCKET: 'archive-bucket',
    WORKSPACES: JSON.stringify([
      { id: 'sim-acme', region: 'us', secretId: 'intercom/sim-acme', apiUrl: sim.url },
      { id: 'broken', region: 'eu', secretId: 'intercom/broken', apiUrl: sim.url },
    ]),
    BACKFILL_FROM: new Date(T0 * 1000).toISOString(),
    WINDOW_SECONDS: String(DAY),
  });
  const handler = createCollectorHandler({
    config,
    s3: s3.client,
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    logger,
    metrics,
    now: () => new Date(NOW * 1000),
  });
  return { handler, s3, published };
}

const context = { getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

describe('collector Lambda, one workspace per queued run', () => {
  it('collects only the workspace its message names, and names it in its metrics', async () => {
    const { handler, s3, published } = setup();
    const result = await handler(sqsEvent('{"workspace":"sim-acme"}'), context);
    expect(result.workspaces.map((w) => [w.workspaceId, w.ok])).toEqual([['sim-acme', true]]);
    expect(result.batchItemFailures).toEqual([]);
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    expect((await findHead(store, 'sim-acme'))?.manifest.checkpoint).toBe(NOW - 600);
    expect(await findHead(store, 'broken')).toBeUndefined();
    expect(published.join()).toContain('WorkspaceArchiveLagSeconds.sim-acme');
    expect(published.join()).toContain('WorkspaceWindowsClosed.sim-acme');
  });

  it('reports a failing workspace by its own metric without failing the message or delaying the others', async () => {
    const { handler, published } = setup();
    const result = await handler(sqsEvent('{"workspace":"broken"}'), context);
    expect(result.workspaces).toEqual([expect.objectContaining({ workspaceId: 'broken', ok: false })]);
    expect(result.batchItemFailures).toEqual([]);
    const emf = JSON.parse(published[0]!) as Record<string, unknown>;
    expect(emf['WorkspaceCollectFailures.broken']).toBe(1);
    // The next workspace's run is its own invocation, untouched by the failure.
    const next = await handler(sqsEvent('{"workspace":"sim-acme"}'), context);
    expect(next.workspaces[0]).toMatchObject({ workspaceId: 'sim-acme', ok: true });
  });

  it('returns a message that names no workspace of this collector for retry (then the dead-letter queue)', async () => {
    const { handler } = setup();
    const result = await handler(sqsEvent('{"workspace":"nope"}', 'not json'), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
    expect(result.workspaces).toEqual([]);
  });
});

describe('run messages', () => {
  it('are told apart from scheduled and operator events, and checked against the configured workspaces', () => {
    expect(queueRecords({})).toBeUndefined();
    expect(queueRecords({ operation: 'rotate-key' })).toBeUndefined();
    expect(queueRecords(sqsEvent('{}'))).toEqual([{ messageId: 'm0', body: '{}' }]);
    expect(workspaceOfMessage('{"workspace":"a"}', ['a', 'b'])).toBe('a');
    expect(() => workspaceOfMessage('{"workspace":"c\\u001b[31m"}', ['a'])).toThrow(/not one of this collector's \(a\)/);
    expect(() => workspaceOfMessage('{"workspace":"a","x":1}', ['a'])).toThrow(/is not \{"workspace":"<id>"\}/);
  });
});
