import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenFromEnv } from '../../../../cli/commands/collect.ts';
import { tokenFromSecret } from '../../../../lambdas/handlers/collector.ts';
import { IntercomClient, type ClientEvent } from '../../../../lambdas/adapters/intercom/IntercomClient.ts';
import {
  ConfigurationError,
  IntercomAuthError,
  IntercomForbiddenError,
  IntercomLimitError,
  IntercomRedirectError,
  IntercomRequestError,
  IntercomUnavailableError,
} from '../../../../lambdas/core/errors.ts';
import type { ActivityPage } from '../../../../lambdas/core/intercom/schema.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import type { FaultsInput } from '../../../../simulator/faults.ts';

const DAY = 86_400;
const T0 = Date.UTC(2025, 2, 3) / 1000; // a Monday, inside the simulated history
const NOW = () => T0 + 60 * DAY;
const noSleep = async () => undefined;

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function simulator(faults: FaultsInput = {}, entriesPerDay = 400) {
  sim = await startSimulator({ faults, now: NOW, dataset: { entriesPerDay } });
  return sim;
}

function clientFor(s: RunningSimulator, extra: Partial<ConstructorParameters<typeof IntercomClient>[0]> = {}) {
  return new IntercomClient({ token: s.token, baseUrl: s.url, sleep: noSleep, timeoutMs: 2000, ...extra });
}

async function drain(pages: AsyncIterable<ActivityPage>) {
  const ids: string[] = [];
  let quarantined = 0;
  let count = 0;
  for await (const page of pages) {
    count += 1;
    ids.push(...page.entries.map((e) => e.id));
    quarantined += page.quarantined.length;
  }
  return { ids, quarantined, pages: count };
}

/** A fetch that answers from a list of canned responses and records what was asked. */
function scriptedFetch(responses: (() => Response)[]) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fn = (async (input: URL | RequestInfo, init?: RequestInit) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
    const next = responses.shift();
    if (!next) throw new Error('no more scripted responses');
    return next();
  }) as typeof fetch;
  return { fn, calls };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const emptyPage = json(200, {
  type: 'activity_log.list',
  pages: { type: 'pages', next: null, page: 1, per_page: 250, total_pages: 1 },
  activity_logs: [],
});

