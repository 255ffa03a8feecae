/**
 * The search core: one function behind the query-engine port, for `audit-archive search` and
 * the browser console. The engine decides what is read — the local DuckDB engine reads only the
 * chain-listed parts (through the columnar cache), Athena's `activity_logs` view only the parts
 * the index lists — so a search never sees an object the chain does not list.
 *
 * @example
 *   const result = await search(engine, { filter: { from, to, teammate: 'ada@example.com' }, limit: 50 });
 *   for (const hit of result.hits) console.log(hit.time_utc, hit.activity_type);
 *   if (result.more) console.log('more results: narrow the filters or raise the limit');
 */
import type { Cell, QueryEngine, QueryResult } from '../ports.ts';
import { type SearchRequest, validateSearchRequest } from './filter.ts';
import { SEARCH_COLUMNS, searchStatement } from './searchSql.ts';

export type { SearchFilter, SearchRequest } from './filter.ts';
export { SEARCH_COLUMNS } from './searchSql.ts';

/** One matching entry (columns of SEARCH_COLUMNS). */
export interface SearchHit {
  readonly time_utc: string;
  readonly workspace: string;
  readonly activity_type: string;
  readonly actor_id: string | null;
  readonly actor_email: string | null;
  readonly ip_address: string | null;
  readonly activity_description: string | null;
  /** The entry's metadata as JSON text. */
  readonly metadata: string | null;
  readonly id: string;
}

export interface SearchResult {
  /** Newest first, at most `limit`. */
  readonly hits: SearchHit[];
  /** True when more entries match than `limit`. */
  readonly more: boolean;
  /** The hits as a table (columns SEARCH_COLUMNS), for CSV and table output. */
  readonly table: QueryResult;
  /** What ran: the SQL and its bound values, for the record. */
  readonly statement: { readonly sql: string; readonly values: readonly string[]; readonly engine: string };
}

/** Runs a search; throws a ConfigurationError naming every bad field. */
export async function search(engine: QueryEngine, request: SearchRequest): Promise<SearchResult> {
  validateSearchRequest(request);
  const { sql, values } = searchStatement(request.filter, request.limit);
  const result = await engine.run(sql, values);
  const rows = result.rows.slice(0, request.limit);
  const text = (cell: Cell | undefined) => (cell === null || cell === undefined ? null : String(cell));
  const hits = rows.map((row) => Object.fromEntries(SEARCH_COLUMNS.map((c, i) => [c, text(row[i])])) as unknown as SearchHit);
  return {
    hits,
    more: result.rows.length > request.limit,
    table: { columns: [...SEARCH_COLUMNS], rows },
    statement: { sql, values, engine: engine.name },
  };
}
