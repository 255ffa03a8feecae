/**
 * Issue 22: windows that always finish. A heavy workspace (1,000,000 entries a day, scaled down
 * to the same pages-per-budget ratio) collected in runs of a short time budget makes progress
 * every run and closes contiguous windows, each entry exactly once; a window whose pages turn
 * slow mid-way stops before anything of it is listed, and the next run closes it smaller.
 */
import { describe, expect, it } from 'vitest';
import { findHead, readManifest } from '../../../../lambdas/core/archive/chain.ts';
import { collect } from '../../../../lambdas/core/collect/collect.ts';
import { ShrinkWindow, WindowPlanner } from '../../../../lambdas/core/collect/WindowPlanner.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { MemorySource, spreadEntries } from '../../../helpers/MemorySource.ts';
import { archivedLines, duplicateIds } from '../../../helpers/archive.ts';
import { RunClock } from '../../../helpers/runClock.ts';

const DAY = 86_400;
const T0 = Date.UTC(2025, 2, 3) / 1000;
const settings = { workspaceId: 'ws-heavy', runId: 'run-test', collectorVersion: '0.0.0-test', minRangeSeconds: 600 };

/** Window manifests of the chain, oldest first. */
async function windowManifests(store: MemoryObjectStore) {
  const head = (await findHead(store, 'ws-heavy'))!;
  const out = [];
  for (let seq = 1; seq <= head.manifest.seq; seq++) {
    const { manifest } = await readManifest(store, 'ws-heavy', seq);
    if (manifest.kind === 'window') out.push(manifest);
  }
  return out;
}

describe('WindowPlanner', () => {
  it('shrinks a window whose first page says it would not fit the time left, never below what a dead run wrote', () => {
    const planner = new WindowPlanner(() => 100, 60);
    // 1,000 pages of 1 s each for a day against 60 s (0.6 × 100 s): shrunk with 30 % headroom to 0.042 day.
    expect(() => planner.checkFirstPage(T0, T0 + DAY, T0 + 1, { totalPages: 1000, rangeSpan: DAY, firstPageSeconds: 1 })).toThrow(
      ShrinkWindow,
    );
    try {
      planner.checkFirstPage(T0, T0 + DAY, T0 + 1, { totalPages: 1000, rangeSpan: DAY, firstPageSeconds: 1 });
    } catch (error) {
      expect((error as ShrinkWindow).to).toBe(T0 + Math.floor((DAY * 60 * 0.7) / 1000));
    }
    expect(() => planner.checkFirstPage(T0, T0 + DAY, T0 + DAY, { totalPages: 1000, rangeSpan: DAY, firstPageSeconds: 1 })).not.toThrow();
    // What fits is left alone; without a budget nothing is planned.
    expect(() => planner.checkFirstPage(T0, T0 + DAY, T0 + 1, { totalPages: 10, rangeSpan: DAY, firstPageSeconds: 1 })).not.toThrow();
    expect(new WindowPlanner(undefined, 60).plan(T0, T0 + DAY, T0 + 1)).toBe(T0 + DAY);
  });

  it('plans the next window from the density and page time of the last one', () => {
    const planner = new WindowPlanner(() => 100, 60);
    planner.record({ from: T0, to: T0 + 3600, pages: 100, seconds: 100 });
    // 100 pages an hour at 1 s a page: a day is 2,401 pages; 60 s of budget with 30 % headroom → 25 minutes.
    expect(planner.plan(T0 + 3600, T0 + 3600 + DAY, T0 + 3601)).toBe(T0 + 3600 + Math.floor((DAY * 60 * 0.7) / 2401));
    // Not even the smallest window fits 0.6 s: no window is started.
    const late = new WindowPlanner(() => 1, 3600);
    late.record({ from: T0, to: T0 + 3600, pages: 100, seconds: 100 });
    expect(late.plan(T0, T0 + DAY, T0 + 1)).toBeUndefined();
  });
});

