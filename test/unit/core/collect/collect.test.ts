import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { findHead, readManifest } from '../../../../lambdas/core/archive/chain.ts';
import { readGzipLines } from '../../../../lambdas/core/archive/lines.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import type { CheckpointCache } from '../../../../lambdas/core/ports.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import type { FaultsInput } from '../../../../simulator/faults.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { archivedLines, duplicateIds, listedLines } from '../../../helpers/archive.ts';
import { DAY, T0, crashingStore, runCollector } from '../../../helpers/collecting.ts';
import { COLLECT_FAULT_SWITCHES } from '../../../reliability/cases.ts';

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function simulator(faults: FaultsInput = {}, now = T0 + 30 * DAY) {
  sim = await startSimulator({ faults, now: () => now });
  return sim;
}

/** Asserts the archive holds exactly the ids the simulator serves in [from, to), once each, and verifies. */
async function expectExactlyOnce(store: MemoryObjectStore, s: RunningSimulator, from: number, to: number) {
  const lines = await archivedLines(store);
  expect(duplicateIds(lines)).toEqual([]);
  const expected = s.workspace
    .entriesBetween(from, to - 1)
    .map((e) => e.id)
    .sort();
  const quarantined = (await archivedLines(store, 'quarantine/')).map((l) => String(l.id));
  expect([...lines.map((l) => String(l.id)), ...quarantined].sort()).toEqual(expected);
  const verified = await verifyArchive(store);
  expect(verified.problems).toEqual([]);
  return lines;
}

