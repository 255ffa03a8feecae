/**
 * Issue 28 item 1 over HTTP: the collector reads ranges ahead through the real IntercomClient
 * against the simulator with latency, with several requests in flight, inside the rate budget,
 * and archives exactly what a one-range-at-a-time run archives — the same lines in the same
 * parts under the same manifests. Nothing here is timed: the figures are in `npm run bench`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHead, readManifest } from '../../lambdas/core/archive/chain.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { IntercomClient, type ClientEvent } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { listedLines } from '../helpers/archive.ts';
import { RunClock } from '../helpers/runClock.ts';
import { TickingClient } from '../helpers/tickingClient.ts';

const DAY = 86_400;
const T0 = Date.UTC(2025, 2, 3) / 1000;
const UNTIL = T0 + 8 * DAY;

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({
    dataset: { entriesPerDay: 400, workspaceId: 'sim-prefetch' },
    now: () => UNTIL + 30 * DAY,
    // 40 ms a request against Intercom's default budget (1,666 per 10 s): about 6 ranges at once.
    faults: { latencyMs: 40 },
  });
});
afterAll(async () => {
  await sim?.close();
});

/** A fetch that counts the requests in flight at once (`max()`). */
function countingFetch(realFetch: typeof fetch) {
  let inFlight = 0;
  let most = 0;
  const fn = (async (input: URL | RequestInfo, init?: RequestInit) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    try {
      return await realFetch(input, init);
    } finally {
      inFlight -= 1;
    }
  }) as typeof fetch;
  return { fn, max: () => most };
}

/** Collects [T0, UNTIL) in 1-day windows; returns what it archived, without the per-run fields. */
async function collectOnce(concurrency: number | undefined) {
  const events: ClientEvent[] = [];
  const counting = countingFetch(globalThis.fetch);
  const client = new IntercomClient({
    token: sim.token,
    baseUrl: sim.url,
    perPage: 50,
    onEvent: (e) => events.push(e),
    fetch: counting.fn,
  });
  const store = new MemoryObjectStore();
  const result = await collect(client, store, {
    workspaceId: 'sim-prefetch',
    runId: 'run-prefetch',
    collectorVersion: '0.0.0-test',
    since: T0,
    until: UNTIL,
    windowSeconds: DAY,
    lookbackSeconds: 0,
    now: () => new Date((UNTIL + 30 * DAY) * 1000),
    ...(concurrency !== undefined && { concurrency }),
  });
  const lines = (await listedLines(store)).map(({ ingested_at: _, ...line }) => JSON.stringify(line));
  const head = (await findHead(store, 'sim-prefetch'))!;
  const windows: unknown[] = [];
  let windowRanges = 0;
  for (let seq = 1; seq <= head.manifest.seq; seq++) {
    const { manifest } = await readManifest(store, 'sim-prefetch', seq);
    windowRanges += manifest.api.ranges.length;
    windows.push([manifest.kind, manifest.from, manifest.to, manifest.records, manifest.parts.map((p) => p.key)]);
  }
  const verified = await verifyArchive(store);
  return { result, lines, windows, windowRanges, maxInFlight: counting.max(), events, ok: verified.ok };
}

describe('collect() reading ranges ahead over HTTP', () => {
  it('has several requests in flight, stays inside the budget, and archives what a sequential run archives', async () => {
    const sequential = await collectOnce(1);
    const ahead = await collectOnce(undefined);
    expect(sequential.maxInFlight).toBe(1);
    expect(ahead.maxInFlight).toBeGreaterThan(1);
    // 166 a second at ≥ 40 ms: about 6 at once (90 % of the budget × latency), and no answer 429.
    expect(ahead.maxInFlight).toBeLessThanOrEqual(16);
    expect(ahead.events.filter((e) => e.type === 'request' && e.status === 429)).toHaveLength(0);
    expect(ahead.ok && sequential.ok).toBe(true);
    expect(ahead.result.entries).toBe(sim.visibleBetween(T0, UNTIL - 1).length);
    expect(ahead.lines).toEqual(sequential.lines);
    expect(ahead.windows).toEqual(sequential.windows);
    // Every page read ahead was used (each asked once, the last window's too): windows cut into
    // ranges read at once cost a partial page per range more, no more than that.
    const requests = (run: typeof ahead) => run.events.filter((e) => e.type === 'request').length;
    expect(requests(ahead)).toBe(ahead.result.pages);
    expect(requests(ahead)).toBeGreaterThanOrEqual(requests(sequential));
    const rangesAsked = ahead.windowRanges - sequential.windowRanges;
    expect(requests(ahead) - requests(sequential)).toBeLessThanOrEqual(rangesAsked);
  });

  it('under a deadline reads ahead only what the run reaches, and every run still closes windows', async () => {
    const sequential = await collectOnce(1);
    // The Lambda's deadline, page-driven: each page the client hands over costs the run 1 s of 30.
    const clock = new RunClock(UNTIL + 30 * DAY);
    const realFetch = globalThis.fetch;
    const counting = countingFetch(realFetch);
    const store = new MemoryObjectStore();
    const runs: { pages: number; windows: number }[] = [];
    let checkpoint = T0;
    globalThis.fetch = counting.fn;
    // Built after the fetch above is in place: the client takes the global fetch when it is made.
    const client = new TickingClient(sim, () => clock.advance(1), 50);
    try {
      while (checkpoint < UNTIL) {
        expect(runs.length).toBeLessThan(100);
        const before = client.pagesYielded;
        const result = await collect(client, store, {
          workspaceId: 'sim-prefetch',
          runId: `run-${runs.length + 1}`,
          collectorVersion: '0.0.0-test',
          since: T0,
          until: UNTIL,
          windowSeconds: DAY,
          lookbackSeconds: 0,
          now: clock.now,
          timeLeft: clock.budget(30),
        });
        expect(result.checkpoint, `run ${runs.length + 1}`).toBeGreaterThan(checkpoint);
        checkpoint = result.checkpoint;
        runs.push({ pages: client.pagesYielded - before, windows: result.windows });
        clock.advance(900);
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(counting.max()).toBeGreaterThan(1);
    for (const r of runs) expect(r.pages).toBeLessThanOrEqual(30);
    // The same entries, each once, whichever run archived them (run ids differ between the two).
    const withoutRun = (line: string) => {
      const { run_id: _, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const lines = (await listedLines(store)).map(({ ingested_at: _, ...line }) => withoutRun(JSON.stringify(line)));
    expect(lines.sort()).toEqual(sequential.lines.map(withoutRun).sort());
    expect((await verifyArchive(store)).ok).toBe(true);
  });
});
