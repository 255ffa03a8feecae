/**
 * A real HTTP round trip through the AWS SDK's S3 client to s3rver on loopback: the collector
 * core writes an archive through S3ObjectStore and verify reads it back. (s3rver ignores
 * Object Lock and conditional writes; those are asserted on the request in the unit tests.)
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';

let server: S3rver;
let dir: string;
let client: S3Client;
let sim: RunningSimulator;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = (await server.run()) as { port: number };
  client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await client.send(new CreateBucketCommand({ Bucket: 'archive' }));
  sim = await startSimulator({ now: () => T0 + 30 * DAY, faults: { malformed: 0.01 } });
});
afterAll(async () => {
  await sim.close();
  client.destroy();
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('S3ObjectStore against s3rver', () => {
  it('collects, reruns and verifies an archive through the real S3 client', async () => {
    const store = new S3ObjectStore(client, { bucket: 'archive', prefix: 'intercom' });
    const first = await runCollector(sim, store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY, partMaxBytes: 50_000 });
    expect(first.windows).toBe(2);
    await runCollector(sim, store, { until: T0 + 3 * DAY, windowSeconds: DAY });
    const lines = await archivedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    const quarantined = await archivedLines(store, 'quarantine/');
    expect(lines.length + quarantined.length).toBe(sim.workspace.entriesBetween(T0, T0 + 3 * DAY - 1).length);
    const verified = await verifyArchive(store);
    expect(verified.problems).toEqual([]);
    expect(verified.objectsChecked).toBeGreaterThan(5);
  });
});