describe('collect() with a time budget', () => {
  it('makes progress every run on a heavy workspace and closes contiguous windows, each entry once', async () => {
    // 1,000,000 a day at 250 a page and ~0.3 s a page is ~1,200 s of pages per day against a
    // ~780 s Lambda budget; scaled: 6,000 a day at 25 a page, 1 s a page, 40 s runs.
    const clock = new RunClock(T0 + 30 * DAY);
    const entries = spreadEntries('h', T0, T0 + 2 * DAY, 12_000);
    const source = new MemorySource(entries, { perPage: 25, onPage: () => clock.advance(1) });
    const store = new MemoryObjectStore();
    const checkpoints: number[] = [];
    let runs = 0;
    let checkpoint = T0;
    while (checkpoint < T0 + 2 * DAY) {
      runs += 1;
      expect(runs).toBeLessThan(200);
      const result = await collect(source, store, {
        ...settings,
        since: T0,
        until: T0 + 2 * DAY,
        now: clock.now,
        timeLeft: clock.budget(40),
        lookbackSeconds: 0,
      });
      expect(result.checkpoint).toBeGreaterThan(checkpoint);
      checkpoint = result.checkpoint;
      checkpoints.push(checkpoint);
      clock.advance(900); // the next schedule interval
    }
    expect(runs).toBeGreaterThan(5);
    const windows = await windowManifests(store);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.from).toBe(windows[i - 1]!.to);
    expect(windows[0]!.from).toBe(T0);
    expect(windows.at(-1)!.to).toBe(T0 + 2 * DAY);
    // No window was planned past what its run could fetch: each took at most the run's budget of pages.
    for (const w of windows) expect(w.api.pages).toBeLessThanOrEqual(40);
    const lines = await archivedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    expect(lines.map((l) => String(l.id)).sort()).toEqual(entries.map((e) => String(e.id)).sort());
    expect((await verifyArchive(store)).problems).toEqual([]);
  });

  it('without a budget keeps the configured windows', async () => {
    const store = new MemoryObjectStore();
    const source = new MemorySource(spreadEntries('h', T0, T0 + 2 * DAY, 600), { perPage: 25 });
    const result = await collect(source, store, {
      ...settings,
      since: T0,
      until: T0 + 2 * DAY,
      windowSeconds: DAY,
      now: () => new Date((T0 + 9 * DAY) * 1000),
    });
    expect(result.windows).toBe(2);
  });

  it('stops before listing a window whose pages turn slow, and the next run closes it smaller', async () => {
    const clock = new RunClock(T0 + 30 * DAY);
    let slow = false;
    const source = new MemorySource(spreadEntries('s', T0, T0 + DAY, 2_000), {
      perPage: 25,
      onPage: () => clock.advance(slow ? 20 : 1),
    });
    const store = new MemoryObjectStore();
    // The first page is fast (the window is planned to fit), then Intercom slows down.
    let pages = 0;
    const original = source.fetchRange.bind(source);
    source.fetchRange = async function* (range, options) {
      for await (const page of original(range, options)) {
        pages += 1;
        if (pages === 2) slow = true;
        yield page;
      }
    };
    const warnings: string[] = [];
    const first = await collect(source, store, {
      ...settings,
      since: T0,
      until: T0 + DAY,
      now: clock.now,
      timeLeft: clock.budget(100),
      lookbackSeconds: 0,
      observer: { onWarning: (m) => warnings.push(m) },
    });
    expect(first).toMatchObject({ stoppedEarly: true, windows: 0, checkpoint: T0, entries: 0, partsWritten: 0 });
    expect(warnings).toEqual([expect.stringContaining('out of time inside the window from 2025-03-03T00:00:00Z')]);
    // Nothing of the window was written: no part exists for anyone to adopt.
    expect([...store.objects.keys()].filter((k) => k.startsWith('activity_logs/'))).toEqual([]);
    slow = false;
    pages = 10;
    let second = first;
    for (let i = 0; i < 20 && second.checkpoint < T0 + DAY; i++) {
      clock.advance(900);
      second = await collect(source, store, {
        ...settings,
        until: T0 + DAY,
        now: clock.now,
        timeLeft: clock.budget(100),
        lookbackSeconds: 0,
      });
      expect(second.windows).toBeGreaterThan(0);
    }
    expect(second.checkpoint).toBe(T0 + DAY);
    expect(duplicateIds(await archivedLines(store))).toEqual([]);
    expect((await verifyArchive(store)).problems).toEqual([]);
  });
});
