/**
 * One API range read page by page into a queue the window filler drains, and the gate that
 * bounds what all prefetched ranges hold together. Hand-written because the bound is shared
 * across ranges and the range being drained must never wait on it (it would wait on itself):
 * a per-stream highWaterMark (Node streams, p-queue) bounds each range, not their sum.
 */
import type { ActivityPage, TimeRange } from '../intercom/schema.ts';
import type { ActivityLogSource, FetchRangeOptions } from '../ports.ts';

/** What a page counts against the bound when its source does not say its size. */
const ESTIMATED_ENTRY_BYTES = 1024;

export const pageBytes = (page: ActivityPage): number =>
  page.bytes ?? (page.entries.length + page.quarantined.length) * ESTIMATED_ENTRY_BYTES;

/** Pages one range read ahead may hold: no range far ahead takes the room the next ones need. */
const PER_RANGE_PAGES = 8;

/** Pages fetched ahead and not yet drained, across every range: bounded in bytes and in pages. */
export class PrefetchGate {
  #bytes = 0;
  #pages = 0;
  /** Pages asked for ahead (by streams not being drained) and not yet come. */
  #pending = 0;
  /** The largest page held so far: what each page asked ahead and not yet come may add. */
  #largest = 0;
  #waiters: (() => void)[] = [];
  readonly #waiting = new Set<RangeStream>();

  constructor(
    readonly maxBytes: number,
    readonly maxPages: number,
    /** false while no page of `range` may be asked ahead, with `pending` pages already asked ahead and not yet come. */
    private readonly mayFetchAhead: (range: TimeRange, pending: number) => boolean,
  ) {}

  get heldBytes(): number {
    return this.#bytes;
  }

  /**
   * Resolves when `stream` may ask for its next page: at once when it is being drained; returns
   * whether the page is asked ahead (then `arrived` must be called when it has come).
   */
  async room(stream: RangeStream): Promise<boolean> {
    // Nearest first: the ranges the filler reaches first get the room, or the bound fills with
    // ranges far ahead while the next ones are read a page at a time.
    while (
      !stream.attached &&
      !stream.cancelled &&
      (this.#full() || stream.held >= PER_RANGE_PAGES || this.#nearerWaiting(stream) || !this.mayFetchAhead(stream.range, this.#pending))
    ) {
      this.#waiting.add(stream);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
      this.#waiting.delete(stream);
    }
    const ahead = !stream.attached && !stream.cancelled;
    if (ahead) this.#pending += 1;
    return ahead;
  }

  /** A page asked ahead has come (or its request ended). */
  arrived(): void {
    this.#pending -= 1;
  }

  hold(page: ActivityPage): void {
    this.#largest = Math.max(this.#largest, pageBytes(page));
    this.#bytes += pageBytes(page);
    this.#pages += 1;
  }

  release(page: ActivityPage): void {
    this.#bytes -= pageBytes(page);
    this.#pages -= 1;
    this.wake();
  }

  /** Lets every waiting stream look again (room freed, a stream attached or cancelled). */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  #nearerWaiting(stream: RangeStream): boolean {
    for (const other of this.#waiting) if (other !== stream && !other.cancelled && other.range.after < stream.range.after) return true;
    return false;
  }

  /**
   * Pages asked ahead and not yet come count as held (at the largest size seen): otherwise every
   * waiting range passes at once whenever one page is drained, each adding a page over the bound.
   */
  #full(): boolean {
    return this.#bytes + this.#pending * this.#largest >= this.maxBytes || this.#pages + this.#pending >= this.maxPages;
  }
}

/** A range being read: pages queue until the filler drains them, in the order served. */
export class RangeStream {
  attached = false;
  cancelled = false;
  done = false;
  readonly #queue: ActivityPage[] = [];
  readonly #iterator: AsyncIterator<ActivityPage>;
  /** Calls off the requests in flight when the range is cancelled. */
  readonly #abort = new AbortController();
  #failure: { error: unknown } | undefined;
  #wakeDrain: (() => void) | undefined;
  #wakePump: (() => void) | undefined;
  /** The filler waits for a page of this range: its pump may ask for the next one. */
  #wanted = false;

  readonly key: string;
  readonly range: TimeRange;

  constructor(
    read: { key: string; source: ActivityLogSource; range: TimeRange; options: FetchRangeOptions; attached: boolean },
    private readonly gate: PrefetchGate,
    private readonly onDone: () => void,
  ) {
    this.key = read.key;
    this.range = read.range;
    this.attached = read.attached;
    this.#iterator = read.source.fetchRange(read.range, read.options, this.#abort.signal)[Symbol.asyncIterator]();
    void this.#pump();
  }

  /** Pages it holds, read and not yet drained. */
  get held(): number {
    return this.#queue.length;
  }

  /** True while it still reads from the network. */
  get active(): boolean {
    return !this.done && !this.cancelled;
  }

  /** The range's pages in order; throws what reading it threw, after the pages read before. */
  async *drain(): AsyncGenerator<ActivityPage> {
    this.attached = true;
    this.gate.wake();
    try {
      for (;;) {
        // Only ever cancelled under a drain that has already been left: never read as a complete range.
        if (this.cancelled) throw new Error(`the read of range ${this.key} was cancelled while it was being drained`);
        const page = this.#queue.shift();
        if (page) {
          this.gate.release(page);
          yield page;
        } else if (this.done) {
          if (this.#failure) throw this.#failure.error;
          return;
        } else {
          this.#wanted = true;
          this.#resumePump();
          await new Promise<void>((resolve) => {
            this.#wakeDrain = resolve;
          });
        }
      }
    } finally {
      // Left early (a shrunk window, an error downstream): nothing more of it is wanted.
      if (!this.done) this.cancel();
    }
  }

  /** Stops reading and frees what it holds. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const page of this.#queue.splice(0)) this.gate.release(page);
    this.gate.wake();
    this.#abort.abort();
    this.#iterator.return?.().catch(() => undefined);
    this.#wake();
    this.#resumePump();
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        // Being drained, it asks for a page only when the filler asks for one, as reading one range
        // at a time does (the client already overlaps the next request with the work on this one).
        while (this.attached && !this.cancelled && !this.#wanted) await new Promise<void>((resolve) => (this.#wakePump = resolve));
        const ahead = await this.gate.room(this);
        if (this.cancelled) {
          if (ahead) this.gate.arrived();
          return;
        }
        let next: IteratorResult<ActivityPage>;
        try {
          next = await this.#iterator.next();
        } finally {
          if (ahead) this.gate.arrived();
        }
        if (next.done) return;
        if (this.cancelled) return;
        this.gate.hold(next.value);
        this.#queue.push(next.value);
        this.#wanted = false;
        this.#wake();
      }
    } catch (error) {
      this.#failure = { error };
    } finally {
      this.done = true;
      this.#wake();
      this.onDone();
    }
  }

  #resumePump(): void {
    const resolve = this.#wakePump;
    this.#wakePump = undefined;
    resolve?.();
  }

  #wake(): void {
    const resolve = this.#wakeDrain;
    this.#wakeDrain = undefined;
    resolve?.();
  }
}
