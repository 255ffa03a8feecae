/** The console's read-only JSON API: GET routes under the session's base path, each over ConsoleApi. */
import type { Hono } from 'hono';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { type SearchFilters, parseBound, parseFilters, parsePage, type ResultPage } from '../../lambdas/core/console/filters.ts';
import type { ResultsPage, Timeline } from './search.ts';

export interface Range {
  readonly from: number;
  readonly to: number;
}

/** What the page can ask; ConsoleData implements it over the archive, the engine and the packs. */
export interface ConsoleApi {
  defaultRange(): Range;
  meta(): Promise<Record<string, unknown>>;
  facets(range: Range): Promise<Record<string, unknown>>;
  results(filters: SearchFilters, page: ResultPage): Promise<ResultsPage>;
  timeline(filters: SearchFilters): Promise<Timeline>;
  csv(filters: SearchFilters): Promise<Buffer>;
  event(id: string, createdAt: number): Promise<Record<string, unknown> | undefined>;
  coverage(range: Range): Promise<Record<string, unknown>>;
  packs(): Promise<Record<string, unknown>[]>;
  /** summary.html of the pack of that exact name, or undefined. */
  packSummary(name: string): Promise<Buffer | undefined>;
  backtest(range: Range): Promise<Record<string, unknown>>;
}

/** Summaries are our own HTML, but they quote archive data: shown with no script, no request, no form. */
const SUMMARY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

const queryOf = (url: string) => new URL(url).searchParams;

function range(api: ConsoleApi, params: URLSearchParams): Range {
  return parseFilters(params, api.defaultRange());
}

export function registerApi(app: Hono, base: string, api: ConsoleApi): void {
  app.get(`${base}api/meta`, async (c) => c.json(await api.meta()));
  app.get(`${base}api/facets`, async (c) => c.json(await api.facets(range(api, queryOf(c.req.url)))));
  app.get(`${base}api/results`, async (c) => {
    const params = queryOf(c.req.url);
    return c.json(await api.results(parseFilters(params, api.defaultRange()), parsePage(params)));
  });
  app.get(`${base}api/timeline`, async (c) => c.json(await api.timeline(parseFilters(queryOf(c.req.url), api.defaultRange()))));
  app.get(`${base}api/export.csv`, async (c) => {
    const filters = parseFilters(queryOf(c.req.url), api.defaultRange());
    const body = await api.csv(filters);
    const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="search-${day(filters.from)}-${day(filters.to - 1)}.csv"`,
    });
  });
  app.get(`${base}api/event`, async (c) => {
    const id = c.req.query('id') ?? '';
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(id)) throw new ConfigurationError('id: not an activity id');
    const at = parseBound('at', c.req.query('at') ?? '', false);
    const event = await api.event(id, at);
    return event ? c.json(event) : c.json({ error: `no chain-listed entry ${id} at ${new Date(at * 1000).toISOString()}` }, 404);
  });
  app.get(`${base}api/coverage`, async (c) => c.json(await api.coverage(range(api, queryOf(c.req.url)))));
  app.get(`${base}api/packs`, async (c) => c.json(await api.packs()));
  app.get(`${base}api/pack-summary`, async (c) => {
    const body = await api.packSummary(c.req.query('name') ?? '');
    if (!body) return c.text('404 no such report pack\n', 404);
    return c.body(new Uint8Array(body), 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': SUMMARY_CSP });
  });
  app.get(`${base}api/backtest`, async (c) => c.json(await api.backtest(range(api, queryOf(c.req.url)))));
}
