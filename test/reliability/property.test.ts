/**
 * Property-based runs (fast-check): random datasets × random fault schedules × random run
 * schedules. Whatever the draw, the archive must hold every served id exactly once (archived or
 * quarantined) and verify must pass. A failure prints its seed and the shrunk counterexample.
 * PROPERTY_RUNS raises the number of draws and PROPERTY_SEED=random explores new ones (both set
 * by npm run test:soak); a failure's seed can be replayed with PROPERTY_SEED=<seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { archivedLines } from '../helpers/archive.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';
import { PROPERTY_RUNS } from './propertyRuns.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? PROPERTY_RUNS);
// A fixed seed keeps `npm test` deterministic; PROPERTY_SEED=random (the soak) explores new draws.
const SEED = process.env.PROPERTY_SEED === 'random' ? undefined : Number(process.env.PROPERTY_SEED ?? 20261125);

const faultsArb = fc.record({
  error5xx: fc.constantFrom(0, 0.05, 0.2),
  burst429: fc.constantFrom(0, 0.05, 0.15),
  reset: fc.constantFrom(0, 0.05, 0.1),
  truncate: fc.constantFrom(0, 0.05, 0.1),
  html: fc.constantFrom(0, 0.05),
  repeat: fc.integer({ min: 0, max: 12 }),
  malformed: fc.constantFrom(0, 0.01, 0.05),
  lateShare: fc.constantFrom(0, 0.05, 0.2),
  lateDelaySeconds: fc.integer({ min: 60, max: 2400 }),
  ignorePerPage: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

const scenarioArb = fc.record({
  dataset: fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    entriesPerDay: fc.integer({ min: 20, max: 300 }),
    burstSize: fc.integer({ min: 251, max: 520 }),
    burstEveryHours: fc.integer({ min: 38, max: 60 }),
  }),
  faults: faultsArb,
  windowSeconds: fc.constantFrom(1800, 3 * 3600, 12 * 3600, DAY),
  /** Put a window edge exactly on a second that holds more than 250 entries. */
  alignToBurst: fc.boolean(),
  /** Hours each run advances the checkpoint (at least one: see the lateness note below). */
  runHours: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 4 }),
});

describe('collect() under random data, faults and schedules', () => {
  it('archives every served id exactly once and verify passes', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        let now = 0;
        const sim = await startSimulator({ dataset: scenario.dataset, faults: scenario.faults, now: () => now });
        try {
          const burst = sim.workspace.burstSeconds(T0, T0 + 3 * DAY)[0]!;
          const since = scenario.alignToBurst ? burst - scenario.windowSeconds : T0 + 7 * 3600;
          const store = new MemoryObjectStore();
          let until = since;
          for (const [i, hours] of scenario.runHours.entries()) {
            until += hours * 3600;
            // Each run happens 10 minutes after its `until`. Late entries show up at most 40
            // minutes late, inside the one-hour lookback of the next run.
            now = until + 600;
            sim.setNow(() => now);
            await runCollector(sim, store, { ...(i === 0 && { since }), until, windowSeconds: scenario.windowSeconds });
          }
          // A last, short run an hour later picks up what arrived late after the last window.
          now = until + 3600;
          sim.setNow(() => now);
          await runCollector(sim, store, { until: until + 1, windowSeconds: scenario.windowSeconds });

          const served = sim.workspace.entriesBetween(since, until).map((e) => e.id);
          const archived = [...(await archivedLines(store)), ...(await archivedLines(store, 'quarantine/'))].map((l) => String(l.id));
          expect(archived.sort()).toEqual(served.sort());
          const verified = await verifyArchive(store);
          expect(verified.problems).toEqual([]);
        } finally {
          await sim.close();
        }
      }),
      { numRuns: RUNS, verbose: 1, ...(SEED !== undefined && { seed: SEED }) },
    );
  });
});
