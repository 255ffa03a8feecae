/**
 * Fetches the pages covering a window in API ranges, owning the range span (halved on repeated
 * 5xx, never below the minimum) and the reading ahead of the ranges after the one being filled
 * (`Prefetcher`: pages, not whole ranges, so memory is bounded whatever the range sizes).
 */
import { IntercomUnavailableError } from '../errors.ts';
import type { ActivityLogSource, FetchRangeOptions } from '../ports.ts';
import type { ActivityPage } from '../intercom/schema.ts';
import { Prefetcher, apiRange } from './Prefetcher.ts';
import type { RunCounters } from './RunCounters.ts';
import { DAY_SECONDS, type ResolvedSettings, latestEnd } from './settings.ts';

type FetcherSettings = Pick<ResolvedSettings, 'windowSeconds' | 'minRangeSeconds' | 'concurrency' | 'until' | 'observer'> &
  Partial<Pick<ResolvedSettings, 'now'>>;

export class RangeFetcher {
  #span: number;
  readonly #prefetcher: Prefetcher;

  constructor(
    source: ActivityLogSource,
    private readonly settings: FetcherSettings,
    private readonly counters: RunCounters,
    /**
     * false while no page of a range starting at `rangeStart` may be asked ahead of the window
     * from `from` being filled, `pending` pages being asked ahead already (the run would not reach
     * it in time, or is asked to stop).
     */
    mayFetchAhead: (from: number, rangeStart: number, pending: number) => boolean = () => true,
    /** Pages per second of window time of the windows before (the planner's density), if known. */
    private readonly density: () => number | undefined = () => undefined,
  ) {
    this.#span = settings.windowSeconds;
    this.#windowSpan = this.#span;
    this.#prefetcher = new Prefetcher(source, {
      concurrency: settings.concurrency,
      mayFetchAhead: (range, pending) => mayFetchAhead(this.#filling, range.after + 1, pending),
    });
  }

  /** The start of the window being filled, and the span of its ranges. */
  #filling = Number.NEGATIVE_INFINITY;
  #windowSpan: number;
  /** Pages per second of window time the last range's first page reported (`total_pages`). */
  #observedDensity: number | undefined;
  /** The span ranges are cut to while read ahead, once decided (it then stays for the run). */
  #cutSpan: number | undefined;

  /** The longest API range asked for now (in the window being filled). */
  get span(): number {
    return this.#windowSpan;
  }

  /** Pages covering [from, to), in API ranges of at most `span`, halving the span on repeated 5xx. */
  async *pagesCovering(from: number, to: number, ranges: [number, number][]): AsyncGenerator<ActivityPage> {
    this.#filling = from;
    this.#windowSpan = this.#spanFor(to - from);
    let cursor = from;
    while (cursor < to) {
      const end = this.#prefetcher.endOfRangeAt(cursor, to) ?? Math.min(cursor + this.#windowSpan, to);
      // A second of margin on both sides; the window filter decides membership.
      const range = apiRange(cursor, end);
      try {
        const stream = this.#prefetcher.take(range, this.#options(), () => this.#upcoming(end, to));
        let first = true;
        for await (const page of stream.drain()) {
          // A range's first page says how many it has: the density the ranges after it are cut by.
          if (first && page.totalPages !== undefined) this.#observedDensity = page.totalPages / Math.max(1, end - cursor);
          first = false;
          this.counters.pages += 1;
          yield page;
          // The source's pace is better known with every page: read more ranges ahead if it allows.
          this.#prefetcher.refill();
        }
        ranges.push([range.after, range.before]);
        cursor = end;
      } catch (error) {
        if (this.#halveOn(error, end - cursor)) continue;
        throw error;
      }
    }
  }

  /**
   * The span of a window's ranges: `span`, or — once ranges are read ahead for latency — the span
   * ranges are cut to, decided once for the run (`Prefetcher.cutSpan`) so that the ranges read
   * ahead stay the ranges asked for: one range's pages come one after another, so a window read
   * as one range would wait on its own pages however many ranges after it were read ahead.
   */
  #spanFor(_windowLength: number): number {
    if (this.#cutSpan === undefined) {
      const density = this.#observedDensity ?? this.density();
      this.#cutSpan = this.#prefetcher.cutSpan(this.settings.windowSeconds, this.settings.minRangeSeconds, density);
    }
    return Math.min(this.#span, this.#cutSpan ?? this.#span);
  }

  /** Stops every read ahead: the run is over (or failed). */
  close(): void {
    this.#prefetcher.close();
  }

  /**
   * The ranges expected after [.., end) of the window ending at `windowEnd`: the rest of this
   * window, then whole windows up to `until` (or now). A window the planner shrinks, or a range
   * halved, makes some of them unexpected: they are cancelled, not used.
   */
  *#upcoming(end: number, windowEnd: number): Generator<[number, number]> {
    const now = this.settings.now;
    const latest = now ? latestEnd({ now, until: this.settings.until }) : this.settings.until;
    let cursor = end;
    let windowTo = windowEnd;
    let span = this.#windowSpan;
    while (cursor < latest) {
      if (cursor >= windowTo) {
        // Windows after this one only once their cut is decided: ranges read ahead cut otherwise would be wasted.
        span = this.#spanFor(this.settings.windowSeconds);
        if (this.#cutSpan === undefined) return;
        windowTo = Math.min(cursor + this.settings.windowSeconds, latest);
      }
      const rangeEnd = this.#prefetcher.endOfRangeAt(cursor, windowTo) ?? Math.min(cursor + span, windowTo);
      yield [cursor, rangeEnd];
      cursor = rangeEnd;
    }
  }

  /** Halves the span after repeated 5xx (true), unless it is at the minimum or the error is another. */
  #halveOn(error: unknown, failedSpan: number): boolean {
    if (!(error instanceof IntercomUnavailableError && error.kind === 'server' && this.#span > this.settings.minRangeSeconds)) return false;
    this.#span = Math.max(this.settings.minRangeSeconds, Math.floor(Math.min(this.#span, failedSpan) / 2));
    this.#windowSpan = Math.min(this.#windowSpan, this.#span);
    this.#prefetcher.clear();
    this.settings.observer.onWarning?.(
      `Intercom answered ${error.status ?? '5xx'} repeatedly for a ${formatSpan(failedSpan)} range; asking in ranges of ${formatSpan(this.#span)} from now on`,
    );
    return true;
  }

  /** Above the minimum span a range gives up on 5xx early: a smaller range is asked instead. */
  #options(): FetchRangeOptions {
    return this.#span > this.settings.minRangeSeconds ? { maxServerRetries: 2 } : {};
  }
}

function formatSpan(seconds: number): string {
  if (seconds % DAY_SECONDS === 0) return `${seconds / DAY_SECONDS} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}
