import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectAttributesCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { LocalObjectStore } from '../../../../lambdas/adapters/local/LocalObjectStore.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { HOLD_FORMAT, listHolds, placeHold, releaseHold, selectObjects } from '../../../../lambdas/core/holds/holds.ts';
import type { ObjectStore } from '../../../../lambdas/core/ports.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { formatVerifyResult } from '../../../../cli/commands/verify.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';
import { fakeS3 } from '../../../helpers/fakeS3.ts';

let sim: RunningSimulator;
let tmp: string;
const UNTIL = T0 + 4 * DAY;
const day = (offset: number) => new Date((T0 + offset * DAY) * 1000).toISOString().slice(0, 10);
const LOCK = { mode: 'COMPLIANCE' as const, years: 7 };

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + DAY });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'holds-'));
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function localArchive(name: string) {
  const store = new LocalObjectStore(path.join(tmp, name));
  await runCollector(sim, store, { since: T0, until: UNTIL });
  return store;
}

async function keysUnder(store: ObjectStore, prefix: string) {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

async function heldKeys(store: ObjectStore) {
  const held: string[] = [];
  for (const root of ['activity_logs/', 'quarantine/', 'manifests/', 'signatures/']) {
    for (const key of await keysUnder(store, root)) if ((await store.objectLock!(key))?.legalHold) held.push(key);
  }
  return held.sort();
}

describe('placeHold() on a local archive', () => {
  it('holds every part of the period and the whole chain that proves them, recorded create-only under holds/', async () => {
    const store = await localArchive('period');
    const now = new Date('2026-03-01T12:00:00Z');
    const result = await placeHold(store, {
      selection: { kind: 'period', from: day(1), to: day(2) },
      reason: 'Matter 2026-17: subpoena',
      now,
    });
    const parts = (await keysUnder(store, 'activity_logs/')).filter((k) => k.includes(`/dt=${day(1)}/`) || k.includes(`/dt=${day(2)}/`));
    const manifests = await keysUnder(store, 'manifests/');
    expect(parts.length).toBeGreaterThan(0);
    expect(await heldKeys(store)).toEqual([...parts, ...manifests].sort());
    expect(result.objects).toBe(parts.length + manifests.length);
    // Parts of other days are not held.
    const outside = (await keysUnder(store, 'activity_logs/')).find((k) => k.includes(`/dt=${day(0)}/`))!;
    expect((await store.objectLock(outside))?.legalHold).toBeUndefined();

    expect(result.recordKey).toBe(`holds/${result.holdId}/place/period=${day(1)}..${day(2)}.json`);
    expect(result.holdId).toMatch(/^20260301T120000Z-[0-9a-f]{8}$/);
    const record = JSON.parse((await store.get(result.recordKey)).toString('utf8'));
    expect(record).toMatchObject({
      format: HOLD_FORMAT,
      action: 'place',
      hold_id: result.holdId,
      reason: 'Matter 2026-17: subpoena',
      at: now.toISOString(),
      objects: [...parts, ...manifests].sort(),
    });
    // The record is itself a locked, create-only object.
    expect((await store.objectLock(result.recordKey))?.mode).toBe('COMPLIANCE');

    // verify reports the held objects, and they stay otherwise unchanged.
    const verified = await verifyArchive(store, { lock: LOCK });
    expect(verified.problems).toEqual([]);
    expect(verified.heldObjects).toEqual([...parts, ...manifests].sort());
    expect(formatVerifyResult(verified)).toContain(`${parts.length + manifests.length} objects under legal hold`);
  });

  it('holds every object under the given prefixes', async () => {
    const store = await localArchive('prefix');
    await placeHold(store, { selection: { kind: 'prefix', prefixes: ['manifests/'] }, reason: 'keep the chain' });
    expect(await heldKeys(store)).toEqual(await keysUnder(store, 'manifests/'));
  });
});

describe('releaseHold()', () => {
  it('lifts the hold from what no other open hold selects, and records the release', async () => {
    const store = await localArchive('release');
    const wide = await placeHold(store, { selection: { kind: 'period', from: day(0), to: day(3) }, reason: 'Matter A' });
    const narrow = await placeHold(store, { selection: { kind: 'period', from: day(2), to: day(2) }, reason: 'Matter B' });
    const before = await heldKeys(store);
    const result = await releaseHold(store, { holdId: wide.holdId, reason: 'Matter A settled' });
    const stillHeld = await selectObjects(store, { kind: 'period', from: day(2), to: day(2) });
    expect(await heldKeys(store)).toEqual(stillHeld);
    expect(result.keptByOtherHolds).toBe(stillHeld.length);
    expect(result.released).toBe(before.length - stillHeld.length);
    expect(await store.head(`holds/${wide.holdId}/release.json`)).toBeDefined();
    expect((await listHolds(store, { readBodies: true })).map((h) => [h.holdId, h.released, h.reason])).toEqual(
      [
        [wide.holdId, true, 'Matter A'],
        [narrow.holdId, false, 'Matter B'],
      ].sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
    );
    await expect(releaseHold(store, { holdId: wide.holdId, reason: 'again' })).rejects.toThrow(/already released/);
  });
});

describe('hold input', () => {
  it.each([
    [{ kind: 'period', from: '2026-02-30x', to: '2026-03-01' }, 'why', /--from: '2026-02-30x' is not a day/],
    [{ kind: 'period', from: '2026-03-02', to: '2026-03-01' }, 'why', /--from 2026-03-02 is after --to 2026-03-01/],
    [{ kind: 'prefix', prefixes: [] }, 'why', /give --from and --to, or at least one --prefix/],
    [{ kind: 'prefix', prefixes: ['../etc/'] }, 'why', /--prefix: '\.\.\/etc\/' is not an archive key prefix/],
    [{ kind: 'prefix', prefixes: ['holds/'] }, 'why', /the hold records themselves/],
    [{ kind: 'prefix', prefixes: ['manifests/'] }, '   ', /--reason: say why/],
    [
      { kind: 'period', from: '2030-01-01', to: '2030-01-31' },
      'why',
      /nothing to hold: no archived object matches period=2030-01-01..2030-01-31/,
    ],
  ] as const)('refuses %j (reason %j) with a clear message', async (selection, reason, message) => {
    const store = new LocalObjectStore(path.join(tmp, 'input'));
    await expect(placeHold(store, { selection, reason })).rejects.toThrow(ConfigurationError);
    await expect(placeHold(store, { selection, reason })).rejects.toThrow(message);
  });

  it('refuses to release an unknown or malformed hold id', async () => {
    const store = new LocalObjectStore(path.join(tmp, 'input'));
    await expect(releaseHold(store, { holdId: 'nope', reason: 'x' })).rejects.toThrow(/--hold: 'nope' is not a hold id/);
    await expect(releaseHold(store, { holdId: '20260301T120000Z-00000000', reason: 'x' })).rejects.toThrow(
      /no hold 20260301T120000Z-00000000 is recorded/,
    );
  });
});

describe('holds through the S3 adapter (aws-sdk-client-mock)', () => {
  function s3WithHolds() {
    const s3 = fakeS3();
    const holds = new Map<string, 'ON' | 'OFF'>();
    s3.mock.on(PutObjectLegalHoldCommand).callsFake((input) => {
      if (!s3.objects.has(`${input.Bucket}/${input.Key}`))
        throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'NoSuchKey' });
      holds.set(input.Key, input.LegalHold.Status);
      return {};
    });
    s3.mock.on(GetObjectLegalHoldCommand).callsFake((input) => {
      const status = holds.get(input.Key);
      if (!status)
        throw new S3ServiceException({
          name: 'NoSuchObjectLockConfiguration',
          $fault: 'client',
          $metadata: { httpStatusCode: 404 },
          message: 'none',
        });
      return { LegalHold: { Status: status } };
    });
    s3.mock
      .on(GetObjectRetentionCommand)
      .resolves({ Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date('2033-03-01T00:00:00Z') } });
    s3.mock.on(GetObjectAttributesCommand).resolves({ LastModified: new Date('2026-03-01T00:00:00Z') });
    return { ...s3, holds };
  }

  it('puts a legal hold ON on each selected object, records the hold create-only, and verify sees the holds', async () => {
    const s3 = s3WithHolds();
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    await runCollector(sim, store, { since: T0, until: UNTIL });
    const result = await placeHold(store, { selection: { kind: 'period', from: day(1), to: day(1) }, reason: 'Subpoena 42' });

    const holdCalls = s3.mock.commandCalls(PutObjectLegalHoldCommand).map((c) => c.args[0].input);
    expect(holdCalls).toHaveLength(result.objects);
    for (const call of holdCalls) expect(call).toMatchObject({ Bucket: 'archive-bucket', LegalHold: { Status: 'ON' } });
    const held = holdCalls.map((c) => c.Key!).sort();
    expect(held.filter((k) => k.startsWith('activity_logs/')).every((k) => k.includes(`/dt=${day(1)}/`))).toBe(true);
    expect(held).toEqual(expect.arrayContaining(await keysUnder(store, 'manifests/')));
    const recordPut = s3.mock
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input)
      .find((p) => p.Key!.startsWith('holds/'))!;
    expect(recordPut).toMatchObject({ Key: result.recordKey, IfNoneMatch: '*' });
    // No retention header: a hold never changes retention.
    expect(recordPut).not.toHaveProperty('ObjectLockRetainUntilDate');

    const verified = await verifyArchive(store, { lock: LOCK });
    expect(verified.heldObjects).toEqual(held);

    await releaseHold(store, { holdId: result.holdId, reason: 'closed' });
    const offCalls = s3.mock
      .commandCalls(PutObjectLegalHoldCommand)
      .map((c) => c.args[0].input)
      .filter((c) => c.LegalHold!.Status === 'OFF');
    expect(offCalls.map((c) => c.Key).sort()).toEqual(held);
    expect((await verifyArchive(store, { lock: LOCK })).heldObjects).toBeUndefined();
    expect((await listHolds(store)).map((h) => h.released)).toEqual([true]);
  });

  it('lists holds from their keys alone when the body may not be read (the legal-hold role reads nothing)', async () => {
    const s3 = s3WithHolds();
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    await runCollector(sim, store, { since: T0, until: UNTIL });
    const { holdId } = await placeHold(store, { selection: { kind: 'prefix', prefixes: ['manifests/workspace='] }, reason: 'keep' });
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'Access Denied',
    });
    s3.mock.on(GetObjectLegalHoldCommand).rejects(denied);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    s3.mock.on(GetObjectCommand).rejects(denied);
    expect(await listHolds(store, { readBodies: true })).toEqual([
      { holdId, selection: { kind: 'prefix', prefixes: ['manifests/workspace='] }, released: false },
    ]);
  });
});
