/**
 * Attacks on the client as the collector uses it while reading ranges ahead: several requests in
 * flight through one client, answers that overtake each other, headers that lie.
 */
import { describe, expect, it } from 'vitest';
import { IntercomClient } from '../../../../lambdas/adapters/intercom/IntercomClient.ts';
import type { ActivityPage } from '../../../../lambdas/core/intercom/schema.ts';

const page = { type: 'activity_log.list', pages: { type: 'pages', next: null, page: 1, per_page: 250, total_pages: 1 }, activity_logs: [] };
const limited = { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] };

async function drain(pages: AsyncIterable<ActivityPage>): Promise<number> {
  let n = 0;
  for await (const _ of pages) n += 1;
  return n;
}

/**
 * An honest server counting a budget of `limit` requests per 10 s window, whose answers come
 * back last asked first (one a turn): the latest answer to arrive is the oldest count.
 */
function overtakingServer(limit: number) {
  let now = 0;
  let windowStart = 0;
  let used = 0;
  const statuses: number[] = [];
  const held: (() => void)[] = [];
  let running = true;
  let idle = 0;
  // Waits for the requests sent together, then answers the last one first.
  const release = () =>
    setImmediate(() => {
      idle = held.length > 0 ? idle + 1 : 0;
      if (held.length >= 4 || idle > 20) {
        held.pop()?.();
        idle = 0;
      }
      if (running) release();
    });
  release();
  const fetch = (async () => {
    if (now >= windowStart + 10_000) {
      windowStart = Math.floor(now / 10_000) * 10_000;
      used = 0;
    }
    used += 1;
    const status = used > limit ? 429 : 200;
    statuses.push(status);
    const headers = {
      'content-type': 'application/json',
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-reset': String((windowStart + 10_000) / 1000),
    };
    const response = new Response(JSON.stringify(status === 200 ? page : limited), { status, headers });
    return new Promise<Response>((resolve) => held.push(() => resolve(response)));
  }) as typeof globalThis.fetch;
  const sleep = async (ms: number) => {
    now += ms;
  };
  return { fetch, sleep, now: () => now, statuses, stop: () => (running = false) };
}

describe('read-ahead through one client (attacks)', () => {
  it('answers overtaken by later ones never raise the remaining budget: honest headers, no 429', async () => {
    const server = overtakingServer(20);
    const client = new IntercomClient({ token: 't', fetch: server.fetch, sleep: server.sleep, now: server.now });
    try {
      // The budget is learned first, then eight ranges are read at once, three times over.
      await drain(client.fetchRange({ after: 0, before: 1 }));
      for (let round = 0; round < 3; round += 1) {
        const ranges = Array.from({ length: 8 }, (_, i) => ({ after: round * 100 + i, before: round * 100 + i + 1 }));
        const pages = await Promise.all(ranges.map((r) => drain(client.fetchRange(r))));
        expect(pages).toEqual(Array(8).fill(1));
      }
    } finally {
      server.stop();
    }
    expect(server.statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(server.statuses.filter((s) => s === 429)).toHaveLength(0);
  });

  it('never sleeps past the 10 s rate window however far away a lying X-RateLimit-Reset says the reset is', async () => {
    let now = 0;
    const sleeps: number[] = [];
    let asked = 0;
    const fetch = (async () => {
      asked += 1;
      // No budget left, and a reset a year away; then a 429 saying the same.
      const headers = {
        'content-type': 'application/json',
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(now / 1000 + 365 * 86_400),
      };
      const status = asked === 2 ? 429 : 200;
      return new Response(JSON.stringify(status === 200 ? page : limited), { status, headers });
    }) as typeof globalThis.fetch;
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    };
    const client = new IntercomClient({ token: 't', fetch, sleep, now: () => now });
    for (let i = 0; i < 3; i += 1) expect(await drain(client.fetchRange({ after: i, before: i + 1 }))).toBe(1);
    expect(sleeps.length).toBeGreaterThan(1);
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(10_150);
  });

  it('a range called off while it sits out a 429 sends nothing more when the wait ends', async () => {
    let asked = 0;
    const fetch = (async () => {
      asked += 1;
      return new Response(JSON.stringify(limited), { status: 429, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    let wake: (() => void) | undefined;
    const sleeping = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let slept = 0;
    const sleep = (_ms: number) => {
      slept += 1;
      return sleeping;
    };
    const controller = new AbortController();
    const client = new IntercomClient({ token: 't', fetch, sleep });
    const reading = drain(client.fetchRange({ after: 1, before: 2 }, {}, controller.signal));
    while (slept === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    wake?.();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(asked).toBe(1);
  });
});
