/**
 * Issue 22 with the simulator: a heavy workspace (1,000,000 entries a day, scaled down to the
 * same pages-per-budget pressure) collected over HTTP by the real IntercomClient in runs of a
 * short time budget makes progress every run and closes contiguous windows, each entry exactly
 * once. The run's clock moves one second per page the client hands over, never with the wall
 * clock, so the plan — and every figure below — is the same on a fast or a loaded machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHead, readManifest } from '../../lambdas/core/archive/chain.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { RunClock } from '../helpers/runClock.ts';
import { TickingClient } from '../helpers/tickingClient.ts';

const DAY = 86_400;
/** A Wednesday: the two days hold weekday office hours, quiet nights and Thursday's bulk update (300 entries in one second). */
const T0 = Date.UTC(2025, 2, 5) / 1000;
const UNTIL = T0 + 2 * DAY;
const PER_PAGE = 25;
/** Seconds of run time per page the client yields. */
const PAGE_SECONDS = 1;
/** Each run's budget: 40 pages' worth. */
const BUDGET = 40;
const INTERVAL = 900;

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({
    // 1,000,000 a day at 250 a page is 4,000 pages a day; scaled to 10,000 a day at 25 a page
    // (400 pages a day, 1 s each) against 40 s runs: a day takes more than ten runs.
    dataset: { entriesPerDay: 10_000, workspaceId: 'sim-heavy' },
    // The run's clock is page-driven; the simulator's is fixed well after the range.
    now: () => T0 + 30 * DAY,
    // No 429s from the real-time rate window: the request count would then depend on speed.
    faults: { budget: 1_000_000 },
  });
});
afterAll(async () => {
  await sim?.close();
});

describe('a heavy workspace collected from the simulator in short runs', () => {
  it('makes progress every run and closes contiguous windows, each served entry archived exactly once', async () => {
    const clock = new RunClock(T0 + 30 * DAY);
    // The real client over HTTP; each page it hands over costs the run PAGE_SECONDS of its clock.
    const client = new TickingClient(sim, () => clock.advance(PAGE_SECONDS), PER_PAGE);
    const store = new MemoryObjectStore();
    const runs: { checkpoint: number; windows: number; pages: number }[] = [];
    let checkpoint = T0;
    while (checkpoint < UNTIL) {
      expect(runs.length).toBeLessThan(200);
      const pagesBefore = client.pagesYielded;
      const result = await collect(client, store, {
        workspaceId: sim.workspace.workspaceId,
        runId: `run-${runs.length + 1}`,
        collectorVersion: '0.0.0-test',
        since: T0,
        until: UNTIL,
        minRangeSeconds: 600,
        lookbackSeconds: 0,
        now: clock.now,
        timeLeft: clock.budget(BUDGET),
      });
      // Progress every run: the checkpoint (the head's `to`) moves forward.
      expect(result.checkpoint, `run ${runs.length + 1}`).toBeGreaterThan(checkpoint);
      expect(result.windows).toBeGreaterThan(0);
      checkpoint = result.checkpoint;
      runs.push({ checkpoint, windows: result.windows, pages: client.pagesYielded - pagesBefore });
      clock.advance(INTERVAL); // the next schedule interval
    }
    expect(checkpoint).toBe(UNTIL);

    // A heavy workspace: no run could have taken the two days (or even one) at once.
    expect(runs.length).toBeGreaterThan(10);
    // No run fetched more pages than its budget allows.
    for (const r of runs) expect(r.pages).toBeLessThanOrEqual(BUDGET);

    // The chain: contiguous windows from `since` to `until`, each within one run's budget of pages.
    const head = (await findHead(store, sim.workspace.workspaceId))!;
    expect(head.manifest.to).toBe(UNTIL);
    const windows = [];
    for (let seq = 1; seq <= head.manifest.seq; seq++) {
      const { manifest } = await readManifest(store, sim.workspace.workspaceId, seq);
      if (manifest.kind === 'window') windows.push(manifest);
    }
    expect(windows.length).toBe(runs.reduce((n, r) => n + r.windows, 0));
    expect(windows[0]!.from).toBe(T0);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.from, `window ${i}`).toBe(windows[i - 1]!.to);
    expect(windows.at(-1)!.to).toBe(UNTIL);
    for (const w of windows) expect(w.api.pages).toBeLessThanOrEqual(BUDGET);

    // Exactly once: the archive holds every entry the simulator serves for [T0, UNTIL), and no other.
    const served = sim.visibleBetween(T0, UNTIL - 1);
    expect(served.length).toBeGreaterThan(15_000);
    expect(sim.workspace.burstSeconds(T0, UNTIL)).toHaveLength(1);
    const lines = await archivedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    expect(lines.map((l) => String(l.id)).sort()).toEqual(served.map((e) => e.id).sort());
    expect((await verifyArchive(store)).problems).toEqual([]);

    // Figures, for the record. The plan is page-driven, but ranges read ahead arrive in network
    // order, so the pages fetched and the runs can differ by a few between runs of the test.
    const pages = windows.reduce((n, w) => n + w.api.pages, 0);
    console.info(
      `heavy simulator: ${runs.length} runs, ${windows.length} windows, ${pages} pages listed, ${client.pagesYielded} pages fetched, ` +
        `${sim.stats.activityRequests} activity requests, ${served.length} entries`,
    );
  });
});
