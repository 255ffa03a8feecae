/**
 * Attacks on reading ranges ahead (issue 28 item 1): pages that grow once the concurrency is
 * chosen, and a run that ends while ranges are still being read.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityPage, TimeRange } from '../../../../lambdas/core/intercom/schema.ts';
import type { ActivityLogSource, SourcePace } from '../../../../lambdas/core/ports.ts';
import { Prefetcher, apiRange } from '../../../../lambdas/core/collect/Prefetcher.ts';

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

describe('reading ahead (attacks)', () => {
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
});
