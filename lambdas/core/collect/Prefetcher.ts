/**
 * Reads the API ranges after the one being filled while it is filled: as many at once as the
 * source's observed latency and rate budget allow (never more than its share of the budget),
 * each a page at a time into a gate bounded in bytes and pages, so memory does not depend on
 * how large a range is or how many are read at once.
 */
import type { TimeRange } from '../intercom/schema.ts';
import type { ActivityLogSource, FetchRangeOptions, SourcePace } from '../ports.ts';
import { PrefetchGate, RangeStream } from './RangeStream.ts';

/** What prefetching may hold at once, whatever the concurrency and range sizes. */
export const PREFETCH_LIMITS = {
  /** Page bodies held ahead of the filler (as served; parsed they take two to three times that). */
  maxBufferedBytes: 8 * 1024 * 1024,
  maxBufferedPages: 64,
} as const;

/**
 * Pages a range is cut to while ranges are read ahead: one range's pages come one after another,
 * so a window read as one long range waits on itself; each range costs one partial page more.
 */
export const PAGES_PER_RANGE = 4;
/** Windows are cut only when at least this many ranges are read at once (latency, not work, is what the run waits on). */
const MIN_READING_TO_CUT = 4;
/**
 * At most this many ranges per range read at once in a window: every range read ahead must
 * finish inside the bound (64 pages, at most 8 per range) before the filler reaches it, or its
 * last pages are read one after another while the filler waits.
 */
const RANGES_PER_READER = 4;

/** Ranges read at once when the source reports a latency but no rate budget. */
const WITHOUT_BUDGET = 4;
/** Share of the budget the ranges read at once may use: at the exact budget every window ends in a wait for its reset. */
const BUDGET_HEADROOM = 0.9;

/**
 * How many ranges to read at once (the one being filled included). Each keeps one request in
 * flight, so n ranges send n / latency requests a second: n is the budget share times the
 * latency, never more than `max`, and no more than the gate holds pages of the largest size seen.
 * A source that reports no pace at all (one without a network) is read `max` ranges at once; a
 * source that does, one range at a time until its first answer.
 */
export function chooseConcurrency(pace: SourcePace | undefined, max: number, maxBufferedBytes: number): number {
  if (max <= 1) return 1;
  if (!pace) return max;
  if (pace.latencySeconds === undefined) return 1;
  const byBudget =
    pace.requestsPerSecond === undefined ? WITHOUT_BUDGET : Math.floor(BUDGET_HEADROOM * pace.requestsPerSecond * pace.latencySeconds);
  const byMemory = pace.largestPageBytes ? Math.floor(maxBufferedBytes / pace.largestPageBytes) : max;
  return Math.max(1, Math.min(max, byBudget, byMemory));
}

/** The API range asked for [cursor, end): a second of margin on both sides. */
export const apiRange = (cursor: number, end: number): TimeRange => ({ after: cursor - 1, before: end + 1 });
const keyOf = (range: TimeRange) => `${range.after}:${range.before}`;

export interface PrefetchSettings {
  /** Most ranges read at once. */
  readonly concurrency: number;
  /**
   * false while no page of `range` may be asked ahead, `pending` pages being asked ahead already
   * (the run would not reach it in time, or is asked to stop).
   */
  readonly mayFetchAhead: (range: TimeRange, pending: number) => boolean;
}

export class Prefetcher {
  readonly #streams = new Map<string, RangeStream>();
  readonly #gate: PrefetchGate;
  #upcoming: () => Iterable<[number, number]> = () => [];
  #options: FetchRangeOptions = {};
  #closed = false;

  constructor(
    private readonly source: ActivityLogSource,
    private readonly settings: PrefetchSettings,
    limits: { maxBufferedBytes: number; maxBufferedPages: number } = PREFETCH_LIMITS,
  ) {
    this.#gate = new PrefetchGate(limits.maxBufferedBytes, limits.maxBufferedPages, settings.mayFetchAhead);
  }

  /** Bytes of pages read ahead and not yet drained. */
  get heldBytes(): number {
    return this.#gate.heldBytes;
  }