describe('IntercomClient.fetchRange()', () => {
  it('follows pages.next to the end and returns every entry of the range once', async () => {
    const s = await simulator();
    const range = { after: T0, before: T0 + 2 * DAY };
    const expected = s.visibleBetween(range.after, range.before).map((e) => e.id);
    const { ids, pages } = await drain(clientFor(s).fetchRange(range));
    expect(expected.length).toBeGreaterThan(500);
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 250));
  });

  it('still gets everything when the server ignores per_page', async () => {
    const s = await simulator({ ignorePerPage: true });
    const range = { after: T0, before: T0 + DAY };
    const { ids, pages } = await drain(clientFor(s).fetchRange(range));
    expect(ids).toEqual(s.visibleBetween(range.after, range.before).map((e) => e.id));
    expect(pages).toBe(Math.ceil(ids.length / 20));
  });

  it('pins Intercom-Version 2.17, asks for 250 per page with both bounds, and reuses the headers on pages.next', async () => {
    const next = 'https://api.eu.intercom.io/admins/activity_logs?created_at_after=99&created_at_before=200&per_page=250&page=2';
    const { fn, calls } = scriptedFetch([
      json(200, { type: 'activity_log.list', pages: { type: 'pages', next, page: 1 }, activity_logs: [] }),
      emptyPage,
    ]);
    const client = new IntercomClient({ token: 'tok_secret_123', region: 'eu', fetch: fn, sleep: noSleep });
    await drain(client.fetchRange({ after: 99, before: 200 }));
    expect(calls).toHaveLength(2);
    const first = new URL(calls[0]!.url);
    expect(first.origin).toBe('https://api.eu.intercom.io');
    expect(first.pathname).toBe('/admins/activity_logs');
    expect(Object.fromEntries(first.searchParams)).toEqual({ created_at_after: '99', created_at_before: '200', per_page: '250' });
    expect(calls[1]!.url).toBe(next);
    for (const call of calls) {
      expect(call.headers['Intercom-Version']).toBe('2.17');
      expect(call.headers.Authorization).toBe('Bearer tok_secret_123');
    }
  });

  it.each([
    ['us', 'https://api.intercom.io'],
    ['eu', 'https://api.eu.intercom.io'],
    ['au', 'https://api.au.intercom.io'],
  ] as const)('uses the %s host', (region, origin) => {
    const client = new IntercomClient({ token: 't', region });
    expect(client.rangeUrl({ after: 1, before: 2 }).origin).toBe(origin);
  });

  it('refuses to follow pages.next to another host, so the token never leaves Intercom', async () => {
    const { fn } = scriptedFetch([
      json(200, { type: 'activity_log.list', pages: { next: 'https://evil.example/steal' }, activity_logs: [] }),
    ]);
    const client = new IntercomClient({ token: 't', fetch: fn, sleep: noSleep });
    await expect(drain(client.fetchRange({ after: 1, before: 2 }))).rejects.toThrow(/another host/);
  });

  it('maps 401 to a configuration error naming the missing permission, without retrying or echoing the token', async () => {
    const s = await simulator();
    const client = new IntercomClient({ token: 'wrong_token_value', baseUrl: s.url, sleep: noSleep });
    const error = await drain(client.fetchRange({ after: T0, before: T0 + 60 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomAuthError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain("'Read admin activity logs'");
    expect((error as Error).message).not.toContain('wrong_token_value');
    expect(s.stats.requests).toBe(1);
  });

  it('maps 403 api_plan_restricted to a configuration error about the plan', async () => {
    const { fn, calls } = scriptedFetch([
      json(403, {
        type: 'error.list',
        request_id: 'r1',
        errors: [{ code: 'api_plan_restricted', message: 'Active subscription needed.' }],
      }),
    ]);
    const client = new IntercomClient({ token: 't', fetch: fn, sleep: noSleep });
    const error = await drain(client.fetchRange({ after: 1, before: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomForbiddenError);
    expect((error as Error).message).toMatch(/api_plan_restricted.*plan/);
    expect(calls).toHaveLength(1);
  });

  it('raises other 4xx at once with the error codes Intercom gave', async () => {
    const { fn, calls } = scriptedFetch([json(400, { type: 'error.list', errors: [{ code: 'parameter_invalid', message: 'bad' }] })]);
    const error = await drain(new IntercomClient({ token: 't', fetch: fn, sleep: noSleep }).fetchRange({ after: 1, before: 2 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntercomRequestError);
    expect((error as Error).message).toContain('parameter_invalid');
    expect(calls).toHaveLength(1);
  });

  it.each<[string, FaultsInput]>([
    ['5xx answers', { error5xx: 0.3 }],
    ['connection resets', { reset: 0.2 }],
    ['truncated bodies', { truncate: 0.25 }],
    ['HTML error pages with status 200', { html: 0.25 }],
    ['429 bursts', { burst429: 0.25 }],
    ['requests that never answer', { hang: 0.1 }],
    ['entries repeated across pages', { repeat: 7 }],
    ['all of them at once', { error5xx: 0.1, reset: 0.05, truncate: 0.05, html: 0.05, burst429: 0.05, repeat: 3 }],
  ])('fetches every entry of a range despite %s, with no duplicates from its own retries', async (_name, faults) => {
    const s = await simulator(faults);
    const range = { after: T0, before: T0 + 3 * DAY };
    const events: ClientEvent[] = [];
    const { ids } = await drain(clientFor(s, { timeoutMs: 300, maxRetries: 12, onEvent: (e) => events.push(e) }).fetchRange(range));
    const expected = s.visibleBetween(range.after, range.before).map((e) => e.id);
    // Repeated entries come from the server's pages, not from our retries: dedupe is the collector's job.
    expect([...new Set(ids)].sort()).toEqual([...expected].sort());
    if (!faults.repeat) expect(ids).toHaveLength(expected.length);
    if (faults.error5xx || faults.reset || faults.truncate || faults.html || faults.hang)
      expect(events.some((e) => e.type === 'retry')).toBe(true);
  });

  it('gives up after its retry budget with a typed error that says what happened', async () => {
    const { fn, calls } = scriptedFetch(
      Array.from({ length: 10 }, () => json(503, { type: 'error.list', errors: [{ code: 'service_unavailable' }] })),
    );
    const client = new IntercomClient({ token: 't', fetch: fn, sleep: noSleep, maxRetries: 3 });
    const error = await drain(client.fetchRange({ after: 1, before: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomUnavailableError);
    expect((error as IntercomUnavailableError).kind).toBe('server');
    expect((error as IntercomUnavailableError).status).toBe(503);
    expect((error as Error).message).toMatch(/after 4 attempts \(server: HTTP 503\)/);
    expect(calls).toHaveLength(4);
  });

  it('lets the caller cap 5xx retries per range, so it can ask for a smaller range instead', async () => {
    const { fn, calls } = scriptedFetch(Array.from({ length: 10 }, () => json(500, {})));
    const client = new IntercomClient({ token: 't', fetch: fn, sleep: noSleep, maxRetries: 6 });
    await expect(drain(client.fetchRange({ after: 1, before: 2 }, { maxServerRetries: 1 }))).rejects.toBeInstanceOf(
      IntercomUnavailableError,
    );
    expect(calls).toHaveLength(2);
  });

  it('waits until X-RateLimit-Reset after a 429', async () => {
    const nowMs = 1_700_000_000_000;
    const waits: number[] = [];
    const { fn } = scriptedFetch([
      json(
        429,
        { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] },
        { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowMs / 1000 + 7) },
      ),
      emptyPage,
    ]);
    const client = new IntercomClient({
      token: 't',
      fetch: fn,
      now: () => nowMs,
      random: () => 0,
      sleep: async (ms) => void waits.push(ms),
    });
    await drain(client.fetchRange({ after: 1, before: 2 }));
    expect(waits).toEqual([7050]);
  });

  it('paces itself with X-RateLimit-Remaining so the budget is never exceeded', async () => {
    const s = await simulator({ budget: 12, rateWindowSeconds: 1 }, 300);
    const events: ClientEvent[] = [];
    const client = new IntercomClient({ token: s.token, baseUrl: s.url, perPage: 20, onEvent: (e) => events.push(e) });
    const range = { after: T0, before: T0 + DAY };
    const { ids } = await drain(client.fetchRange(range));
    expect(ids).toHaveLength(s.visibleBetween(range.after, range.before).length);
    expect(s.stats.activityRequests).toBeGreaterThan(12);
    expect(s.stats.status[429] ?? 0).toBe(0);
    expect(events.some((e) => e.type === 'paced')).toBe(true);
  });

  it('calls off a range read ahead: the request in flight is aborted, not retried, and nothing more is asked', async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const fn = (async (input: URL | RequestInfo, init?: RequestInit) => {
      calls.push(String(input));
      // Never answers on its own: only the abort ends it, as a slow Intercom would.
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }) as typeof fetch;
    const client = new IntercomClient({ token: 't', fetch: fn, sleep: noSleep });
    const reading = drain(client.fetchRange({ after: 1, before: 2 }, {}, controller.signal));
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(calls).toHaveLength(1);
    // The budget does not count the called-off request as still in flight: the next one goes at once.
    const { fn: answer } = scriptedFetch([emptyPage]);
    await drain(new IntercomClient({ token: 't', fetch: answer, sleep: noSleep }).fetchRange({ after: 1, before: 2 }));
  });

  it('reports a smaller share of the budget after a 429, so fewer ranges are read at once', async () => {
    const limited = json(
      429,
      { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] },
      {
        'x-ratelimit-limit': '1000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1',
      },
    );
    const ok = json(
      200,
      { type: 'activity_log.list', pages: { next: null, total_pages: 1 }, activity_logs: [] },
      { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999', 'x-ratelimit-reset': '2' },
    );
    const { fn } = scriptedFetch([ok, limited, ok]);
    let now = 0;
    const sleep = async (ms: number) => {
      now += ms;
    };
    const client = new IntercomClient({ token: 't', fetch: fn, sleep, now: () => now });
    await drain(client.fetchRange({ after: 1, before: 2 }));
    expect(client.pace().requestsPerSecond).toBe(100);
    expect(client.pace().latencySeconds).toBeGreaterThanOrEqual(0);
    expect(client.pace().largestPageBytes).toBeGreaterThan(0);
    await drain(client.fetchRange({ after: 2, before: 3 }));
    expect(client.pace().requestsPerSecond).toBe(50);
  });

  it('keeps within the budget with several ranges read at once through one client', async () => {
    const s = await simulator({ budget: 12, rateWindowSeconds: 1 }, 300);
    const events: ClientEvent[] = [];
    const client = new IntercomClient({ token: s.token, baseUrl: s.url, perPage: 10, onEvent: (e) => events.push(e) });
    // Eight ranges at once, as the collector reads ranges ahead: every answer's remaining budget is
    // shared by the requests still in flight, so none of them may count on it alone.
    const ranges = Array.from({ length: 8 }, (_, i) => ({ after: T0 + i * 3 * 3600, before: T0 + (i + 1) * 3 * 3600 }));
    const drained = await Promise.all(ranges.map((r) => drain(client.fetchRange(r))));
    const expected = ranges.reduce((n, r) => n + s.visibleBetween(r.after, r.before).length, 0);
    expect(drained.reduce((n, d) => n + d.ids.length, 0)).toBe(expected);
    expect(s.stats.activityRequests).toBeGreaterThan(24);
    expect(s.stats.status[429] ?? 0).toBeLessThanOrEqual(1);
    expect(events.some((e) => e.type === 'paced')).toBe(true);
  });

  it('keeps part of the budget for other apps when given a budget share', async () => {
    const s = await simulator({ budget: 20, rateWindowSeconds: 1 }, 300);
    const remainingSeen: number[] = [];
    const realFetch = globalThis.fetch;
    const watching = new IntercomClient({
      token: s.token,
      baseUrl: s.url,
      perPage: 10,
      budgetShare: 0.5,
      fetch: (async (input: URL | RequestInfo, init?: RequestInit) => {
        const response = await realFetch(input, init);
        remainingSeen.push(Number(response.headers.get('x-ratelimit-remaining')));
        return response;
      }) as typeof fetch,
    });
    await drain(watching.fetchRange({ after: T0, before: T0 + DAY }));
    expect(remainingSeen.length).toBeGreaterThan(20);
    // Half of the 20-request budget stays untouched for the workspace's other apps.
    expect(Math.min(...remainingSeen)).toBeGreaterThanOrEqual(10);
  });

  it('returns a malformed entry as quarantined, verbatim, instead of dropping it', async () => {
    const broken = { id: 'x1', created_at: 'yesterday', activity_type: 'admin_login_success' };
    const good = { id: 'x2', created_at: 5, activity_type: 'brand_new_type', metadata: { before: 'a', n: 1 }, surprise_key: true };
    const { fn } = scriptedFetch([json(200, { type: 'activity_log.list', pages: { next: null }, activity_logs: [broken, good] })]);
    const pages: ActivityPage[] = [];
    for await (const page of new IntercomClient({ token: 't', fetch: fn, sleep: noSleep }).fetchRange({ after: 1, before: 9 }))
      pages.push(page);
    expect(pages[0]!.entries).toEqual([good]);
    expect(pages[0]!.quarantined).toEqual([{ raw: broken, id: 'x1', reason: expect.stringContaining('created_at') }]);
  });

  it('retries a page whose envelope is not an activity-log list', async () => {
    const { fn, calls } = scriptedFetch([json(200, { type: 'conversation.list', conversations: [] }), emptyPage]);
    await drain(new IntercomClient({ token: 't', fetch: fn, sleep: noSleep }).fetchRange({ after: 1, before: 2 }));
    expect(calls).toHaveLength(2);
  });
});

describe('IntercomClient.workspaceId()', () => {
  it('reads app.id_code from GET /me', async () => {
    const s = await simulator();
    await expect(clientFor(s).workspaceId()).resolves.toBe('sim-acme');
  });
});

/** A real HTTP server on loopback (redirects and streamed bodies go through the real fetch). */
async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const requests = { count: 0 };
  server.on('request', () => (requests.count += 1));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('IntercomClient against a hostile or broken server', () => {
  const servers: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const serve = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const s = await httpServer(handler);
    servers.push(s);
    return s;
  };
  const entryPage = (entries: unknown[], next: string | null = null) =>
    JSON.stringify({ type: 'activity_log.list', pages: { type: 'pages', next, per_page: 250 }, activity_logs: entries });

  it.each(['SECRET-TOKEN\nX-Injected: 1', 'SECRET TOKEN', 'SECRET\u001b[2J', 'SECRET\u00e9', ''])(
    'refuses a token with whitespace, a control or a non-ASCII character (%j) as a configuration error that does not contain it',
    (token) => {
      for (const load of [
        () => new IntercomClient({ token }),
        () => tokenFromEnv({ INTERCOM_ACCESS_TOKEN: token }),
        () => tokenFromSecret('arn:secret', token),
      ]) {
        const error = (() => {
          try {
            load();
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(ConfigurationError);
        if (token) expect((error as Error).message).not.toContain('SECRET');
      }
    },
  );

  it('passes on no library error text, which can quote the Authorization header', async () => {
    const fn = (async () => {
      throw new TypeError('Headers.append: "Bearer SECRET-TOKEN" is an invalid header value.');
    }) as typeof fetch;
    const error = await drain(
      new IntercomClient({ token: 'SECRET-TOKEN', fetch: fn, sleep: noSleep, maxRetries: 1 }).fetchRange({ after: 1, before: 2 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomUnavailableError);
    expect((error as Error).message).toContain('request failed (TypeError)');
    expect((error as Error).message).not.toContain('SECRET');
    expect((error as Error).cause).toBeUndefined();
  });

  it.each([301, 302, 303, 307, 308])('refuses a %i redirect, naming the status and only the origin it points to', async (status) => {
    const other = await serve((_req, res) => res.end(entryPage([{ id: 'elsewhere', created_at: 10, activity_type: 'x' }])));
    const origin = await serve((_req, res) => {
      res.writeHead(status, { location: `${other.url}/admins/activity_logs?secret=path-and-query` });
      res.end();
    });
    const error = await drain(
      new IntercomClient({ token: 't', baseUrl: origin.url, sleep: noSleep }).fetchRange({ after: 1, before: 20 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomRedirectError);
    expect((error as Error).message).toContain(`HTTP ${status}, a redirect to ${other.url};`);
    expect((error as Error).message).not.toContain('secret=');
    expect(other.requests.count).toBe(0);
  });

  it('stops reading a page body past --max-page-mb while it streams (a body without end cannot exhaust memory)', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"activity_log.list","activity_logs":["');
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const client = new IntercomClient({ token: 't', baseUrl: server.url, sleep: noSleep, maxPageBytes: 1024 * 1024 });
    const error = await drain(client.fetchRange({ after: 1, before: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomLimitError);
    expect((error as Error).message).toMatch(/a page larger than the 1 MB limit .*raise --max-page-mb/);
  });

  it('refuses a page whose Content-Length is over the cap before reading it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(40 * 1024 * 1024) });
      res.write('{');
    });
    const error = await drain(
      new IntercomClient({ token: 't', baseUrl: server.url, sleep: noSleep }).fetchRange({ after: 1, before: 2 }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/larger than the 32 MB limit/);
  });

  it.each([
    ['empty pages', () => []],
    ['the same entries again', () => [{ id: 'same', created_at: 1, activity_type: 'x' }]],
  ])('stops a range whose server keeps sending new pages.next links with %s', async (_name, entries) => {
    let n = 0;
    const server = await serve((req, res) => {
      n += 1;
      res.end(entryPage(entries(), `http://${req.headers.host}/admins/activity_logs?page=${n + 1}`));
    });
    const error = await drain(
      new IntercomClient({ token: 't', baseUrl: server.url, sleep: noSleep }).fetchRange({ after: 1, before: 2 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomLimitError);
    expect((error as Error).message).toMatch(/kept sending pages\.next for the range 1–2: [34] pages read/);
    expect(n).toBeLessThanOrEqual(4);
  });

  it('stops a range that runs past its own total_pages by more than the slack', async () => {
    let n = 0;
    const server = await serve((req, res) => {
      n += 1;
      const entries = Array.from({ length: 10 }, (_, i) => ({ id: `p${n}-${i}`, created_at: 1, activity_type: 'x' }));
      res.end(
        JSON.stringify({
          type: 'activity_log.list',
          pages: { next: `http://${req.headers.host}/p?page=${n + 1}`, total_pages: 40 },
          activity_logs: entries,
        }),
      );
    });
    const error = await drain(
      new IntercomClient({ token: 't', baseUrl: server.url, sleep: noSleep }).fetchRange({ after: 1, before: 2 }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/44 pages read, but it reported 40 total_pages and served 440 distinct entries/);
    expect(n).toBe(44); // the next page is never asked for
  });

  it('strips control characters from the error fields Intercom sends, and cuts them short', async () => {
    const { fn } = scriptedFetch([
      json(400, {
        type: 'error.list',
        request_id: 'r\u001b[2J1',
        errors: [{ code: 'bad\u001b[1A\u001b[2K', message: `OK\r\n\u001b]0;title\u0007${'m'.repeat(5000)}` }],
      }),
    ]);
    const error = await drain(new IntercomClient({ token: 't', fetch: fn, sleep: noSleep }).fetchRange({ after: 1, before: 2 })).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain('bad[1A[2K — OK]0;title');
    expect((error as Error).message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect((error as Error).message.length).toBeLessThan(500);
  });
});
