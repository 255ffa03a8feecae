/**
 * Plans windows that finish within the run's time budget. A window that cannot be fetched in
 * one run would be re-fetched from its start every run and never close (adoption needs the
 * full page walk), so before writing anything the planner estimates the window's fetch time —
 * from the density of the windows before it (pages per second of window) and from the first
 * page's `pages.total_pages` — and shrinks the window when the estimate exceeds the time left.
 */
import type { StoredManifest } from '../archive/chain.ts';
import { isWindowKind } from '../archive/manifest.ts';

/** Share of the time left a window's planned fetch may take: the rest absorbs estimation error and the writes. */
export const PLAN_SHARE = 0.6;
/** A shrunk window aims this far below the budget, so the next first page (and the time it took) does not shrink it again. */
const SHRINK_HEADROOM = 0.7;

/** A window (or its first page) that the plan says must end earlier: nothing of it was written yet. */
export class ShrinkWindow extends Error {
  constructor(readonly to: number) {
    super(`window shrunk to end at ${to}`);
    this.name = 'ShrinkWindow';
  }
}

/** The run's time ran out inside a window, before any part of it was written: the run ends cleanly. */
export class OutOfTime extends Error {
  constructor(readonly from: number) {
    super('the run is out of time');
    this.name = 'OutOfTime';
  }
}

export class WindowPlanner {
  /** Pages per second of window time, from the last window closed (this run's, or the head's). */
  #density: number | undefined;
  /** Seconds of run time per page, measured by this run. */
  #secondsPerPage: number | undefined;

  constructor(
    private readonly timeLeft: (() => number) | undefined,
    private readonly minSpan: number,
  ) {}

  /** Starts from the density of the chain head's window, when it is one. */
  static fromHead(timeLeft: (() => number) | undefined, minSpan: number, head: StoredManifest): WindowPlanner {
    const planner = new WindowPlanner(timeLeft, minSpan);
    const m = head.manifest;
    if (isWindowKind(m.kind) && m.to > m.from && m.api.pages > 0) planner.#density = m.api.pages / (m.to - m.from);
    return planner;
  }

  /** Pages per second of window time of the last window closed (or the head's), if known. */
  get density(): number | undefined {
    return this.#density;
  }

  get budgeted(): boolean {
    return this.timeLeft !== undefined;
  }

  /** True when the run has no time left for another page. */
  outOfTime(): boolean {
    return this.timeLeft !== undefined && this.timeLeft() <= 0;
  }

  /**
   * Whether a page of the range starting at `rangeStart` may be read ahead while the window from
   * `from` is filled: always without a budget; with one, only when the run is expected to reach
   * that range with time to spare (density × window time × seconds per page within the planned
   * share of the time left, counting the `pending` pages asked ahead and not yet come as spent),
   * and never before this run has learned its pace. Read-ahead pages cost a budgeted run its time
   * too, so they must never crowd out the window being filled.
   */
  reaches(from: number, rangeStart: number, pending = 0): boolean {
    if (this.timeLeft === undefined) return true;
    const left = this.timeLeft();
    if (!(left > 0) || this.#density === undefined || this.#secondsPerPage === undefined) return false;
    return (this.#density * Math.max(0, rangeStart - from) + 1 + pending) * this.#secondsPerPage <= left * PLAN_SHARE;
  }

  /** Learns from a closed window: its density and the run time each of its pages took. */
  record(window: { from: number; to: number; pages: number; seconds: number }): void {
    if (window.pages <= 0 || window.to <= window.from) return;
    this.#density = window.pages / (window.to - window.from);
    if (window.seconds > 0) this.#secondsPerPage = window.seconds / window.pages;
  }

  /**
   * The window end the density allows for [from, to), never before `floor` (what a dead run wrote
   * must be covered); undefined when not even the smallest window fits the time left (the run ends).
   */
  plan(from: number, to: number, floor: number): number | undefined {
    if (this.#density === undefined || this.#secondsPerPage === undefined) return to;
    const density = this.#density;
    const secondsPerPage = this.#secondsPerPage;
    // Pages come whole, and a window's last range costs one more than its share.
    return this.#fit(from, to, floor, (span) => (Math.ceil(density * span) + 1) * secondsPerPage);
  }

  /**
   * After the window's first page: `totalPages` of the first range of `rangeSpan` seconds, which
   * took `firstPageSeconds`. Throws ShrinkWindow when the window would not fit the time left.
   */
  checkFirstPage(from: number, to: number, floor: number, page: { totalPages: number; rangeSpan: number; firstPageSeconds: number }): void {
    if (this.timeLeft === undefined) return;
    const secondsPerPage = this.#secondsPerPage ?? page.firstPageSeconds;
    if (!(secondsPerPage > 0)) return;
    const rangeSpan = Math.max(1, page.rangeSpan);
    const planned = this.#fit(from, to, floor, (span) => Math.ceil((page.totalPages * span) / rangeSpan) * secondsPerPage);
    if (planned === undefined) throw new OutOfTime(from);
    if (planned < to) throw new ShrinkWindow(planned);
  }

  /**
   * `to` when the window's estimated seconds (`secondsFor` its span) fit the budget, else an
   * earlier end that fits with headroom; never below `floor` or the minimum span — undefined
   * when even that would not fit (no window is started).
   */
  #fit(from: number, to: number, floor: number, secondsFor: (span: number) => number): number | undefined {
    const estimate = secondsFor(to - from);
    if (this.timeLeft === undefined || !(estimate > 0)) return to;
    const budget = Math.max(0, this.timeLeft()) * PLAN_SHARE;
    if (estimate <= budget) return to;
    const smallest = Math.min(to, Math.max(from + Math.max(1, this.minSpan), floor));
    // What a dead run wrote must be covered whatever the estimate (one run fetched it before); else end the run.
    if (secondsFor(smallest - from) > budget) return smallest > from + this.minSpan ? smallest : undefined;
    const span = Math.floor(((to - from) * budget * SHRINK_HEADROOM) / estimate);
    return Math.min(to, Math.max(smallest, from + span));
  }
}
