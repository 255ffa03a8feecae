import type { ClientSettings } from './settings.ts';

interface RateState {
  limit: number;
  remaining: number;
  resetAtMs: number;
}

/** Intercom's rate budget is counted per 10-second window (`X-RateLimit-Limit` is per window). */
export const RATE_WINDOW_SECONDS = 10;

/**
 * The workspace's per-10-second rate budget as the last answer reported it (`x-ratelimit-*`),
 * and this app's pacing against it, with any number of requests in flight at once (the
 * collector reads several ranges at a time through one client).
 */
export class RateBudget {
  private rate: RateState | undefined;
  /** The last limit any answer reported: kept across windows, for choosing concurrency. */
  private lastLimit: number | undefined;
  /** Halved by every 429: a server that answers 429 inside the budget it reports is asked less often. */
  private throttle = 1;
  /** Requests let through whose answer has not come back yet. */
  private inFlight = 0;
  private waitingForAnswer: (() => void)[] = [];

  constructor(private readonly settings: ClientSettings) {}

  /**
   * An answer's budget headers. The requests still in flight were let through against an earlier
   * count and may not be in this one yet, so they are taken off what remains; within one window
   * (the same reset) what remains only ever goes down.
   */
  update(headers: Headers): void {
    const limit = Number(headers.get('x-ratelimit-limit'));
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (!headers.has('x-ratelimit-limit') || !Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    const current = this.rate;
    const next = { limit, remaining: remaining - this.inFlight, resetAtMs: reset * 1000 };
    // Answers overtake each other with several requests in flight: one that arrives late carries an
    // older (higher) count of the same window and must not give back budget already spent.
    if (current && current.resetAtMs === next.resetAtMs) next.remaining = Math.min(next.remaining, current.remaining);
    this.rate = next;
    if (limit > 0) this.lastLimit = limit;
  }

  /** A request pace() let through came back (answered or failed); called before `update`. */
  settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const waiting = this.waitingForAnswer;
    this.waitingForAnswer = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * Requests a second this app's share of the last reported budget allows, halved for every 429
   * this client was answered (down to 1/16); undefined before any answer told it.
   */
  requestsPerSecond(): number | undefined {
    return this.lastLimit === undefined ? undefined : (this.throttle * this.lastLimit * this.settings.budgetShare) / RATE_WINDOW_SECONDS;
  }

  /** A 429 came back: other apps use more of the workspace budget than the headers tell, or the server counts differently. */
  rateLimited(): void {
    this.throttle = Math.max(1 / 16, this.throttle / 2);
  }

  /** A new window: the next answer tells us its budget. */
  forget(): void {
    this.rate = undefined;
  }

  untilResetMs(): number | undefined {
    if (!this.rate) return undefined;
    // Reset is in whole seconds: add a little so we never arrive a moment early. Never more than
    // one rate window: a reset said to be further away is a lie (a run would sleep for days, or
    // past setTimeout's limit not at all and hammer the server).
    const untilReset = Math.min(RATE_WINDOW_SECONDS * 1000, Math.max(0, this.rate.resetAtMs - this.settings.now()));
    return untilReset + 50 + Math.round(this.settings.random() * 100);
  }

  /**
   * Waits until this app may send a request, and counts it as in flight. The budget is per
   * 10-second window and shared with the workspace's other apps, so we keep
   * `(1 - budgetShare) * limit` of it untouched and count our own requests in flight. While the
   * window's budget is unknown (the first request, a new window) one request finds it out and
   * the others wait for its answer.
   */
  async pace(): Promise<void> {
    for (;;) {
      const rate = this.rate;
      if (!rate) {
        if (this.inFlight === 0) break;
        await new Promise<void>((resolve) => this.waitingForAnswer.push(resolve));
        continue;
      }
      if (this.settings.now() >= rate.resetAtMs) {
        this.rate = undefined;
        continue;
      }
      const reserve = Math.floor(rate.limit * (1 - this.settings.budgetShare));
      if (rate.remaining <= reserve + 1) {
        const waitMs = this.untilResetMs() ?? 0;
        this.settings.onEvent?.({ type: 'paced', waitMs });
        await this.settings.sleep(waitMs);
        if (this.rate === rate) this.rate = undefined;
        continue;
      }
      rate.remaining -= 1;
      break;
    }
    this.inFlight += 1;
  }
}
