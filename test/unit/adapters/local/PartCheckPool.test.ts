/**
 * Part checks on worker threads give the same verify result as checks in process — on a clean
 * archive and on tampered ones — and a duplicate id found across parts checked by different
 * workers is still found, naming the same later part.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartCheckPool } from '../../../../lambdas/adapters/local/PartCheckPool.ts';
import { manifestKey } from '../../../../lambdas/core/archive/keys.ts';
import { type Manifest, serializeManifest, sha256Hex } from '../../../../lambdas/core/archive/manifest.ts';
import type { PartChecker } from '../../../../lambdas/core/verify/partBody.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';

let sim: RunningSimulator;
const pristine = new MemoryObjectStore();
const pools: PartCheckPool[] = [];
const pool = (workers: number, transfer = false) => {
  const p = new PartCheckPool({ workers, transfer });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  const until = T0 + 3 * DAY;
  sim = await startSimulator({ faults: { malformed: 0.01 }, now: () => until + 600 });
  await runCollector(sim, pristine, { since: T0, until, windowSeconds: DAY / 2 });
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await sim.close();
});

function copy(): MemoryObjectStore {
  const store = new MemoryObjectStore();
  for (const [k, v] of pristine.objects) store.objects.set(k, Buffer.from(v));
  return store;
}
const ws = () => sim.workspace.workspaceId;
const manifestAt = (store: MemoryObjectStore, seq: number) => JSON.parse(store.objects.get(manifestKey(ws(), seq))!.toString()) as Manifest;
function rechain(store: MemoryObjectStore, from: number) {
  for (let s = from; store.objects.has(manifestKey(ws(), s)); s++) {
    const m = manifestAt(store, s);
    if (s > 0) m.prev_sha256 = sha256Hex(store.objects.get(manifestKey(ws(), s - 1))!);
    store.tamper.set(manifestKey(ws(), s), serializeManifest(m));
  }
}
const firstSeqWithParts = (store: MemoryObjectStore) => {
  for (let s = 1; ; s++) if (manifestAt(store, s).parts.length > 0) return s;
};

/** A forger copies a part under a new name, lists it in a re-chained manifest; returns the copy's key. */
function duplicatePart(store: MemoryObjectStore): { original: string; copy: string } {
  const seq = firstSeqWithParts(store);
  const m = manifestAt(store, seq);
  const original = m.parts[0]!;
  const key = original.key.replace(/-part-\d+/, '-part-00099');
  store.tamper.set(key, store.objects.get(original.key)!);
  m.parts.push({ ...original, key });
  store.tamper.set(manifestKey(ws(), seq), serializeManifest(m));
  rechain(store, seq + 1);
  return { original: original.key, copy: key };
}

const tampers: [string, (store: MemoryObjectStore) => void][] = [
  ['nothing (a clean archive)', () => undefined],
  ['a part copied under a new name (duplicate ids)', (store) => void duplicatePart(store)],
  [
    'an altered byte',
    (store) => {
      const key = manifestAt(store, firstSeqWithParts(store)).parts[0]!.key;
      const body = Buffer.from(store.objects.get(key)!);
      body[body.length - 10] = body[body.length - 10]! ^ 0xff;
      store.tamper.set(key, body);
    },
  ],
  [
    'a part that is not gzip, with a matching (re-chained) manifest',
    (store) => {
      const seq = firstSeqWithParts(store);
      const m = manifestAt(store, seq);
      const junk = Buffer.from('not gzip at all\n');
      store.tamper.set(m.parts[0]!.key, junk);
      m.parts[0] = { ...m.parts[0]!, sha256: sha256Hex(junk), bytes: junk.length };
      store.tamper.set(manifestKey(ws(), seq), serializeManifest(m));
      rechain(store, seq + 1);
    },
  ],
  [
    'a part holding a line outside its window and a line that is not JSON (re-chained)',
    (store) => {
      const seq = firstSeqWithParts(store);
      const m = manifestAt(store, seq);
      const body = gzipSync('{"id":"1","workspace_id":"w","created_at":1,"x":1}\n{"id":"2", nope\n');
      store.tamper.set(m.parts[0]!.key, body);
      m.parts[0] = { ...m.parts[0]!, sha256: sha256Hex(body), bytes: body.length, records: 2 };
      store.tamper.set(manifestKey(ws(), seq), serializeManifest(m));
      rechain(store, seq + 1);
    },
  ],
];

