/**
 * The SQL of a search: Trino SQL that runs unchanged on Athena and DuckDB, over the chain-listed
 * `activity_logs` view. Every filter value is a `?` parameter; the only text put into the SQL is
 * the validated whole-number limit and the number of `?` marks.
 */
import { type SearchFilter, allowedTypes } from './filter.ts';

export interface SearchStatement {
  readonly sql: string;
  readonly values: string[];
}

/** The columns of a hit, in order. */
export const SEARCH_COLUMNS = [
  'time_utc',
  'workspace',
  'activity_type',
  'actor_id',
  'actor_email',
  'ip_address',
  'activity_description',
  'metadata',
  'id',
] as const;

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** The WHERE clauses of `filter` and their bound values (also the console's results, counts and timeline). */
export function searchWhere(filter: SearchFilter): SearchStatement {
  const where: string[] = [];
  const values: string[] = [];
  const add = (clause: string, ...bound: string[]) => {
    where.push(clause);
    values.push(...bound);
  };
  // dt first: partition pruning (Athena's projection, DuckDB's file and row-group skipping).
  add('dt BETWEEN ? AND ?', day(filter.from), day(filter.to - 1));
  add('created_at >= CAST(? AS BIGINT) AND created_at < CAST(? AS BIGINT)', String(filter.from), String(filter.to));
  if (filter.teammate !== undefined) {
    const who = filter.teammate.trim();
    if (who.includes('@')) add('lower(performed_by_email) = ?', who.toLowerCase());
    else add('performed_by_id = ?', who);
  }
  const types = allowedTypes(filter);
  if (types) {
    if (types.length === 0) add('1 = 0');
    else add(`activity_type IN (${types.map(() => '?').join(', ')})`, ...types);
  }
  for (const word of (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean))
    add("(strpos(lower(COALESCE(activity_description, '')), ?) > 0 OR strpos(lower(COALESCE(metadata, '')), ?) > 0)", word, word);
  if (filter.mentions !== undefined) add("strpos(COALESCE(metadata, ''), ?) > 0", filter.mentions.trim());
  if (filter.ip !== undefined) add('performed_by_ip = ?', filter.ip.trim());
  return { sql: where.join('\n  AND '), values };
}

/** The statement for `filter`, asking for `limit + 1` rows (the extra one says there are more). */
export function searchStatement(filter: SearchFilter, limit: number): SearchStatement {
  const { sql: where, values } = searchWhere(filter);
  const sql = [
    'SELECT',
    '  to_iso8601(from_unixtime(created_at)) AS time_utc,',
    '  workspace,',
    '  activity_type,',
    '  performed_by_id AS actor_id,',
    '  performed_by_email AS actor_email,',
    '  performed_by_ip AS ip_address,',
    '  activity_description,',
    '  metadata,',
    '  id',
    'FROM activity_logs',
    `WHERE ${where}`,
    'ORDER BY created_at DESC, workspace DESC, id DESC',
    `LIMIT ${Math.trunc(limit) + 1}`,
  ].join('\n');
  return { sql, values };
}
