import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ed25519Signer } from '../../../../lambdas/adapters/local/Ed25519Signer.ts';
import { SnsFeedPublisher } from '../../../../lambdas/adapters/aws/SnsFeedPublisher.ts';
import { S3ObjectStore } from '../../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { manifestKey } from '../../../../lambdas/core/archive/keys.ts';
import type { Manifest } from '../../../../lambdas/core/archive/manifest.ts';
import { type FeedMessage, announceManifest, encodeS3EventKey } from '../../../../lambdas/core/siem/feed.ts';
import type { StoredManifest } from '../../../../lambdas/core/archive/chain.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { createCollectorHandler } from '../../../../lambdas/handlers/collector.ts';
import { parseCollectorEnv } from '../../../../lambdas/handlers/collectorConfig.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { fakeS3 } from '../../../helpers/fakeS3.ts';
import { DAY, T0 } from '../../../helpers/collecting.ts';

let sim: RunningSimulator;
let keyDir: string;
const NOW = T0 + 3 * DAY;
beforeAll(async () => {
  sim = await startSimulator({ now: () => NOW });
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'feed-keys-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(keyDir, { recursive: true, force: true });
});

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:siem-feed';

function setup(snsFails = false) {
  const s3 = fakeS3();
  mockClient(SecretsManagerClient).on(GetSecretValueCommand).resolves({ SecretString: sim.token });
  const sns = mockClient(SNSClient);
  sns
    .on(PublishBatchCommand)
    .callsFake((input) =>
      snsFails
        ? { Failed: [{ Id: '0', Code: 'KMSAccessDenied', SenderFault: false }], Successful: [] }
        : { Successful: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({ Id: e.Id })) },
    );
  const logger = new Logger({ serviceName: 'test' });
  for (const level of ['info', 'warn', 'error'] as const) vi.spyOn(logger, level).mockImplementation(() => undefined);
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'collector' });
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  const config = parseCollectorEnv({
    ARCHIVE_BUCKET: 'archive-bucket',
    ARCHIVE_PREFIX: 'org/',
    AWS_REGION: 'eu-west-1',
    WORKSPACES: JSON.stringify([{ id: 'sim-acme', region: 'us', secretId: 'intercom/sim-acme', apiUrl: sim.url }]),
    BACKFILL_FROM: new Date(T0 * 1000).toISOString(),
    WINDOW_SECONDS: String(DAY),
    SIEM_FEED_TOPIC_ARN: TOPIC,
  });
  const { signer } = Ed25519Signer.forArchive(path.join(keyDir, `a-${Math.random()}`), keyDir);
  const handler = createCollectorHandler({
    config,
    s3: s3.client,
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    logger,
    metrics,
    signer,
    feed: new SnsFeedPublisher(new SNSClient({ region: 'eu-west-1' }), TOPIC),
    now: () => new Date(NOW * 1000),
  });
  return { handler, s3, sns };
}