describe('collect()', () => {
  it('archives every entry of closed windows exactly once, with columns matching the verbatim entry', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    const result = await runCollector(s, store, { since: T0, until: T0 + 5 * DAY });
    expect(result.windows).toBe(3);
    expect(result.checkpoint).toBe(T0 + 5 * DAY);
    const lines = await expectExactlyOnce(store, s, T0, T0 + 5 * DAY);
    expect(result.entries).toBe(lines.length);
    for (const line of lines.slice(0, 200)) {
      const source = JSON.parse(line.source as string);
      expect(line).toMatchObject({
        id: source.id,
        workspace_id: 'sim-acme',
        created_at: source.created_at,
        activity_type: source.activity_type,
        activity_description: source.activity_description,
        performed_by_type: source.performed_by.type,
        performed_by_id: source.performed_by.id,
        performed_by_email: source.performed_by.email,
        performed_by_ip: source.performed_by.ip,
        metadata: source.metadata === null ? null : JSON.stringify(source.metadata),
        late: false,
        api_version: '2.17',
      });
    }
    // Each line sits in the dt= folder of its own UTC date.
    for (const key of store.keys('activity_logs/')) {
      const dt = /dt=([\d-]+)/.exec(key)![1];
      for await (const line of readGzipLines(await store.get(key))) {
        expect(new Date((line.created_at as number) * 1000).toISOString().slice(0, 10)).toBe(dt);
      }
    }
  });

  it('writes a genesis manifest and window manifests that meet exactly', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    await runCollector(s, store, { since: T0, until: T0 + 5 * DAY });
    const head = (await findHead(store, 'sim-acme'))!;
    const kinds: string[] = [];
    let expectedFrom = T0;
    for (let seq = 0; seq <= head.manifest.seq; seq++) {
      const { manifest } = await readManifest(store, 'sim-acme', seq);
      kinds.push(manifest.kind);
      if (manifest.kind === 'window') {
        expect(manifest.from).toBe(expectedFrom);
        expectedFrom = manifest.to;
      }
    }
    expect(kinds).toEqual(['genesis', 'window', 'window', 'window']);
    expect(expectedFrom).toBe(T0 + 5 * DAY);
  });

  it('needs --since for a new archive', async () => {
    const s = await simulator();
    await expect(runCollector(s, new MemoryObjectStore(), { until: T0 + DAY })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('continues from the checkpoint on a second run, warning about a --since that disagrees', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    await runCollector(s, store, { since: T0, until: T0 + 2 * DAY });
    const warnings: string[] = [];
    const second = await runCollector(s, store, {
      since: T0 + 10 * DAY,
      until: T0 + 4 * DAY,
      observer: { onWarning: (w) => warnings.push(w) },
    });
    expect(second.checkpointBefore).toBe(T0 + 2 * DAY);
    expect(warnings.join('\n')).toMatch(/already starts at 2025-03-03T00:00:00Z.*--since 2025-03-13T00:00:00Z is ignored/);
    await expectExactlyOnce(store, s, T0, T0 + 4 * DAY);
  });

  it('writes only empty windows when nothing is new', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    // 1 second of a quiet night: nothing happened in it.
    const quiet = T0 + 2 * DAY + 2 * 3600;
    await runCollector(s, store, { since: T0, until: quiet });
    const before = store.keys('activity_logs/');
    const second = await runCollector(s, store, { until: quiet + 1 });
    expect(second).toMatchObject({ windows: 1, entries: 0, lateEntries: 0, partsWritten: 0 });
    expect(store.keys('activity_logs/')).toEqual(before);
    expect((await findHead(store, 'sim-acme'))!.manifest).toMatchObject({ kind: 'window', records: 0, parts: [] });
    expect((await verifyArchive(store)).ok).toBe(true);
  });

  it('archives an entry that arrives late exactly once, with a late manifest', async () => {
    // The first run ends at noon on a weekday, when entries that are not visible yet are plentiful.
    const until = T0 + DAY + 12 * 3600;
    let now = until + 600;
    sim = await startSimulator({ faults: { lateShare: 0.2, lateDelaySeconds: 1800 }, now: () => now });
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until });
    const missing = sim.workspace.entriesBetween(T0, until - 1).length - (await archivedLines(store)).length;
    expect(missing).toBeGreaterThan(0);
    now += 3 * 3600;
    sim.setNow(() => now);
    const second = await runCollector(sim, store, { until: until + 3600 });
    expect(second.lateEntries).toBe(missing);
    expect(second.lateManifests).toBe(1);
    const lines = await expectExactlyOnce(store, sim, T0, until + 3600);
    expect(lines.filter((l) => l.late === true)).toHaveLength(missing);
    expect(store.keys('activity_logs/').some((k) => /-late-00001\.jsonl\.gz$/.test(k))).toBe(true);
    // A third run finds nothing new in the horizon and writes no late manifest.
    const third = await runCollector(sim, store, { until: until + 3600 + 60 });
    expect(third).toMatchObject({ lateEntries: 0, lateManifests: 0 });
    await expectExactlyOnce(store, sim, T0, until + 3600 + 60);
  });

  it('keeps more than 250 entries that share one second at a window edge, once each', async () => {
    const s = await simulator({}, T0 + 60 * DAY);
    const perSecond = new Map<number, number>();
    for (const e of s.workspace.entriesBetween(T0, T0 + 14 * DAY)) perSecond.set(e.created_at, (perSecond.get(e.created_at) ?? 0) + 1);
    const [burst] = [...perSecond].find(([, n]) => n > 250)!;
    const store = new MemoryObjectStore();
    // Windows of one day that start exactly on the burst second.
    await runCollector(s, store, { since: burst - DAY, until: burst + DAY, windowSeconds: DAY });
    const lines = await expectExactlyOnce(store, s, burst - DAY, burst + DAY);
    expect(lines.filter((l) => l.created_at === burst).length).toBeGreaterThan(250);
  });

  it.each(COLLECT_FAULT_SWITCHES)('collects exactly once under %s', async (_name, faults) => {
    const s = await simulator(faults);
    const store = new MemoryObjectStore();
    await runCollector(s, store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY });
    await expectExactlyOnce(store, s, T0, T0 + 2 * DAY);
  });

  it('fetches ranges of several windows at once with --concurrency and archives the same entries', async () => {
    const s = await simulator({ error5xx: 0.05 });
    const sequential = new MemoryObjectStore();
    const parallel = new MemoryObjectStore();
    await runCollector(s, sequential, { since: T0, until: T0 + 6 * DAY, windowSeconds: DAY });
    const result = await runCollector(s, parallel, { since: T0, until: T0 + 6 * DAY, windowSeconds: DAY, concurrency: 3 });
    expect(result.windows).toBe(6);
    await expectExactlyOnce(parallel, s, T0, T0 + 6 * DAY);
    expect((await archivedLines(parallel)).length).toBe((await archivedLines(sequential)).length);
  });

  it('asks for smaller ranges when wide ones keep failing with 500', async () => {
    const s = await simulator({ wide500Days: 1 });
    const store = new MemoryObjectStore();
    const warnings: string[] = [];
    await runCollector(s, store, {
      since: T0,
      until: T0 + 4 * DAY,
      windowSeconds: 4 * DAY,
      observer: { onWarning: (w) => warnings.push(w) },
    });
    expect(warnings.some((w) => /asking in ranges of 2 d/.test(w))).toBe(true);
    await expectExactlyOnce(store, s, T0, T0 + 4 * DAY);
    const head = (await findHead(store, 'sim-acme'))!;
    expect(head.manifest.api.ranges.every(([a, b]) => b - a <= DAY + 2)).toBe(true);
  });

  it('quarantines malformed entries under quarantine/, counts them, and never drops them', async () => {
    const s = await simulator({ malformed: 0.02 });
    const store = new MemoryObjectStore();
    const result = await runCollector(s, store, { since: T0, until: T0 + 2 * DAY });
    expect(result.quarantined).toBeGreaterThan(5);
    const quarantined = await archivedLines(store, 'quarantine/');
    expect(quarantined).toHaveLength(result.quarantined);
    expect(quarantined[0]).toMatchObject({ reason: expect.any(String), source: expect.any(String) });
    const counted = await Promise.all(
      store.keys('manifests/').map(async (k) => JSON.parse((await store.get(k)).toString()).quarantined as number),
    );
    expect(counted.reduce((a, b) => a + b, 0)).toBe(result.quarantined);
    await expectExactlyOnce(store, s, T0, T0 + 2 * DAY);
  });

  it('finds its checkpoint from the manifests when the cached pointer is lost', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    const memory = new Map<string, number>();
    const cache: CheckpointCache = { get: async (w) => memory.get(w), set: async (w, seq) => void memory.set(w, seq) };
    await runCollector(s, store, { since: T0, until: T0 + 3 * DAY, windowSeconds: DAY / 4, cache });
    expect(memory.get('sim-acme')).toBe(12);
    memory.clear();
    const second = await runCollector(s, store, { until: T0 + 4 * DAY, windowSeconds: DAY / 4, cache });
    expect(second.checkpointBefore).toBe(T0 + 3 * DAY);
    memory.set('sim-acme', 3); // a stale pointer only costs probes
    await runCollector(s, store, { until: T0 + 5 * DAY, windowSeconds: DAY / 4, cache });
    await expectExactlyOnce(store, s, T0, T0 + 5 * DAY);
  });

  it('stops taking new windows when asked (Lambda deadline) and leaves a consistent chain', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    let windows = 0;
    const result = await runCollector(s, store, {
      since: T0,
      until: T0 + 6 * DAY,
      windowSeconds: DAY,
      shouldStop: () => windows >= 2,
      observer: {
        onWindowClosed: () => {
          windows += 1;
        },
      },
    });
    expect(result).toMatchObject({ windows: 2, stoppedEarly: true, checkpoint: T0 + 2 * DAY });
    await expectExactlyOnce(store, s, T0, T0 + 2 * DAY);
  });
});

