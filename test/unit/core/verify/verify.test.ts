import { gzipSync } from 'node:zlib';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { manifestKey } from '../../../../lambdas/core/archive/keys.ts';
import { type Manifest, serializeManifest, sha256Hex } from '../../../../lambdas/core/archive/manifest.ts';
import { verifyArchive, type ProblemCode } from '../../../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';
import { TAMPER_CASES } from '../../../reliability/cases.ts';

let sim: RunningSimulator;
const pristine = new MemoryObjectStore();
const until = T0 + DAY + 12 * 3600;

beforeAll(async () => {
  let now = until + 600;
  sim = await startSimulator({ faults: { lateShare: 0.2, lateDelaySeconds: 1800, malformed: 0.01 }, now: () => now });
  await runCollector(sim, pristine, { since: T0, until, windowSeconds: DAY / 2 });
  now += 4 * 3600;
  sim.setNow(() => now);
  await runCollector(sim, pristine, { until: until + 3600, windowSeconds: DAY / 2 }); // late manifest
  await runCollector(sim, pristine, { until: until + 3601, windowSeconds: DAY / 2 }); // an empty window
});
afterAll(async () => {
  await sim.close();
});

function copy(): MemoryObjectStore {
  const store = new MemoryObjectStore();
  for (const [k, v] of pristine.objects) store.objects.set(k, Buffer.from(v));
  return store;
}
const manifestAt = (store: MemoryObjectStore, seq: number) =>
  JSON.parse(store.objects.get(manifestKey('sim-acme', seq))!.toString()) as Manifest;
const writeManifest = (store: MemoryObjectStore, m: Manifest) => store.tamper.set(manifestKey('sim-acme', m.seq), serializeManifest(m));
const headSeq = (store: MemoryObjectStore) => store.keys('manifests/').length - 1;
const firstPart = (store: MemoryObjectStore) =>
  store.keys('activity_logs/').find((k) => (manifestAt(store, 1).parts.map((p) => p.key) as string[]).includes(k))!;

/** Rewrites manifests from `seq` on so every prev_sha256 matches again (a careful forger). */
function rechain(store: MemoryObjectStore, seq: number) {
  for (let s = seq; s <= headSeq(store); s++) {
    const m = manifestAt(store, s);
    if (s > 0) m.prev_sha256 = sha256Hex(store.objects.get(manifestKey('sim-acme', s - 1))!);
    writeManifest(store, m);
  }
}

async function problems(store: MemoryObjectStore) {
  const result = await verifyArchive(store);
  return result.problems;
}