describe('PartCheckPool', () => {
  it.each(tampers)('gives the same verify result as checking in process, byte for byte: %s', async (name, tamper) => {
    const store = copy();
    tamper(store);
    const here = await verifyArchive(store, { concurrency: 4 });
    expect(here.ok).toBe(name.startsWith('nothing'));
    expect(here.workspaces[0]!.quarantined).toBeGreaterThan(0);
    const workers = pool(2);
    const there = await verifyArchive(store, { concurrency: 4, checkPart: workers.check });
    expect(JSON.stringify(there)).toBe(JSON.stringify(here));
    expect(workers.checkedPerWorker().reduce((a, b) => a + b, 0)).toBe(here.objectsChecked);
    expect(workers.checkedPerWorker().every((n) => n > 0)).toBe(true);
  });

  it('finds a duplicate across two parts checked by different workers and names the later part', async () => {
    const store = copy();
    const { original, copy: later } = duplicatePart(store);
    const a = pool(1);
    const b = pool(1);
    // The copy goes to one worker, every other part (the original among them) to another.
    const routed: PartChecker = (job, body) => (job.key === later ? b.check(job, body) : a.check(job, body));
    const result = await verifyArchive(store, { concurrency: 8, checkPart: routed });
    expect(b.checkedPerWorker()).toEqual([1]);
    expect(a.checkedPerWorker()[0]).toBe(result.objectsChecked - 1);
    const duplicates = result.problems.filter((p) => p.code === 'duplicate-id');
    expect(duplicates.length).toBe(manifestAt(pristine, firstSeqWithParts(pristine)).parts[0]!.records);
    for (const p of duplicates) {
      expect(p.key).toBe(later);
      expect(p.message).toMatch(new RegExp(`^entry \\S+ is archived twice: in ${original.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and in `));
    }
    expect(result.problems).toEqual((await verifyArchive(store, { concurrency: 8 })).problems);
  });

  it('moves the bytes only when asked to (a store that hands over fresh bytes), and gives the same result either way', async () => {
    const store = copy();
    duplicatePart(store);
    const sizes = () => [...store.objects.values()].map((b) => b.length);
    const before = sizes();
    const copying = await verifyArchive(store, { checkPart: pool(2).check });
    // The in-memory store keeps what it returns: copied, its bytes are all still there.
    expect(sizes()).toEqual(before);
    const handedOver: Buffer[] = [];
    const fresh = Object.assign(Object.create(store) as MemoryObjectStore, {
      get: async (key: string) => {
        const body = Buffer.from(await store.get(key));
        if (key.startsWith('activity_logs/') || key.startsWith('quarantine/')) handedOver.push(body);
        return body;
      },
    });
    const moving = await verifyArchive(fresh, { checkPart: pool(2, true).check });
    expect(JSON.stringify(moving)).toBe(JSON.stringify(copying));
    expect(sizes()).toEqual(before);
    // Moved: the bytes it was handed are gone from this thread.
    expect(handedOver.length).toBe(moving.objectsChecked);
    expect(handedOver.filter((b) => b.length === 0).length).toBeGreaterThan(0);
  });

  it('fails a check whose worker stops, naming the part — never an empty outcome', async () => {
    const workers = pool(1);
    const key = manifestAt(pristine, firstSeqWithParts(pristine)).parts[0]!.key;
    const job = { key, sha256: 'x', bytes: 1, records: 1, seq: 1, from: 0, to: 1, fromIso: '', toIso: '', quarantine: false };
    const failed = expect(workers.check(job, Buffer.from(pristine.objects.get(key)!))).rejects.toThrow(
      `${key}: a part-check worker stopped`,
    );
    await workers.close();
    await failed;
  });

  it('fails the parts still waiting for a worker when it is closed', async () => {
    const workers = pool(1);
    const key = manifestAt(pristine, firstSeqWithParts(pristine)).parts[0]!.key;
    const body = pristine.objects.get(key)!;
    const job = { key, sha256: 'x', bytes: 1, records: 1, seq: 1, from: 0, to: 1, fromIso: '', toIso: '', quarantine: false };
    // Four go to the worker at once; the rest wait.
    const settled = Promise.allSettled(Array.from({ length: 6 }, () => workers.check(job, Buffer.from(body))));
    await workers.close();
    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(Array(6).fill('rejected'));
    expect(String((outcomes[5] as PromiseRejectedResult).reason)).toContain('closed before this part was checked');
  });

  it('starts again after close, and leaves the counts of the last run readable', async () => {
    const store = copy();
    const workers = pool(1);
    const first = await verifyArchive(store, { checkPart: workers.check });
    await workers.close();
    expect(workers.checkedPerWorker()).toEqual([first.objectsChecked]);
    const again = await verifyArchive(store, { checkPart: workers.check });
    expect(again.ok).toBe(first.ok);
    expect(workers.checkedPerWorker()).toEqual([first.objectsChecked]);
  });
});
