/**
 * SQL for the console's filters, results, timeline and event lookups: Athena (Trino) SQL that
 * DuckDB runs unchanged through the Trino macros, over the chain-listed `activity_logs` view,
 * with the search core's WHERE clause. Every filter value is a bound parameter (`?`); only
 * shapes chosen from fixed lists (sort column, bucket size) and validated integers (page) are
 * written into the text.
 */
import { utcDate } from '../archive/keys.ts';
import { searchWhere } from '../search/searchSql.ts';
import type { ResultPage, SearchFilters } from './filters.ts';

export interface Statement {
  readonly sql: string;
  readonly values: string[];
}

/** Intercom staff, bots and automations, or a teammate — from the actor fields Intercom serves. */
export const ACTOR_KIND_SQL = `CASE
    WHEN lower(coalesce(performed_by_email, '')) LIKE '%@intercom.io' OR lower(coalesce(performed_by_email, '')) LIKE '%@intercom.com'
      OR activity_type IN ('admin_impersonation_start', 'admin_impersonation_end') THEN 'staff'
    WHEN coalesce(performed_by_type, '') <> 'admin' OR coalesce(performed_by_email, '') = '' THEN 'bot'
    ELSE 'teammate'
  END`;

export type ActorKind = 'teammate' | 'bot' | 'staff';

/** The result columns, in order: the same for the table, the CSV and the event list. */
export const RESULT_COLUMNS = [
  'time_utc',
  'workspace',
  'activity_type',
  'teammate_id',
  'teammate_email',
  'ip_address',
  'actor_kind',
  'activity_description',
  'metadata',
  'id',
  'created_at',
] as const;

const SELECT_RESULT = `SELECT to_iso8601(from_unixtime(created_at)) AS time_utc, workspace, activity_type,
  performed_by_id AS teammate_id, performed_by_email AS teammate_email, performed_by_ip AS ip_address,
  ${ACTOR_KIND_SQL} AS actor_kind, activity_description, metadata, id, created_at`;

/** The WHERE clause of a filter and its bound values: the search core's, so the console filters as `search` does. */
export function whereClause(filters: SearchFilters): Statement {
  return searchWhere(filters);
}

/** One page of results; `limit` one more than the page so the caller knows whether more follow. */
export function resultsStatement(filters: SearchFilters, page: ResultPage): Statement {
  const where = whereClause(filters);
  const dir = page.descending ? 'DESC' : 'ASC';
  // As `search` orders (created_at, workspace, id), so paging is stable and the first page is search's answer.
  const order =
    page.sort === 'created_at'
      ? `created_at ${dir}, workspace ${dir}, id ${dir}`
      : `${page.sort} ${dir}, created_at DESC, workspace DESC, id DESC`;
  return {
    sql: `${SELECT_RESULT}\nFROM activity_logs\nWHERE ${where.sql}\nORDER BY ${order}\nOFFSET ${page.page * page.size} LIMIT ${page.size + 1}`,
    values: where.values,
  };
}

export function countStatement(filters: SearchFilters): Statement {
  const where = whereClause(filters);
  return { sql: `SELECT count(*) AS matches FROM activity_logs\nWHERE ${where.sql}`, values: where.values };
}

export type Bucket = 'hour' | 'day' | 'week';
const BUCKET_SECONDS: Record<Bucket, number> = { hour: 3600, day: 86_400, week: 604_800 };
/** Weeks start on Monday, UTC: 1970-01-05 is four days after the epoch. */
const BUCKET_OFFSET: Record<Bucket, number> = { hour: 0, day: 0, week: 4 * 86_400 };

/** Hours for up to three days, days up to 92 days, weeks beyond. */
export function bucketFor(filters: Pick<SearchFilters, 'from' | 'to'>): Bucket {
  const span = filters.to - filters.from;
  return span <= 3 * 86_400 ? 'hour' : span <= 92 * 86_400 ? 'day' : 'week';
}

/** Matching events per UTC bucket and actor kind. */
export function timelineStatement(filters: SearchFilters, bucket: Bucket): Statement {
  const where = whereClause(filters);
  const size = BUCKET_SECONDS[bucket];
  const offset = BUCKET_OFFSET[bucket];
  const start = `(created_at - ((created_at - ${offset}) % ${size}))`;
  return {
    sql: `SELECT ${start} AS bucket_start, ${ACTOR_KIND_SQL} AS actor_kind, count(*) AS events
FROM activity_logs
WHERE ${where.sql}
GROUP BY ${start}, ${ACTOR_KIND_SQL}
ORDER BY bucket_start, actor_kind`,
    values: where.values,
  };
}

/** One archived line by id, with every column; `createdAt` prunes the scan to its day. */
export function eventStatement(id: string, createdAt: number): Statement {
  return {
    sql: `SELECT *, ${ACTOR_KIND_SQL} AS actor_kind FROM activity_logs WHERE dt = ? AND id = ? AND created_at = CAST(? AS BIGINT)`,
    values: [utcDate(createdAt), id, String(createdAt)],
  };
}

/** The activity types and teammates of a range, for the filter bar's suggestions. */
export function facetStatements(filters: Pick<SearchFilters, 'from' | 'to'>): { types: Statement; teammates: Statement } {
  const values = [utcDate(filters.from), utcDate(filters.to - 1)];
  return {
    types: {
      sql: 'SELECT activity_type, count(*) AS events FROM activity_logs WHERE dt BETWEEN ? AND ? GROUP BY activity_type ORDER BY events DESC, activity_type',
      values,
    },
    teammates: {
      sql: `SELECT performed_by_id AS teammate_id, performed_by_email AS teammate_email, count(*) AS events FROM activity_logs
WHERE dt BETWEEN ? AND ? AND performed_by_id IS NOT NULL
GROUP BY performed_by_id, performed_by_email ORDER BY events DESC, teammate_id LIMIT 500`,
      values,
    },
  };
}
