/**
 * The console's filters, parsed from a URL query string into typed values. Every value reaches
 * SQL as a bound parameter (the search core's WHERE clause); this file only reads a query
 * string into the search core's filter and names the parameter that is wrong.
 */
import { ConfigurationError } from '../errors.ts';
import { type SearchFilter, validateSearchRequest } from '../search/filter.ts';

/** The search core's filter: the console asks exactly what `audit-archive search` asks. */
export type SearchFilters = SearchFilter;

export type SortColumn = 'created_at' | 'activity_type' | 'performed_by_email' | 'performed_by_ip';
export const SORT_COLUMNS: readonly SortColumn[] = ['created_at', 'activity_type', 'performed_by_email', 'performed_by_ip'];

export interface ResultPage {
  readonly sort: SortColumn;
  readonly descending: boolean;
  /** Zero-based page number and rows per page. */
  readonly page: number;
  readonly size: number;
}

const DAY = 86_400;
/** Longest range one request may ask for: seven years and a bit, the retention. */
const MAX_RANGE = 8 * 366 * DAY;
const MAX_TEXT = 200;

/** `2026-03-01` (a whole day; as `to`, inclusive) or an ISO-8601 time with a zone, or UNIX seconds. */
export function parseBound(name: string, value: string, end: boolean): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`) / 1000;
    if (Number.isFinite(start)) return end ? start + DAY : start;
  } else if (/^\d{1,12}$/.test(value)) {
    return Number(value);
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw new ConfigurationError(
    `${name}: '${value.slice(0, 40)}' is not a date (YYYY-MM-DD), an ISO-8601 time with a zone (2026-03-01T09:00:00Z) or UNIX seconds`,
  );
}

function text(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.length > MAX_TEXT) throw new ConfigurationError(`${name}: longer than ${MAX_TEXT} characters`);
  // Control characters never belong in a filter; refusing them keeps logs and CSV names clean.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new ConfigurationError(`${name}: contains a control character`);
  return value.trim();
}

/** Typed filters from a query string (`get(name)` / `getAll(name)`), with `defaultRange` when from/to are absent. */
export function parseFilters(params: URLSearchParams, defaultRange: { from: number; to: number }): SearchFilters {
  const from = params.get('from') ? parseBound('from', params.get('from')!, false) : defaultRange.from;
  const to = params.get('to') ? parseBound('to', params.get('to')!, true) : defaultRange.to;
  if (from >= to) throw new ConfigurationError(`from: ${params.get('from')} is not before to: ${params.get('to')}`);
  if (to - from > MAX_RANGE) throw new ConfigurationError('from/to: a range longer than eight years');
  const group = text('group', params.get('group') ?? undefined);
  const types = params
    .getAll('type')
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  for (const type of types)
    if (!/^[a-z0-9_]{1,100}$/.test(type)) throw new ConfigurationError(`type: '${type.slice(0, 40)}' is not an activity type name`);
  if (types.length > 50) throw new ConfigurationError('type: more than 50 types');
  const optional = (name: string) => {
    const value = text(name, params.get(name) ?? undefined);
    return value === undefined ? {} : { [name]: value };
  };
  const filter: SearchFilter = {
    from,
    to,
    ...(types.length > 0 && { types }),
    ...(group !== undefined && { group }),
    ...optional('teammate'),
    ...optional('text'),
    ...optional('mentions'),
    ...optional('ip'),
  };
  validateSearchRequest({ filter, limit: 1 });
  return filter;
}

export function parsePage(params: URLSearchParams): ResultPage {
  const sort = (params.get('sort') ?? 'created_at') as SortColumn;
  if (!SORT_COLUMNS.includes(sort)) throw new ConfigurationError(`sort: '${sort.slice(0, 40)}' is not one of ${SORT_COLUMNS.join(', ')}`);
  const dir = params.get('dir') ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') throw new ConfigurationError(`dir: '${dir.slice(0, 10)}' is not asc or desc`);
  const integer = (name: string, fallback: number, max: number) => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    if (!/^\d{1,7}$/.test(raw) || Number(raw) > max)
      throw new ConfigurationError(`${name}: '${raw.slice(0, 10)}' is not a whole number up to ${max}`);
    return Number(raw);
  };
  return { sort, descending: dir === 'desc', page: integer('page', 0, 1_000_000), size: Math.max(1, integer('size', 50, 500)) };
}
