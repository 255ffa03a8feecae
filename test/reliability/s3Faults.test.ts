/**
 * Crash matrix on the S3 adapter: injected failures at each put of a run — a put that fails,
 * one that times out after S3 stored it, a 409 conflict, and a 412 on an object that exists
 * with the same or a different checksum — then a rerun. Nothing lost, nothing twice.
 */
import { PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { IntegrityError } from '../../lambdas/core/errors.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';
import { S3_FAULTS, S3_FAULT_PUTS } from './cases.ts';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 10 * DAY, faults: { malformed: 0.01 } });
});
afterAll(async () => {
  await sim.close();
});

const settings = { windowSeconds: DAY / 2, partMaxBytes: 30_000 };
const error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });

/** Runs a collection where the n-th PutObject misbehaves, then a clean rerun. */
async function runWithFault(fault: (typeof S3_FAULTS)[number], nth: number) {
  const s3 = fakeS3();
  const store = new S3ObjectStore(s3.client, { bucket: 'b', sleep: async () => undefined });
  let puts = 0;
  const original = s3.objects;
  s3.mock.on(PutObjectCommand).callsFake((input) => {
    puts += 1;
    const key = `${input.Bucket}/${input.Key}`;
    if (puts === nth) {
      if (fault === 'put fails') throw error('InternalError', 500);
      if (fault === '409 conflict, then success') throw error('ConditionalRequestConflict', 409);
      // Stored, but the answer never came back.
      const body = Buffer.from(input.Body as Buffer);
      original.set(key, { body, checksum: input.ChecksumSHA256 as string });
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    }
    if (input.IfNoneMatch === '*' && original.has(key)) throw error('PreconditionFailed', 412);
    original.set(key, { body: Buffer.from(input.Body as Buffer), checksum: input.ChecksumSHA256 as string });
    return {};
  });
  const first = await runCollector(sim, store, { ...settings, since: T0, until: T0 + 3 * DAY }).then(
    () => 'completed',
    (e: unknown) => (e as Error).name,
  );
  // `since` equals the archive's origin, so it only matters when the genesis write itself failed.
  const second = await runCollector(sim, store, { ...settings, since: T0, until: T0 + 3 * DAY });
  return { store, first, second, puts };
}

describe('collect() through S3 with injected failures', () => {
  it.each(S3_FAULTS.flatMap((fault) => S3_FAULT_PUTS.map((nth) => [fault, nth] as const)))(
    'survives "%s" at put %i, then reruns to exactly once',
    async (fault, nth) => {
      const { store, first } = await runWithFault(fault, nth);
      if (fault === '409 conflict, then success') expect(first).toBe('completed'); // retried by the adapter
      const lines = await archivedLines(store);
      expect(duplicateIds(lines)).toEqual([]);
      const quarantined = await archivedLines(store, 'quarantine/');
      expect([...lines, ...quarantined].map((l) => String(l.id)).sort()).toEqual(
        sim.workspace
          .entriesBetween(T0, T0 + 3 * DAY - 1)
          .map((e) => e.id)
          .sort(),
      );
      expect((await verifyArchive(store)).problems).toEqual([]);
    },
  );

  it('treats a 412 on identical bytes as already written, and a 412 on different bytes as a loud integrity error', async () => {
    const s3 = fakeS3();
    const store = new S3ObjectStore(s3.client, { bucket: 'b' });
    const body = Buffer.from('same');
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(body).digest('hex');
    await store.putIfAbsent('manifests/workspace=w/000000000000.json', body, sha);
    await expect(store.putIfAbsent('manifests/workspace=w/000000000000.json', body, sha)).resolves.toMatchObject({ created: false });
    const other = Buffer.from('different');
    await expect(
      store.putIfAbsent('manifests/workspace=w/000000000000.json', other, createHash('sha256').update(other).digest('hex')),
    ).rejects.toBeInstanceOf(IntegrityError);
  });
});