describe('verifyArchive()', () => {
  it('passes an intact archive with empty windows, late manifests and quarantine', async () => {
    const result = await verifyArchive(pristine);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    const ws = result.workspaces[0]!;
    expect(ws.lateManifests).toBe(1);
    expect(ws.quarantined).toBeGreaterThan(0);
    expect(ws.checkpoint).toBe(until + 3601);
    const manifests = pristine.keys('manifests/').map((k) => JSON.parse(pristine.objects.get(k)!.toString()) as Manifest);
    expect(manifests.some((m) => m.kind === 'window' && m.records === 0)).toBe(true);
  });

  const cases: [string, ProblemCode, RegExp, (store: MemoryObjectStore) => string][] = [
    [
      'an altered byte',
      'part-altered',
      /is altered \(same size, different bytes\)/,
      (store) => {
        const key = firstPart(store);
        const body = Buffer.from(store.objects.get(key)!);
        body[body.length - 10] = body[body.length - 10]! ^ 0xff;
        store.tamper.set(key, body);
        return key;
      },
    ],
    [
      'a truncated object',
      'part-altered',
      /is truncated to \d+ of \d+ bytes/,
      (store) => {
        const key = firstPart(store);
        store.tamper.set(key, store.objects.get(key)!.subarray(0, 100));
        return key;
      },
    ],
    [
      'a deleted object',
      'part-missing',
      /is listed by manifest manifests\/workspace=sim-acme\/000000000001\.json but does not exist/,
      (store) => {
        const key = firstPart(store);
        store.tamper.delete(key);
        return key;
      },
    ],
    [
      'a deleted manifest',
      'manifest-missing',
      /is missing: the chain of workspace sim-acme jumps from 1/,
      (store) => {
        const key = manifestKey('sim-acme', 2);
        store.tamper.delete(key);
        return key;
      },
    ],
    [
      'a forged manifest',
      'chain-broken',
      /names previous hash .* but manifest 2 hashes to/,
      (store) => {
        const m = manifestAt(store, 2);
        m.records += 1;
        writeManifest(store, m);
        return manifestKey('sim-acme', 3);
      },
    ],
    [
      'reordered manifests',
      'manifest-invalid',
      /claims to be seq 3 of workspace sim-acme \(moved or reordered\)/,
      (store) => {
        const a = store.objects.get(manifestKey('sim-acme', 2))!;
        const b = store.objects.get(manifestKey('sim-acme', 3))!;
        store.tamper.set(manifestKey('sim-acme', 2), b);
        store.tamper.set(manifestKey('sim-acme', 3), a);
        return manifestKey('sim-acme', 2);
      },
    ],
    [
      'a stray object',
      'stray-object',
      /is not listed by any manifest/,
      (store) => {
        const key = 'activity_logs/workspace=sim-acme/dt=2025-03-03/extra.jsonl.gz';
        store.tamper.set(key, gzipSync('{"id":"x"}\n'));
        return key;
      },
    ],
    [
      'a stray file among the manifests',
      'stray-object',
      /is under manifests\/ but is not a manifest/,
      (store) => {
        const key = 'manifests/workspace=sim-acme/notes.txt';
        store.tamper.set(key, Buffer.from('hi'));
        return key;
      },
    ],
    [
      'a gap between windows (re-chained by a careful forger)',
      'window-gap',
      /starts at .* but the previous window ended at .*was never collected/,
      (store) => {
        const m = manifestAt(store, 3);
        m.from += 600;
        m.from_iso = new Date(m.from * 1000).toISOString();
        m.parts = m.parts.filter((p) => (p.min_created_at ?? Infinity) >= m.from);
        writeManifest(store, m);
        rechain(store, 4);
        return manifestKey('sim-acme', 3);
      },
    ],
    [
      'overlapping windows (re-chained)',
      'window-overlap',
      /starts at .*inside the range already covered/,
      (store) => {
        const m = manifestAt(store, 3);
        m.from -= 600;
        writeManifest(store, m);
        rechain(store, 4);
        return manifestKey('sim-acme', 3);
      },
    ],
    [
      'an entry archived twice',
      'duplicate-id',
      /is archived twice/,
      (store) => {
        // A forger copies part 1 under a new name and lists it in a re-chained manifest.
        const m = manifestAt(store, 1);
        const original = m.parts[0]!;
        const key = original.key.replace('-part-00001', '-part-00099');
        store.tamper.set(key, store.objects.get(original.key)!);
        m.parts.push({ ...original, key });
        writeManifest(store, m);
        rechain(store, 2);
        return key;
      },
    ],
    [
      'a manifest whose counts do not match its part (re-chained)',
      'part-inconsistent',
      /holds \d+ lines, manifest 1 says/,
      (store) => {
        const m = manifestAt(store, 1);
        m.parts[0] = { ...m.parts[0]!, records: m.parts[0]!.records + 5 };
        writeManifest(store, m);
        rechain(store, 2);
        return m.parts[0]!.key;
      },
    ],
  ];

  it('covers the documented tamper cases', () => {
    expect([...cases.map((c) => c[0]), 'a truncated chain head']).toEqual(TAMPER_CASES);
  });

  it.each(cases)('detects %s and names the object', async (_name, code, message, tamper) => {
    const store = copy();
    const key = tamper(store);
    const found = await problems(store);
    const match = found.find((p) => p.code === code && p.key === key);
    expect(match, JSON.stringify(found, null, 1)).toBeDefined();
    expect(match!.message).toMatch(message);
    expect(match!.message).toContain(key);
  });

  it('names the same objects in the same order however part reads interleave (200 runs)', async () => {
    const store = copy();
    const duplicate = cases.find((c) => c[1] === 'duplicate-id')!;
    const key = duplicate[3](store);
    const first = await verifyArchive(store);
    expect(first.problems.find((p) => p.code === 'duplicate-id')?.key).toBe(key);
    for (let run = 1; run < 200; run++) {
      const again = await verifyArchive(store, { concurrency: 1 + (run % 8) });
      expect(again.problems).toEqual(first.problems);
    }
  });

  it('reports a truncated chain head through the parts it leaves outside the chain', async () => {
    const store = copy();
    const last = headSeq(store);
    const lastWithParts = [...Array(last + 1).keys()].reverse().find((s) => manifestAt(store, s).parts.length > 0)!;
    for (let s = lastWithParts; s <= last; s++) store.tamper.delete(manifestKey('sim-acme', s));
    const found = await problems(store);
    expect(found.some((p) => p.code === 'stray-object')).toBe(true);
  });
});
