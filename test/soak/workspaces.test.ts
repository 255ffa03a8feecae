/**
 * Issue 22 soak (npm run test:soak): a heavy, a backfilling and a steady workspace, each
 * collected by its own run every schedule interval (as the per-workspace FIFO message groups do
 * on AWS: parallel, each with its own time budget). The steady workspace's newest window is never
 * more than two schedule intervals old, the others make progress every run, and every chain
 * verifies with each entry archived once. Each workspace is a simulator collected over HTTP by the
 * real IntercomClient; pages cost simulated time (one second per page the client hands over), so
 * the budgets bind and do not depend on the machine's speed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { RunClock } from '../helpers/runClock.ts';
import { TickingClient } from '../helpers/tickingClient.ts';

const DAY = 86_400;
const INTERVAL = 900;
const BUDGET = 600; // a 15-minute Lambda less its margin, scaled with the page cost below
const SETTLE = 600;
const START = Date.UTC(2025, 5, 1) / 1000;
const TICKS = Number(process.env.SOAK_TICKS ?? 64);

const sims: RunningSimulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

describe('heavy, backfilling and steady workspaces side by side', () => {
  it('keeps the steady workspace current while the heavy and backfilling ones make progress every run', async () => {
    const clocks = new Map<string, RunClock>();
    let simNow = START;
    const workspace = async (id: string, entriesPerDay: number, seed: number) => {
      // Its own seed, so entry ids differ between workspaces as Intercom's do; the simulator's
      // clock is the schedule's: entries after the current tick do not exist yet.
      const sim = await startSimulator({
        dataset: { entriesPerDay, workspaceId: id, seed },
        now: () => simNow,
        faults: { budget: 1_000_000 },
      });
      sims.push(sim);
      return { id, sim, source: new TickingClient(sim, () => clocks.get(id)!.advance(1), 25) };
    };
    const workspaces = [
      // 1,000,000 a day scaled to the same pages per budget: 40,000 a day at 25 a page, 1 s a page.
      await workspace('heavy', 40_000, 1),
      await workspace('backfilling', 3_000, 2),
      await workspace('steady', 1_200, 3),
    ];
    const since: Record<string, number> = { heavy: START - DAY, backfilling: START - 60 * DAY, steady: START - DAY };
    const store = new MemoryObjectStore();
    const checkpoints = new Map<string, number>(workspaces.map((w) => [w.id, since[w.id]!]));
    let worstSteadyAge = 0;
    for (let tick = 1; tick <= TICKS; tick++) {
      const now = START + tick * INTERVAL;
      simNow = now;
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
      const due = w.sim.visibleBetween(since[w.id]!, checkpoints.get(w.id)! - 1).map((e) => e.id);
      expect(due.length, w.id).toBeGreaterThan(0);
      expect(
        due.every((id) => archived.has(id)),
        w.id,
      ).toBe(true);
    }
  });
});
