/**
 * Issue 28 item 1: ranges read ahead page by page, as many at once as the source's pace allows,
 * with what they hold bounded whatever the range sizes, and nothing read that is not expected.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityPage, TimeRange } from '../../../../lambdas/core/intercom/schema.ts';
import type { ActivityLogSource, SourcePace } from '../../../../lambdas/core/ports.ts';
import { PREFETCH_LIMITS, Prefetcher, apiRange, chooseConcurrency } from '../../../../lambdas/core/collect/Prefetcher.ts';

const HOUR = 3600;
const T0 = Date.UTC(2025, 2, 3) / 1000;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A source whose every range is `pagesPerRange` pages of 10 entries, each page a tick away; it records what it served. */
class PagedSource implements ActivityLogSource {
  readonly host = 'api.paged.test';
  readonly apiVersion = '2.17';
  readonly perPage = 10;
  readonly asked: TimeRange[] = [];
  readonly returned = new Set<number>();
  readonly signals: AbortSignal[] = [];
  served = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly pagesPerRange: number,
    private readonly currentPace: SourcePace | undefined,
    private readonly failAfter?: { after: number; pages: number },
  ) {}

  pace(): SourcePace {
    return this.currentPace ?? {};
  }

  async workspaceId(): Promise<string> {
    return 'ws-paged';
  }

  async *fetchRange(range: TimeRange, _options?: unknown, signal?: AbortSignal): AsyncGenerator<ActivityPage> {
    this.asked.push(range);
    if (signal) this.signals.push(signal);
    try {
      for (let p = 0; p < this.pagesPerRange; p++) {
        if (this.failAfter?.after === range.after && p === this.failAfter.pages) throw new Error(`range ${range.after} broke`);
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        await tick();
        this.inFlight -= 1;
        this.served += 1;
        const entries = Array.from({ length: 10 }, (_, i) => ({
          id: `${range.after}-${p}-${i}`,
          created_at: range.after + 1,
          activity_type: 'admin_login_success',
        }));
        yield { entries, quarantined: [], bytes: 1000 } as unknown as ActivityPage;
      }
    } finally {
      this.returned.add(range.after);
    }
  }
}

const hours = (n: number) => Array.from({ length: n }, (_, i) => [T0 + i * HOUR, T0 + (i + 1) * HOUR] as [number, number]);
const fast: SourcePace = { latencySeconds: 0.15, requestsPerSecond: 1000, largestPageBytes: 1000 };

/** Drains the ranges in order as the window filler does: each taken with the ranges after it expected. */
async function drainInOrder(prefetcher: Prefetcher, ranges: [number, number][], onPage: () => void = () => undefined) {
  const ids: string[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const [from, to] = ranges[i]!;
    const stream = prefetcher.take(apiRange(from, to), {}, () => ranges.slice(i + 1));
    for await (const page of stream.drain()) {
      ids.push(...page.entries.map((e) => e.id));
      onPage();
      prefetcher.refill();
      await tick();
    }
  }
  return ids;
}

describe('chooseConcurrency()', () => {
  it('reads budget share × latency ranges at once, within the maximum and what the gate holds', () => {
    const bytes = PREFETCH_LIMITS.maxBufferedBytes;
    // 166.7 requests a second at 150 ms: 22 requests in flight use 90 % of the budget; at most 16 when so set.
    expect(chooseConcurrency({ latencySeconds: 0.15, requestsPerSecond: 166.7 }, 16, bytes)).toBe(16);
    expect(chooseConcurrency({ latencySeconds: 0.15, requestsPerSecond: 166.7 }, 64, bytes)).toBe(22);
    // Half the budget (budgetShare 0.5) halves it.
    expect(chooseConcurrency({ latencySeconds: 0.15, requestsPerSecond: 83.4 }, 64, bytes)).toBe(11);
    // Over loopback reading ahead buys nothing: one range at a time.
    expect(chooseConcurrency({ latencySeconds: 0.002, requestsPerSecond: 166.6 }, 16, bytes)).toBe(1);
    // 2 MiB pages: the gate (8 MiB) holds four.
    expect(chooseConcurrency({ latencySeconds: 0.15, requestsPerSecond: 166.6, largestPageBytes: 2 * 1024 * 1024 }, 16, bytes)).toBe(4);
    // Before the first answer nothing is known: one range; no budget headers: a few.
    expect(chooseConcurrency({}, 16, bytes)).toBe(1);
    expect(chooseConcurrency({ latencySeconds: 0.15 }, 16, bytes)).toBe(4);
    // A source without a network is read at the configured concurrency; 1 is always 1.
    expect(chooseConcurrency(undefined, 5, bytes)).toBe(5);
    expect(chooseConcurrency(fast, 1, bytes)).toBe(1);
  });
});

