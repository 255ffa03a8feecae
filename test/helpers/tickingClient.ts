/**
 * The real IntercomClient against a running simulator, over HTTP, with a hook called once per
 * page it hands to the collector: a test clock advances there, so a run's time budget is counted
 * in pages fetched and never depends on how fast the machine is.
 */
import { IntercomClient } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import type { FetchRangeOptions } from '../../lambdas/core/ports.ts';
import type { ActivityPage, TimeRange } from '../../lambdas/core/intercom/schema.ts';
import type { RunningSimulator } from '../../simulator/server.ts';

export class TickingClient extends IntercomClient {
  /** Pages handed to the collector so far. */
  pagesYielded = 0;

  constructor(
    sim: RunningSimulator,
    private readonly onPage: () => void,
    perPage = 25,
  ) {
    super({ token: sim.token, baseUrl: sim.url, perPage, sleep: async () => undefined, timeoutMs: 10_000, maxRetries: 12 });
  }

  override async *fetchRange(range: TimeRange, options?: FetchRangeOptions, signal?: AbortSignal): AsyncGenerator<ActivityPage> {
    for await (const page of super.fetchRange(range, options, signal)) {
      this.pagesYielded += 1;
      this.onPage();
      yield page;
    }
  }
}
