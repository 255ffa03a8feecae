/**
 * What the client observes of its own pace: how long a page takes to arrive (smoothed) and the
 * largest page body so far. The collector reads it, with the rate budget, to choose how many
 * ranges to fetch at once.
 */
export class PaceMeter {
  /** Weight of the newest answer in the smoothed latency. */
  static readonly SMOOTHING = 0.2;
  #latencySeconds: number | undefined;
  #largestPageBytes = 0;

  /** One page read whole: `seconds` from sending the request to the last byte, `bytes` of body. */
  observe(seconds: number, bytes: number): void {
    if (!(seconds >= 0) || !Number.isFinite(seconds)) return;
    this.#latencySeconds =
      this.#latencySeconds === undefined ? seconds : this.#latencySeconds + PaceMeter.SMOOTHING * (seconds - this.#latencySeconds);
    if (bytes > this.#largestPageBytes) this.#largestPageBytes = bytes;
  }

  get latencySeconds(): number | undefined {
    return this.#latencySeconds;
  }

  get largestPageBytes(): number | undefined {
    return this.#largestPageBytes > 0 ? this.#largestPageBytes : undefined;
  }
}
