/**
 * An HTTP server that behaves like Intercom's activity-log API (see shared/intercom/):
 * `GET /admins/activity_logs` with a required `created_at_after`, inclusive bounds,
 * `page`/`per_page` (max 250), `pages.next` as a full URL, rate-limit headers on every
 * authenticated answer, Intercom's `error.list` shape; `GET /me`; and `GET /admins` (the teammates
 * with access at the simulator's clock). Fault switches
 * reproduce what the real API does on a bad day.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { type DatasetOptions, type RawEntry, SimulatedWorkspace, idFraction, mulberry32 } from './dataset.ts';
import { type Faults, type FaultsInput, faultsSchema } from './faults.ts';

export const DEFAULT_SIMULATOR_TOKEN = 'sim_token_local_only';

export interface SimulatorOptions {
  readonly dataset?: SimulatedWorkspace | DatasetOptions;
  readonly faults?: FaultsInput;
  /** @default DEFAULT_SIMULATOR_TOKEN */
  readonly token?: string;
  /** The simulator's clock in UNIX seconds: entries after it do not exist yet. @default real time */
  readonly now?: () => number;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface SimulatorStats {
  requests: number;
  activityRequests: number;
  entriesServed: number;
  status: Record<number, number>;
  faults: Record<string, number>;
}

export interface RunningSimulator {
  readonly url: string;
  readonly token: string;
  readonly workspace: SimulatedWorkspace;
  readonly faults: Faults;
  readonly stats: SimulatorStats;
  /** Entries visible to the API at the simulator's current time, inclusive bounds. */
  visibleBetween(from: number, to: number): RawEntry[];
  /** Never serves these entries to the poll (a webhook poster still announces them). */
  hideFromPoll(ids: Iterable<string>): void;
  /** Changes the simulator's clock (tests use it to make late entries appear). */
  setNow(now: () => number): void;
  close(): Promise<void>;
}