describe('collect() after a crash', () => {
  // Count the puts of a clean run (late pass + 3 windows), then crash at every one of them.
  it('loses nothing and duplicates nothing when a run dies at any write, before or after it', async () => {
    let now = T0 + 3 * DAY + 600;
    sim = await startSimulator({ faults: { lateShare: 0.1, lateDelaySeconds: 1800, malformed: 0.01 }, now: () => now });
    const settings = { windowSeconds: DAY, partMaxBytes: 20_000 };
    const seed = new MemoryObjectStore();
    await runCollector(sim, seed, { ...settings, since: T0, until: T0 + DAY });
    now = T0 + 6 * DAY;
    sim.setNow(() => now);
    const probe = new MemoryObjectStore();
    for (const [k, v] of seed.objects) probe.objects.set(k, v);
    probe.puts = 0;
    await runCollector(sim, probe, { ...settings, until: T0 + 4 * DAY });
    const totalPuts = probe.puts;
    expect(totalPuts).toBeGreaterThan(10);
    let adopted = 0;
    for (let crashAt = 1; crashAt <= totalPuts; crashAt++) {
      for (const when of ['before', 'after'] as const) {
        const store = new MemoryObjectStore();
        for (const [k, v] of seed.objects) store.objects.set(k, v);
        await expect(runCollector(sim, crashingStore(store, crashAt, when), { ...settings, until: T0 + 4 * DAY })).rejects.toThrow(
          /simulated crash/,
        );
        const rerun = await runCollector(sim, store, { ...settings, until: T0 + 4 * DAY });
        adopted += rerun.partsAdopted;
        await expectExactlyOnce(store, sim, T0, T0 + 4 * DAY);
      }
    }
    expect(adopted).toBeGreaterThan(0);
  });

  it('never ends a window after until, whatever a dead run wrote: what Intercom does not serve for the window is rejected, never listed', async () => {
    const s = await simulator();
    const store = new MemoryObjectStore();
    await runCollector(s, store, { since: T0, until: T0 + DAY });
    // The dead run's window was 3 days: it wrote parts, then died before its manifest.
    const puts = 3;
    await expect(
      runCollector(s, crashingStore(store, puts, 'after'), { until: T0 + 4 * DAY, windowSeconds: 3 * DAY, partMaxBytes: 30_000 }),
    ).rejects.toThrow();
    const rerun = await runCollector(s, store, { until: T0 + 2 * DAY, windowSeconds: DAY });
    expect(rerun.partsRejected).toBeGreaterThan(0);
    expect(rerun.checkpoint).toBe(T0 + 2 * DAY);
    await runCollector(s, store, { until: T0 + 5 * DAY, windowSeconds: DAY });
    // Exactly once among what the chain lists; the rejected parts stay, accounted for.
    const lines = await listedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    expect(lines.map((l) => String(l.id)).sort()).toEqual(
      s.workspace
        .entriesBetween(T0, T0 + 5 * DAY - 1)
        .map((e) => e.id)
        .sort(),
    );
    const verified = await verifyArchive(store);
    expect(verified.problems).toEqual([]);
    expect(verified.exceptions.filter((e) => e.kind === 'rejected')).toHaveLength(rerun.partsRejected);
  });
});
