import type { ClientSettings } from './settings.ts';

interface RateState {
  limit: number;
  remaining: number;
  resetAtMs: number;
}

/**
 * The workspace's per-10-second rate budget as the last answer reported it (`x-ratelimit-*`),
 * and this app's pacing against it.
 */
export class RateBudget {
  private rate: RateState | undefined;

  constructor(private readonly settings: ClientSettings) {}

  update(headers: Headers): void {
    const limit = Number(headers.get('x-ratelimit-limit'));
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (!headers.has('x-ratelimit-limit') || !Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    this.rate = { limit, remaining, resetAtMs: reset * 1000 };
  }

  /** A new window: the next answer tells us its budget. */
  forget(): void {
    this.rate = undefined;
  }

  untilResetMs(): number | undefined {
    if (!this.rate) return undefined;
    // Reset is in whole seconds: add a little so we never arrive a moment early.
    return Math.max(0, this.rate.resetAtMs - this.settings.now()) + 50 + Math.round(this.settings.random() * 100);
  }

  /**
   * Waits for the next rate window when this app's share of the budget is spent. The budget
   * is per 10-second window and shared with the workspace's other apps, so we keep
   * `(1 - budgetShare) * limit` of it untouched and count our own requests in flight.
   */
  async pace(): Promise<void> {
    const rate = this.rate;
    if (!rate) return;
    if (this.settings.now() >= rate.resetAtMs) {
      this.rate = undefined;
      return;
    }
    const reserve = Math.floor(rate.limit * (1 - this.settings.budgetShare));
    if (rate.remaining <= reserve + 1) {
      const waitMs = this.untilResetMs() ?? 0;
      this.settings.onEvent?.({ type: 'paced', waitMs });
      await this.settings.sleep(waitMs);
      this.rate = undefined;
      return;
    }
    rate.remaining -= 1;
  }
}