/** Starts the simulator on loopback. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const workspace = options.dataset instanceof SimulatedWorkspace ? options.dataset : new SimulatedWorkspace(options.dataset);
  const faults = faultsSchema.parse(options.faults ?? {});
  const token = options.token ?? DEFAULT_SIMULATOR_TOKEN;
  let now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const dice = mulberry32(faults.seed);
  const stats: SimulatorStats = { requests: 0, activityRequests: 0, entriesServed: 0, status: {}, faults: {} };
  const rate = { window: -1, used: 0 };
  const rangeCache = new Map<string, RawEntry[]>();

  const hidden = new Set<string>();
  const isVisible = (entry: RawEntry, at: number) =>
    entry.created_at <= at &&
    !hidden.has(entry.id) &&
    (faults.hideShare === 0 || idFraction(entry.id, 'hide') >= faults.hideShare) &&
    (faults.lateShare === 0 || idFraction(entry.id, 'late') >= faults.lateShare || entry.created_at + faults.lateDelaySeconds <= at);

  const visibleBetween = (from: number, to: number) => {
    const at = now();
    return workspace.entriesBetween(from, Math.min(to, at)).filter((e) => isVisible(e, at));
  };

  const rangeEntries = (from: number, to: number): RawEntry[] => {
    const at = now();
    const key = `${from}:${to}:${Math.min(to, at)}:${faults.lateShare > 0 ? at : ''}`;
    let entries = rangeCache.get(key);
    if (!entries) {
      entries = visibleBetween(from, to);
      rangeCache.set(key, entries);
      // A collector reads up to 32 ranges at once: keep each one's entries while it is paged through.
      if (rangeCache.size > 64) rangeCache.delete(rangeCache.keys().next().value as string);
    }
    return entries;
  };

  const count = (what: string) => {
    stats.faults[what] = (stats.faults[what] ?? 0) + 1;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    stats.status[status] = (stats.status[status] ?? 0) + 1;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };

  const errorList = (code: string, message: string) => ({ type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests += 1;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (req.method !== 'GET') return send(res, 405, errorList('method_not_allowed', 'Only GET is simulated'));
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, errorList('unauthorized', 'Access Token Invalid'));
    }

    // Rate limiting: a fixed budget per window, headers on every authenticated answer.
    const nowMs = Date.now();
    const windowMs = faults.rateWindowSeconds * 1000;
    const window = Math.floor(nowMs / windowMs);
    if (window !== rate.window) {
      rate.window = window;
      rate.used = 0;
    }
    rate.used += 1;
    const rateHeaders = {
      'x-ratelimit-limit': String(faults.budget),
      'x-ratelimit-remaining': String(Math.max(0, faults.budget - rate.used)),
      'x-ratelimit-reset': String(Math.ceil(((window + 1) * windowMs) / 1000)),
    };
    if (rate.used > faults.budget) {
      count('429-budget');
      return send(res, 429, errorList('rate_limit_exceeded', 'Exceeded rate limit'), rateHeaders);
    }

    if (url.pathname === '/me') {
      return send(
        res,
        200,
        {
          type: 'admin',
          id: workspace.teammates[0]!.id,
          email: workspace.teammates[0]!.email,
          name: workspace.teammates[0]!.name,
          app: { type: 'app', id_code: workspace.workspaceId, name: 'Acme (simulated)', region: 'US', timezone: 'Etc/UTC' },
        },
        rateHeaders,
      );
    }
    if (url.pathname === '/admins') {
      if (faults.noAdmins)
        return send(res, 403, errorList('token_unauthorized', 'The access token does not have the read_admins scope'), rateHeaders);
      // The teammates who have access at the simulator's clock: joined, not yet deprovisioned —
      // the same roster the activity is generated from.
      return send(res, 200, { type: 'admin.list', admins: workspace.adminsAt(now()) }, rateHeaders);
    }
    if (url.pathname !== '/admins/activity_logs') {
      return send(res, 404, errorList('not_found', 'Resource Not Found'), rateHeaders);
    }
    stats.activityRequests += 1;

    if (faults.reset > 0 && dice() < faults.reset) {
      count('reset');
      req.socket.destroy();
      return;
    }
    if (faults.hang > 0 && dice() < faults.hang) {
      count('hang');
      return; // never answers; the client's timeout fires and close() ends the socket
    }
    if (faults.burst429 > 0 && dice() < faults.burst429) {
      count('429');
      return send(res, 429, errorList('rate_limit_exceeded', 'Exceeded rate limit'), { ...rateHeaders, 'x-ratelimit-remaining': '0' });
    }
    if (faults.error5xx > 0 && dice() < faults.error5xx) {
      count('5xx');
      const status = [500, 502, 503][Math.floor(dice() * 3)]!;
      return send(res, status, errorList('server_error', 'Server Error'), rateHeaders);
    }

    const afterText = url.searchParams.get('created_at_after');
    if (afterText === null) {
      return send(res, 400, errorList('parameter_not_found', 'created_at_after is required'), rateHeaders);
    }
    const beforeText = url.searchParams.get('created_at_before');
    const after = Number(afterText);
    const before = beforeText === null ? now() : Number(beforeText);
    if (!/^\d+$/.test(afterText) || (beforeText !== null && !/^\d+$/.test(beforeText))) {
      return send(res, 400, errorList('parameter_invalid', 'created_at_after and created_at_before must be UNIX timestamps'), rateHeaders);
    }
    if (faults.wide500Days > 0 && before - after > faults.wide500Days * 86_400) {
      count('wide500');
      return send(res, 500, errorList('server_error', 'Server Error'), rateHeaders);
    }
    const requestedPerPage = Number(url.searchParams.get('per_page') ?? 20);
    const perPage = faults.ignorePerPage
      ? 20
      : Math.min(250, Math.max(1, Number.isFinite(requestedPerPage) ? Math.floor(requestedPerPage) : 20));
    const page = Math.max(1, Math.floor(Number(url.searchParams.get('page') ?? 1)) || 1);

    const entries = rangeEntries(after, before);
    const totalPages = Math.max(1, Math.ceil(entries.length / perPage));
    const start = (page - 1) * perPage;
    const overlap = page > 1 ? Math.min(faults.repeat, start) : 0;
    const slice = entries.slice(start - overlap, start + perPage);
    stats.entriesServed += slice.length;
    let next: string | null = null;
    if (page < totalPages) {
      const nextUrl = new URL(url);
      nextUrl.searchParams.set('page', String(page + 1));
      nextUrl.searchParams.set('per_page', String(perPage));
      next = nextUrl.href;
    }
    const body = {
      type: 'activity_log.list',
      pages: { type: 'pages', next, page, per_page: perPage, total_pages: totalPages },
      activity_logs: faults.malformed > 0 ? slice.map((e) => (idFraction(e.id, 'malformed') < faults.malformed ? malform(e) : e)) : slice,
    };

    if (faults.html > 0 && dice() < faults.html) {
      count('html');
      stats.status[200] = (stats.status[200] ?? 0) + 1;
      res.writeHead(200, { 'content-type': 'text/html', ...rateHeaders });
      res.end('<!DOCTYPE html><html><body><h1>We\u2019re sorry, something went wrong</h1></body></html>');
      return;
    }
    if (faults.truncate > 0 && dice() < faults.truncate) {
      count('truncate');
      stats.status[200] = (stats.status[200] ?? 0) + 1;
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', ...rateHeaders });
      res.end(text.slice(0, Math.floor(text.length / 2)));
      return;
    }
    return send(res, 200, body, rateHeaders);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorList('server_error', error instanceof Error ? error.message : 'error'));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    workspace,
    faults,
    stats,
    visibleBetween,
    hideFromPoll(ids) {
      for (const id of ids) hidden.add(id);
      rangeCache.clear();
    },
    setNow(next) {
      now = next;
      rangeCache.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One of four broken shapes, chosen by id, so the same entry is always broken the same way. */
function malform(entry: RawEntry): unknown {
  switch (Math.floor(idFraction(entry.id, 'shape') * 4)) {
    case 0: {
      const { activity_type: _dropped, ...rest } = entry;
      return rest;
    }
    case 1:
      return { ...entry, created_at: String(entry.created_at) };
    case 2:
      return { ...entry, performed_by: 'admin' };
    default:
      return { ...entry, metadata: 'not an object' };
  }
}
