/**
 * Issue 22 soak (npm run test:soak): a heavy, a backfilling and a steady workspace, each
 * collected by its own run every schedule interval (as the per-workspace FIFO message groups do
 * on AWS: parallel, each with its own time budget). The steady workspace's newest window is never
 * more than two schedule intervals old, the others make progress every run, and every chain
 * verifies with each entry archived once. Pages cost simulated time, so the budgets bind.
 */
import { describe, expect, it } from 'vitest';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { MemorySource, spreadEntries } from '../helpers/MemorySource.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { RunClock } from '../helpers/runClock.ts';

const DAY = 86_400;
const INTERVAL = 900;
const BUDGET = 600; // a 15-minute Lambda less its margin, scaled with the page cost below
const SETTLE = 600;
const START = Date.UTC(2025, 5, 1) / 1000;
const TICKS = Number(process.env.SOAK_TICKS ?? 64);

describe('heavy, backfilling and steady workspaces side by side', () => {
  it('keeps the steady workspace current while the heavy and backfilling ones make progress every run', async () => {
    const end = START + TICKS * INTERVAL;
    let pageCost = (_ws: string) => 1;
    const clocks = new Map<string, RunClock>();
    const workspace = (id: string, entries: Record<string, unknown>[]) => ({
      id,
      entries,
      source: new MemorySource(entries, { perPage: 25, onPage: () => clocks.get(id)!.advance(pageCost(id)) }),
    });
    const workspaces = [
      // 1,000,000 a day scaled to the same pages per budget: 40,000 a day at 25 a page, 1 s a page.
      workspace('heavy', spreadEntries('h', START - DAY, end, Math.round(((end - START + DAY) / DAY) * 40_000))),
      workspace('backfilling', spreadEntries('b', START - 60 * DAY, end, 60 * 3_000)),
      workspace('steady', spreadEntries('s', START - DAY, end, 2_000)),
    ];
    const since: Record<string, number> = { heavy: START - DAY, backfilling: START - 60 * DAY, steady: START - DAY };
    pageCost = () => 1;
    const store = new MemoryObjectStore();
    const checkpoints = new Map<string, number>(workspaces.map((w) => [w.id, since[w.id]!]));
    let worstSteadyAge = 0;
    for (let tick = 1; tick <= TICKS; tick++) {
      const now = START + tick * INTERVAL;
      for (const w of workspaces) {
        const clock = new RunClock(now);
        clocks.set(w.id, clock);
        const result = await collect(w.source, store, {
          workspaceId: w.id,
          runId: `run-${tick}`,
          collectorVersion: '0.0.0-soak',
          since: since[w.id]!,
          until: now - SETTLE,
          lookbackSeconds: 3600,
          minRangeSeconds: 300,
          now: clock.now,
          timeLeft: clock.budget(BUDGET),
        });
        const before = checkpoints.get(w.id)!;
        // Progress every run, unless already caught up.
        if (before < now - SETTLE) expect(result.checkpoint, `${w.id} at tick ${tick}`).toBeGreaterThan(before);
        checkpoints.set(w.id, result.checkpoint);
        if (w.id === 'steady') worstSteadyAge = Math.max(worstSteadyAge, now - result.checkpoint);
      }
      expect(now - checkpoints.get('steady')!, `steady at tick ${tick}`).toBeLessThanOrEqual(2 * INTERVAL);
    }
    expect(worstSteadyAge).toBeLessThanOrEqual(2 * INTERVAL);
    expect((await verifyArchive(store)).problems).toEqual([]);
    const lines = await archivedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    for (const w of workspaces) {
      const archived = new Set(lines.filter((l) => l.workspace_id === w.id).map((l) => String(l.id)));
      const due = w.entries.filter((e) => (e.created_at as number) < checkpoints.get(w.id)!).map((e) => String(e.id));
      expect(
        due.every((id) => archived.has(id)),
        w.id,
      ).toBe(true);
    }
  });
});
