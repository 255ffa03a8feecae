/**
 * Load (npm run test:soak, not part of npm test): a two-year backfill of at least 5,000,000
 * simulated entries across 3 workspaces, split into Lambda-like time budgets that each resume
 * from the checkpoint. Memory stays bounded, every chain verifies, every id is archived once.
 * SOAK_ENTRIES scales it; SOAK_BUDGET_MS is the budget each "invocation" gets.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { readGzipLines } from '../../lambdas/core/archive/lines.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { startSimulator } from '../../simulator/server.ts';
import { simClient } from '../helpers/collecting.ts';

const TOTAL = Number(process.env.SOAK_ENTRIES ?? 5_100_000);
const BUDGET_MS = Number(process.env.SOAK_BUDGET_MS ?? 15_000);
const DAYS = 730;
const START = Date.UTC(2025, 0, 1) / 1000;
const UNTIL = START + DAYS * 86_400;
let dir: string;
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('two-year backfill across three workspaces in time budgets', () => {
  it('completes with bounded memory, intact chains and every id once', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'soak-'));
    const store = new LocalObjectStore(dir);
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const perWorkspace = Math.ceil(TOTAL / 3 / DAYS);
    let invocations = 0;
    let expectedTotal = 0;
    try {
      for (const [i, id] of ['ws-alpha', 'ws-beta', 'ws-gamma'].entries()) {
        const sim = await startSimulator({
          now: () => UNTIL + 86_400,
          dataset: { seed: 100 + i, workspaceId: id, entriesPerDay: perWorkspace, historyStart: START },
        });
        try {
          let done = false;
          while (!done) {
            invocations += 1;
            const deadline = Date.now() + BUDGET_MS;
            const result = await collect(simClient(sim), store, {
              workspaceId: id,
              since: START,
              until: UNTIL,
              runId: `soak-${invocations}`,
              collectorVersion: 'soak',
              shouldStop: () => Date.now() > deadline,
            });
            done = result.checkpoint >= UNTIL;
          }
          // Counted a day at a time: the test must not hold the whole history either.
          for (let day = START; day < UNTIL; day += 86_400) expectedTotal += sim.workspace.entriesBetween(day, day + 86_399).length;
        } finally {
          await sim.close();
        }
      }
    } finally {
      clearInterval(sampler);
    }
    // Peak memory of the collection itself (the simulator runs in this process too).
    const collectPeak = peakRss;
    const verified = await verifyArchive(store);
    expect(verified.problems).toEqual([]);
    const archived = verified.workspaces.reduce((n, w) => n + w.records, 0);
    expect(archived).toBe(expectedTotal);
    expect(archived).toBeGreaterThanOrEqual(Math.min(TOTAL, 5_000_000) * 0.95);
    // verify already reports any id archived twice; count lines once more for the record.
    let lines = 0;
    for await (const o of store.list('activity_logs/')) for await (const _ of readGzipLines(await store.get(o.key))) lines += 1;
    expect(lines).toBe(expectedTotal);
    expect(invocations).toBeGreaterThan(3);
    console.log(
      `soak: ${archived} entries, ${invocations} budgets of ${BUDGET_MS} ms, peak RSS while collecting ${(collectPeak / 1e6).toFixed(0)} MB`,
    );
    expect(collectPeak).toBeLessThan(768 * 1024 * 1024);
  });
});
