/**
 * Attacks on reading ranges ahead (issue 28 item 1): pages that grow once the concurrency is
 * chosen, and a run that ends while ranges are still being read.
 */
import { describe, expect, it } from 'vitest';
import { Prefetcher, apiRange } from '../../../../lambdas/core/collect/Prefetcher.ts';
import type { ActivityPage, TimeRange } from '../../../../lambdas/core/intercom/schema.ts';
import type { ActivityLogSource, FetchRangeOptions, SourcePace } from '../../../../lambdas/core/ports.ts';
import { collect } from '../../../../lambdas/core/collect/collect.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { crashingStore } from '../../../helpers/collecting.ts';
import { duplicateIds, listedLines } from '../../../helpers/archive.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { MemorySource, spreadEntries } from '../../../helpers/MemorySource.ts';

const HOUR = 3600;
const T0 = Date.UTC(2025, 2, 3) / 1000;
const MiB = 1024 * 1024;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every range `pages` pages; the first of each small, the others `bigBytes` (a quiet hour's first page, then busy ones). */
class GrowingSource implements ActivityLogSource {
  readonly host = 'api.growing.test';
  readonly apiVersion = '2.17';
  readonly perPage = 10;
  largest = 0;

  constructor(
    private readonly pages: number,
    private readonly bigBytes: number,
  ) {}

  pace(): SourcePace {
    // Honest: the largest page it has served so far.
    return { latencySeconds: 1, requestsPerSecond: 1000, ...(this.largest > 0 && { largestPageBytes: this.largest }) };
  }

  async workspaceId(): Promise<string> {
    return 'ws-growing';
  }

  async *fetchRange(range: TimeRange): AsyncGenerator<ActivityPage> {
    for (let p = 0; p < this.pages; p++) {
      await tick();
      const bytes = p === 0 ? 1000 : this.bigBytes;
      this.largest = Math.max(this.largest, bytes);
      const entries = [{ id: `${range.after}-${p}`, created_at: range.after + 1, activity_type: 'admin_login_success' }];
      yield { entries, quarantined: [], bytes } as unknown as ActivityPage;
    }
  }
}

const DAY = 86_400;

/** A MemorySource (no pace: read the configured concurrency at once) that tells whether a page was asked for after the run ended. */
class TrackedSource extends MemorySource {
  open = 0;
  maxOpen = 0;
  askedAfterEnd = 0;
  ended = false;

  override async *fetchRange(range: TimeRange, options?: FetchRangeOptions): AsyncGenerator<ActivityPage> {
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    try {
      for await (const page of super.fetchRange(range, options)) {
        await tick();
        yield page;
        // Resumed: the collector asked for the next page.
        if (this.ended) this.askedAfterEnd += 1;
      }
    } finally {
      this.open -= 1;
    }
  }
}

const settings = {
  workspaceId: 'ws-memory',
  collectorVersion: '0.0.0-test',
  since: T0,
  until: T0 + 8 * DAY,
  windowSeconds: DAY,
  lookbackSeconds: 0,
  concurrency: 16,
  now: () => new Date((T0 + 30 * DAY) * 1000),
};

describe('reading ahead (attacks)', () => {
  it('a run killed while ranges are read ahead, rerun at once: every entry listed once, nothing read after either run ended', async () => {
    const entries = spreadEntries('e', T0, T0 + 8 * DAY, 8 * 300);
    const probe = new MemoryObjectStore();
    const probeSource = new TrackedSource(entries, { perPage: 50 });
    await collect(probeSource, probe, { ...settings, runId: 'probe' });
    // Several windows read at once: the kills below land while ranges are read ahead.
    expect(probeSource.maxOpen).toBeGreaterThan(4);
    const totalPuts = probe.puts;
    expect(totalPuts).toBeGreaterThan(8);
    for (let crashAt = 1; crashAt <= totalPuts; crashAt += 2) {
      for (const when of ['before', 'after'] as const) {
        const store = new MemoryObjectStore();
        const killed = new TrackedSource(entries, { perPage: 50 });
        await expect(collect(killed, crashingStore(store, crashAt, when), { ...settings, runId: 'killed' })).rejects.toThrow(
          /simulated crash/,
        );
        killed.ended = true;
        const rerunSource = new TrackedSource(entries, { perPage: 50 });
        await collect(rerunSource, store, { ...settings, runId: 'rerun' });
        rerunSource.ended = true;
        for (let i = 0; i < 5; i++) await tick();
        // Every range read ahead was called off when its run ended: none left open, none read on.
        expect([killed.open, killed.askedAfterEnd, rerunSource.open, rerunSource.askedAfterEnd]).toEqual([0, 0, 0, 0]);
        const lines = await listedLines(store);
        expect(duplicateIds(lines)).toEqual([]);
        expect(lines.length, `crash ${when} put ${crashAt}`).toBe(entries.length);
        expect((await verifyArchive(store)).ok).toBe(true);
      }
    }
  });

  it('holds at most its byte bound and one page more once a page of that size was seen, however many ranges are read', async () => {
    const source = new GrowingSource(12, MiB);
    const prefetcher = new Prefetcher(source, { concurrency: 16, mayFetchAhead: () => true });
    const ranges = Array.from({ length: 32 }, (_, i) => [T0 + i * HOUR, T0 + (i + 1) * HOUR] as [number, number]);
    const held: number[] = [];
    let pages = 0;
    for (let i = 0; i < ranges.length; i++) {
      const [from, to] = ranges[i]!;
      const stream = prefetcher.take(apiRange(from, to), {}, () => ranges.slice(i + 1));
      for await (const _ of stream.drain()) {
        pages += 1;
        held.push(prefetcher.heldBytes);
        prefetcher.refill();
        await tick();
      }
    }
    expect(pages).toBe(32 * 12);
    // The first large pages were asked for before any was seen (16 ranges read at once on 1 kB
    // pages) and are held until drained; once those 16 ranges are, the gate knows the size of a
    // page and must keep to its bound.
    const later = held.slice(16 * 12);
    expect(later).toHaveLength(16 * 12);
    expect(Math.max(...later)).toBeLessThanOrEqual(8 * MiB + MiB);
    expect(prefetcher.heldBytes).toBe(0);
  });

  it('never deadlocks: ranges waiting at a full gate, then told they may not read ahead (out of time), are read whole when their turn comes', async () => {
    const source = new GrowingSource(6, 2000);
    let drained = 0;
    const prefetcher = new Prefetcher(
      source,
      { concurrency: 8, mayFetchAhead: () => drained < 3 },
      { maxBufferedBytes: 1_000_000, maxBufferedPages: 2 },
    );
    const ranges = Array.from({ length: 10 }, (_, i) => [T0 + i * HOUR, T0 + (i + 1) * HOUR] as [number, number]);
    const ids: string[] = [];
    for (let i = 0; i < ranges.length; i++) {
      const [from, to] = ranges[i]!;
      const stream = prefetcher.take(apiRange(from, to), {}, () => ranges.slice(i + 1));
      for await (const page of stream.drain()) {
        drained += 1;
        ids.push(...page.entries.map((e) => e.id));
        prefetcher.refill();
      }
    }
    expect(ids).toEqual(ranges.flatMap(([from, to]) => Array.from({ length: 6 }, (_, p) => `${apiRange(from, to).after}-${p}`)));
    expect(prefetcher.heldBytes).toBe(0);
  });
});