  /** How many ranges the source's pace allows at once now (the one being filled included). */
  concurrency(): number {
    return chooseConcurrency(this.#pace(), Math.max(1, this.settings.concurrency), this.#gate.maxBytes);
  }

  /**
   * The span to cut ranges to while they are read ahead: windows of `windowSeconds` at
   * `pagesPerSecond` (the density seen) cut into a power of two of ranges of about
   * PAGES_PER_RANGE pages, at most RANGES_PER_READER per range read at once, never below `minSpan`; `windowSeconds`
   * itself when cutting buys nothing (a source without a network, a window of few pages); undefined
   * while it cannot be decided yet (the source has not answered, the density is unknown).
   */
  cutSpan(windowSeconds: number, minSpan: number, pagesPerSecond: number | undefined): number | undefined {
    if (!this.source.pace) return windowSeconds;
    if (this.#pace()?.latencySeconds === undefined || pagesPerSecond === undefined) return undefined;
    const reading = this.concurrency();
    const wanted = (pagesPerSecond * windowSeconds) / PAGES_PER_RANGE;
    // Below a few ranges at once the network is not what the run waits on: cutting would only cost requests.
    if (reading < MIN_READING_TO_CUT || wanted < 2) return windowSeconds;
    const ranges = Math.min(RANGES_PER_READER * 2 ** Math.floor(Math.log2(reading)), 2 ** Math.ceil(Math.log2(wanted)));
    return Math.max(minSpan, Math.ceil(windowSeconds / ranges));
  }

  /**
   * The end of a range read ahead that starts at `cursor` and ends by `limit`, if there is one: the
   * collector takes it as the next range rather than cut the window anew (the cut follows the pace,
   * which may have moved since it was read).
   */
  endOfRangeAt(cursor: number, limit: number): number | undefined {
    for (const stream of this.#streams.values()) {
      const end = stream.range.before - 1;
      if (stream.range.after === cursor - 1 && end <= limit && end > cursor && !stream.cancelled) return end;
    }
    return undefined;
  }

  /** Ranges being read ahead (for tests and progress). */
  get ahead(): number {
    return this.#streams.size;
  }

  /**
   * The pages of `range`: read ahead already, or from now on. `upcoming` lists the ranges expected
   * after it, in order; a range read ahead that is no longer expected is cancelled.
   */
  take(range: TimeRange, options: FetchRangeOptions, upcoming: () => Iterable<[number, number]>): RangeStream {
    this.#upcoming = upcoming;
    this.#options = options;
    const key = keyOf(range);
    const ahead = this.#streams.get(key);
    this.#streams.delete(key);
    // The ranges after it are asked for first: their first answers overlap this range's.
    this.refill();
    const stream = ahead && !ahead.cancelled ? ahead : this.#start(key, range, options, true);
    stream.attached = true;
    return stream;
  }

  /** Starts reading the next expected ranges, up to the concurrency the source's pace allows; cancels the unexpected. */
  refill(): void {
    if (this.#closed) return;
    const max = Math.max(1, this.settings.concurrency);
    const wanted = this.concurrency() - 1;
    const expected: TimeRange[] = [];
    if (max > 1) {
      for (const [cursor, end] of this.#upcoming()) {
        expected.push(apiRange(cursor, end));
        if (expected.length >= max - 1) break;
      }
    }
    const keys = new Set(expected.map(keyOf));
    for (const [key, stream] of this.#streams) if (!keys.has(key)) this.#drop(key, stream);
    let reading = [...this.#streams.values()].filter((s) => s.active).length;
    for (const range of expected) {
      if (reading >= wanted || !this.settings.mayFetchAhead(range, 0)) break;
      const key = keyOf(range);
      if (this.#streams.has(key)) continue;
      this.#streams.set(key, this.#start(key, range, this.#options, false));
      reading += 1;
    }
  }

  /** Cancels everything read ahead (the span changed, or the run ends). */
  clear(): void {
    for (const [key, stream] of this.#streams) this.#drop(key, stream);
  }

  /** Cancels everything read ahead and starts nothing more: the run is over. */
  close(): void {
    this.#closed = true;
    this.clear();
  }

  /** The source's pace; one that cannot tell (it threw) is read one range at a time, never failing the run. */
  #pace(): SourcePace | undefined {
    if (!this.source.pace) return undefined;
    try {
      return this.source.pace();
    } catch {
      return {};
    }
  }

  #start(key: string, range: TimeRange, options: FetchRangeOptions, attached: boolean): RangeStream {
    return new RangeStream({ key, source: this.source, range, options, attached }, this.#gate, () => this.refill());
  }

  #drop(key: string, stream: RangeStream): void {
    this.#streams.delete(key);
    stream.cancel();
  }
}