const context = { getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
const bodies = (sns: ReturnType<typeof setup>['sns']) =>
  sns
    .commandCalls(PublishBatchCommand)
    .flatMap((c) => c.args[0].input.PublishBatchRequestEntries!.map((e) => JSON.parse(e.Message!) as { Records: any[] }));

describe('SIEM feed', () => {
  it('announces exactly the parts each signed window manifest lists, as S3 event notifications — a planted part is not announced', async () => {
    const { handler, s3, sns } = setup();
    // Someone who can put objects in the bucket, but has no signing key, plants a part.
    const planted = gzipSync('{"id":"planted"}\n');
    const plantedKey = `org/activity_logs/workspace=sim-acme/dt=${new Date(T0 * 1000).toISOString().slice(0, 10)}/20990101T000000Z-part-00001.jsonl.gz`;
    s3.objects.set(`archive-bucket/${plantedKey}`, { body: planted, checksum: createHash('sha256').update(planted).digest('base64') });

    await handler({}, context);
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket', prefix: 'org/' });
    const listed: { key: string; bytes: number; seq: number }[] = [];
    for (let seq = 1; s3.objects.has(`archive-bucket/org/${manifestKey('sim-acme', seq)}`); seq++) {
      const manifest = JSON.parse((await store.get(manifestKey('sim-acme', seq))).toString()) as Manifest;
      for (const part of manifest.parts) listed.push({ key: part.key, bytes: part.bytes, seq });
    }
    expect(listed.length).toBeGreaterThan(0);
    const records = bodies(sns).map((b) => {
      expect(b.Records).toHaveLength(1);
      return b.Records[0];
    });
    expect(records.map((r) => r.s3.object.key).sort()).toEqual(listed.map((p) => encodeS3EventKey(`org/${p.key}`)).sort());
    expect(records.map((r) => r.s3.object.key)).not.toContain(encodeS3EventKey(plantedKey));
    for (const r of records) {
      const part = listed.find((p) => encodeS3EventKey(`org/${p.key}`) === r.s3.object.key)!;
      const body = s3.objects.get(`archive-bucket/org/${part.key}`)!.body;
      expect(r).toMatchObject({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        awsRegion: 'eu-west-1',
        s3: { bucket: { name: 'archive-bucket', arn: 'arn:aws:s3:::archive-bucket' } },
      });
      expect(r.s3.object.size).toBe(part.bytes);
      expect(r.s3.object.eTag).toBe(createHash('md5').update(body).digest('hex'));
      expect(r.intercomAuditArchive.manifestSeq).toBe(part.seq);
      expect(decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '))).toBe(`org/${part.key}`);
    }
    expect(
      sns
        .commandCalls(PublishBatchCommand)
        .every((c) => c.args[0].input.TopicArn === TOPIC && c.args[0].input.PublishBatchRequestEntries!.length <= 10),
    ).toBe(true);
  });

  it('fails the run (the alarm fires) when SNS refuses a message, after the window is archived and signed', async () => {
    const { handler, s3 } = setup(true);
    await expect(handler({}, context)).rejects.toThrow(/SNS refused 1 of .* SIEM feed messages/);
    expect([...s3.objects.keys()].some((k) => k.includes('signatures/'))).toBe(true);
  });

  it('never announces quarantine parts, only the data parts a manifest lists', async () => {
    const store = new MemoryObjectStore();
    const part = (key: string) => ({ key, sha256: 'a'.repeat(64), bytes: 10, records: 1, min_created_at: T0, max_created_at: T0 });
    await store.putIfAbsent('activity_logs/workspace=w/dt=2025-03-03/20250303T000000Z-part-00001.jsonl.gz', Buffer.from('x'), 'x');
    const manifest = {
      key: 'manifests/workspace=w/000000000001.json',
      sha256: 'b'.repeat(64),
      manifest: {
        workspace_id: 'w',
        seq: 1,
        run: { written_at: '2025-03-04T00:00:00Z' },
        parts: [part('activity_logs/workspace=w/dt=2025-03-03/20250303T000000Z-part-00001.jsonl.gz')],
        quarantine: [part('quarantine/workspace=w/dt=2025-03-03/20250303T000000Z-part-00001.jsonl.gz')],
      },
    } as unknown as StoredManifest;
    const published: FeedMessage[] = [];
    const count = await announceManifest(
      store,
      manifest,
      { publish: async (m) => void published.push(...m) },
      { bucket: 'b', prefix: '', region: 'eu-west-1' },
    );
    expect(count).toBe(1);
    expect(published.map((m) => JSON.parse(m.body).Records[0].s3.object.key)).toEqual([
      'activity_logs/workspace%3Dw/dt%3D2025-03-03/20250303T000000Z-part-00001.jsonl.gz',
    ]);
  });

  it('URL-encodes keys the way S3 event notifications do', () => {
    expect(encodeS3EventKey('activity_logs/workspace=a b/dt=2026-01-01/x.jsonl.gz')).toBe(
      'activity_logs/workspace%3Da+b/dt%3D2026-01-01/x.jsonl.gz',
    );
  });
});