describe('Prefetcher', () => {
  it('holds no more than its page bound ahead, whatever the range size, and serves every page in order', async () => {
    const source = new PagedSource(200, fast);
    const limits = { maxBufferedBytes: 1_000_000, maxBufferedPages: 8 };
    const prefetcher = new Prefetcher(source, { concurrency: 4, mayFetchAhead: () => true }, limits);
    let consumed = 0;
    let mostAhead = 0;
    const ranges = hours(5);
    const ids = await drainInOrder(prefetcher, ranges, () => {
      consumed += 1;
      // Served but not yet drained: the gate's pages plus one page each of the 3 ranges read ahead.
      mostAhead = Math.max(mostAhead, source.served - consumed);
    });
    expect(ids).toHaveLength(5 * 200 * 10);
    // In order: every page of the first range before any of the second, and so on.
    expect(ids.map((id) => Number(id.split('-')[0]))).toEqual(ranges.flatMap(([from, to]) => Array(2000).fill(apiRange(from, to).after)));
    expect(mostAhead).toBeGreaterThan(1);
    expect(mostAhead).toBeLessThanOrEqual(limits.maxBufferedPages + 3);
    expect(source.maxInFlight).toBeLessThanOrEqual(4);
    expect(source.maxInFlight).toBeGreaterThan(1);
    expect(prefetcher.heldBytes).toBe(0);
  });

  it('reads as many ranges at once as the pace allows, and only one before the source has answered', async () => {
    const source = new PagedSource(3, { latencySeconds: 0.1, requestsPerSecond: 40 });
    const prefetcher = new Prefetcher(source, { concurrency: 16, mayFetchAhead: () => true });
    await drainInOrder(prefetcher, hours(12));
    expect(source.maxInFlight).toBe(3);
    const silent = new PagedSource(3, {});
    await drainInOrder(new Prefetcher(silent, { concurrency: 16, mayFetchAhead: () => true }), hours(6));
    expect(silent.maxInFlight).toBe(1);
  });

  it('cancels the ranges read ahead that are no longer expected (a shrunk window) and never drains them', async () => {
    const source = new PagedSource(50, fast);
    const prefetcher = new Prefetcher(source, { concurrency: 4, mayFetchAhead: () => true });
    const [a, b, c] = hours(3);
    const first = prefetcher.take(apiRange(...a!), {}, () => [b!, c!]);
    for await (const _ of first.drain()) break; // the window shrinks after its first page
    // The window is now [T0, T0 + 30 min): the hour ranges after it are not what comes next.
    const shrunk: [number, number] = [T0, T0 + HOUR / 2];
    const next: [number, number] = [T0 + HOUR / 2, T0 + HOUR + HOUR / 2];
    const stream = prefetcher.take(apiRange(...shrunk), {}, () => [next]);
    let pages = 0;
    for await (const _ of stream.drain()) pages += 1;
    expect(pages).toBe(50);
    for (const r of [a, b, c]) expect(source.returned.has(apiRange(...r!).after)).toBe(true);
    await tick();
    expect(prefetcher.ahead).toBe(1);
    prefetcher.close();
  });

  it('raises a range’s failure when that range is drained, after its pages, and not before', async () => {
    const ranges = hours(3);
    const broken = apiRange(...ranges[1]!).after;
    const source = new PagedSource(4, fast, { after: broken, pages: 2 });
    const prefetcher = new Prefetcher(source, { concurrency: 4, mayFetchAhead: () => true });
    const seen: string[] = [];
    const first = prefetcher.take(apiRange(...ranges[0]!), {}, () => ranges.slice(1));
    for await (const page of first.drain()) seen.push(page.entries[0]!.id);
    expect(seen).toHaveLength(4);
    const second = prefetcher.take(apiRange(...ranges[1]!), {}, () => ranges.slice(2));
    await expect(async () => {
      for await (const page of second.drain()) seen.push(page.entries[0]!.id);
    }).rejects.toThrow(`range ${broken} broke`);
    expect(seen.slice(4)).toEqual([`${broken}-0-0`, `${broken}-1-0`]);
    prefetcher.close();
  });

  it('reads nothing ahead when the run may not (out of time), and nothing at all after close', async () => {
    const source = new PagedSource(5, fast);
    let allowed = false;
    const prefetcher = new Prefetcher(source, { concurrency: 8, mayFetchAhead: () => allowed });
    const ranges = hours(4);
    const first = prefetcher.take(apiRange(...ranges[0]!), {}, () => ranges.slice(1));
    for await (const _ of first.drain()) prefetcher.refill();
    expect(source.asked).toEqual([apiRange(...ranges[0]!)]);
    allowed = true;
    const second = prefetcher.take(apiRange(...ranges[1]!), {}, () => ranges.slice(2));
    for await (const _ of second.drain()) break;
    expect(source.asked.length).toBeGreaterThan(2);
    prefetcher.close();
    await tick();
    const served = source.served;
    for (let i = 0; i < 10; i++) await tick();
    expect(source.served).toBe(served);
    for (const r of source.asked) expect(source.returned.has(r.after)).toBe(true);
    // The requests in flight are called off, not left to finish; the range drained to its end was not.
    expect(source.signals).toHaveLength(source.asked.length);
    expect(source.signals[0]!.aborted).toBe(false);
    for (const signal of source.signals.slice(1)) expect(signal.aborted).toBe(true);
  });
});

describe('Prefetcher with a broken caller or source', () => {
  it('reads one range at a time from a source whose pace() throws, and never fails the run for it', async () => {
    const source = new PagedSource(3, fast);
    source.pace = () => {
      throw new Error('pace is broken');
    };
    const ids = await drainInOrder(new Prefetcher(source, { concurrency: 8, mayFetchAhead: () => true }), hours(3));
    expect(ids).toHaveLength(3 * 3 * 10);
    expect(source.maxInFlight).toBe(1);
  });
});
