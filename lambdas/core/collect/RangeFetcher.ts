/**
 * Fetches the pages covering a window in API ranges, owning the range span (halved on repeated
 * 5xx, never below the minimum) and the ranges prefetched ahead when `concurrency` > 1.
 */
import { IntercomUnavailableError } from '../errors.ts';
import type { ActivityLogSource, FetchRangeOptions } from '../ports.ts';
import type { ActivityPage, TimeRange } from '../intercom/schema.ts';
import type { RunCounters } from './RunCounters.ts';
import { DAY_SECONDS, type ResolvedSettings } from './settings.ts';

type FetcherSettings = Pick<ResolvedSettings, 'windowSeconds' | 'minRangeSeconds' | 'concurrency' | 'until' | 'observer'>;

export class RangeFetcher {
  #span: number;
  /**
   * Ranges fetched ahead of time when `concurrency` > 1: each holds a whole range's pages in
   * memory, so memory grows with concurrency × range size; with 1 (the default) pages stream.
   */
  readonly #prefetched = new Map<string, Promise<ActivityPage[]>>();

  constructor(
    private readonly source: ActivityLogSource,
    private readonly settings: FetcherSettings,
    private readonly counters: RunCounters,
  ) {
    this.#span = settings.windowSeconds;
  }

  /** The longest API range asked for now. */
  get span(): number {
    return this.#span;
  }

  /** Pages covering [from, to), in API ranges of at most `span`, halving the span on repeated 5xx. */
  async *pagesCovering(from: number, to: number, ranges: [number, number][]): AsyncGenerator<ActivityPage> {
    // Ranges planned before a window changed shape (adoption after a crash) are of no use now.
    for (const key of this.#prefetched.keys()) if (Number(key.split(':')[0]) + 1 < from) this.#prefetched.delete(key);
    let cursor = from;
    while (cursor < to) {
      const end = Math.min(cursor + this.#span, to);
      // A second of margin on both sides; the window filter decides membership.
      const range = { after: cursor - 1, before: end + 1 };
      try {
        for await (const page of this.#pagesOf(range, end)) {
          this.counters.pages += 1;
          yield page;
        }
        ranges.push([range.after, range.before]);
        cursor = end;
      } catch (error) {
        if (this.#halveOn(error, end - cursor)) continue;
        throw error;
      }
    }
  }

  /** One range's pages: the prefetched ones if this range was fetched ahead, else streamed. */
  async *#pagesOf(range: TimeRange, end: number): AsyncGenerator<ActivityPage> {
    const key = rangeKey(range.after, range.before);
    const ahead = this.#prefetched.get(key);
    if (ahead) {
      this.#prefetched.delete(key);
      this.#prefetchAfter(end);
      yield* await ahead;
    } else {
      this.#prefetchAfter(end);
      yield* this.source.fetchRange(range, this.#options());
    }
  }

  /** Halves the span after repeated 5xx (true), unless it is at the minimum or the error is another. */
  #halveOn(error: unknown, failedSpan: number): boolean {
    if (!(error instanceof IntercomUnavailableError && error.kind === 'server' && this.#span > this.settings.minRangeSeconds)) return false;
    this.#span = Math.max(this.settings.minRangeSeconds, Math.floor(this.#span / 2));
    this.#prefetched.clear();
    this.settings.observer.onWarning?.(
      `Intercom answered ${error.status ?? '5xx'} repeatedly for a ${formatSpan(failedSpan)} range; asking in ranges of ${formatSpan(this.#span)} from now on`,
    );
    return true;
  }

  /** Above the minimum span a range gives up on 5xx early: a smaller range is asked instead. */
  #options(): FetchRangeOptions {
    return this.#span > this.settings.minRangeSeconds ? { maxServerRetries: 2 } : {};
  }

  async #fetchAll(range: TimeRange): Promise<ActivityPage[]> {
    const pages: ActivityPage[] = [];
    for await (const page of this.source.fetchRange(range, this.#options())) pages.push(page);
    return pages;
  }

  /** Starts fetching the ranges of the windows after `from`, up to `concurrency` ranges in flight. */
  #prefetchAfter(from: number): void {
    if (this.settings.concurrency < 2) return;
    let cursor = from;
    while (this.#prefetched.size < this.settings.concurrency && cursor < this.settings.until) {
      const end = Math.min(cursor + this.#span, this.settings.until);
      const key = rangeKey(cursor - 1, end + 1);
      if (!this.#prefetched.has(key)) {
        const promise = this.#fetchAll({ after: cursor - 1, before: end + 1 });
        promise.catch(() => undefined); // consumed (and rethrown) when its window is filled
        this.#prefetched.set(key, promise);
      }
      cursor = end;
    }
  }
}

const rangeKey = (after: number, before: number) => `${after}:${before}`;

function formatSpan(seconds: number): string {
  if (seconds % DAY_SECONDS === 0) return `${seconds / DAY_SECONDS} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}
