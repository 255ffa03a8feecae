/**
 * The console's query layer over a query engine (DuckDB over the chain-listed parts locally,
 * through the columnar cache; Athena over the listed view on S3): the search core's filter for
 * every answer, its `search()` for the CSV, and the console's own paging, counts and timeline.
 */
import {
  type Bucket,
  bucketFor,
  countStatement,
  eventStatement,
  facetStatements,
  resultsStatement,
  timelineStatement,
} from '../../lambdas/core/console/consoleSql.ts';
import type { ResultPage, SearchFilters } from '../../lambdas/core/console/filters.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { Cell, QueryEngine, QueryResult } from '../../lambdas/core/ports.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { search } from '../../lambdas/core/search/search.ts';

export interface ResultsPage {
  readonly columns: string[];
  readonly rows: Cell[][];
  readonly matches: number;
  readonly more: boolean;
}

export interface Timeline {
  readonly bucket: Bucket;
  /** Bucket start (UNIX seconds) and the events of each actor kind in it. */
  readonly points: { start: number; teammate: number; bot: number; staff: number }[];
}

export interface ConsoleSearch {
  readonly engine: string;
  results(filters: SearchFilters, page: ResultPage): Promise<ResultsPage>;
  timeline(filters: SearchFilters): Promise<Timeline>;
  csv(filters: SearchFilters): Promise<Buffer>;
  event(id: string, createdAt: number): Promise<Record<string, Cell> | undefined>;
  facets(range: { from: number; to: number }): Promise<{ types: QueryResult; teammates: QueryResult }>;
  close(): Promise<void>;
}

/** The search core's largest limit: more matches than this in one CSV is refused (narrow the filter), never cut silently. */
export const CSV_MAX_ROWS = 10_000;

export class EngineSearch implements ConsoleSearch {
  readonly engine: string;

  constructor(private readonly queryEngine: QueryEngine) {
    this.engine = queryEngine.name;
  }

  async results(filters: SearchFilters, page: ResultPage): Promise<ResultsPage> {
    const statement = resultsStatement(filters, page);
    const [result, count] = await Promise.all([this.queryEngine.run(statement.sql, statement.values), this.count(filters)]);
    return { columns: result.columns, rows: result.rows.slice(0, page.size), matches: count, more: result.rows.length > page.size };
  }

  async timeline(filters: SearchFilters): Promise<Timeline> {
    const bucket = bucketFor(filters);
    const statement = timelineStatement(filters, bucket);
    const result = await this.queryEngine.run(statement.sql, statement.values);
    const points = new Map<number, { start: number; teammate: number; bot: number; staff: number }>();
    for (const [start, kind, events] of result.rows) {
      const key = Number(start);
      const point = points.get(key) ?? { start: key, teammate: 0, bot: 0, staff: 0 };
      if (kind === 'teammate' || kind === 'bot' || kind === 'staff') point[kind] += Number(events);
      points.set(key, point);
    }
    return { bucket, points: [...points.values()].sort((a, b) => a.start - b.start) };
  }

  /** What `search --csv` writes for the same filter: the search core's table, as CSV. */
  async csv(filters: SearchFilters): Promise<Buffer> {
    const result = await search(this.queryEngine, { filter: filters, limit: CSV_MAX_ROWS });
    if (result.more)
      throw new ConfigurationError(
        `the filter matches more than ${CSV_MAX_ROWS} events, more than one CSV holds: narrow the range or the filter`,
      );
    return toCsv(result.table);
  }

  async event(id: string, createdAt: number): Promise<Record<string, Cell> | undefined> {
    const statement = eventStatement(id, createdAt);
    const result = await this.queryEngine.run(statement.sql, statement.values);
    const row = result.rows[0];
    return row && Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null]));
  }

  async facets(range: { from: number; to: number }): Promise<{ types: QueryResult; teammates: QueryResult }> {
    const statements = facetStatements(range);
    const [types, teammates] = await Promise.all([
      this.queryEngine.run(statements.types.sql, statements.types.values),
      this.queryEngine.run(statements.teammates.sql, statements.teammates.values),
    ]);
    return { types, teammates };
  }

  close(): Promise<void> {
    return this.queryEngine.close();
  }

  private async count(filters: SearchFilters): Promise<number> {
    const statement = countStatement(filters);
    return Number((await this.queryEngine.run(statement.sql, statement.values)).rows[0]?.[0] ?? 0);
  }
}
