/**
 * The canned queries: Athena (Trino) SQL files, each opening with a comment block that names
 * its title, question, control and parameters in the order of its `?` marks. One runner binds
 * every query from named values, so the same file runs on Athena and on DuckDB. The files are read
 * by an adapter (`adapters/local/loadQueries.ts`); this module only parses and binds them.
 */
import path from 'node:path';
import { ConfigurationError } from '../errors.ts';

export interface CannedQuery {
  readonly name: string;
  readonly file: string;
  readonly title: string;
  readonly question: string;
  readonly control: string;
  /** Parameter names, one per `?` mark, in order (a name may repeat). */
  readonly parameters: readonly string[];
  readonly sql: string;
  /** Japanese title, question and control (`-- title_ja:` …), for `--lang ja`. */
  readonly ja?: { readonly title: string; readonly question: string; readonly control: string };
  /** Days before the period the query reads by design (`-- lookback_days: 90`). */
  readonly lookbackDays?: number;
}

export type QueryParameters = Record<string, string>;

/** Counts `?` marks outside string literals and comments. */
export function countPlaceholders(sql: string): number {
  const stripped = sql
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/'(?:[^']|'')*'/g, "''");
  return (stripped.match(/\?/g) ?? []).length;
}

export function parseQuery(file: string, sql: string): CannedQuery {
  const name = path.basename(file, '.sql');
  const header = (key: string) => new RegExp(`^--\\s*${key}:\\s*(.+)$`, 'm').exec(sql)?.[1]?.trim();
  const title = header('title');
  const question = header('question');
  const control = header('control');
  const params = header('parameters');
  const missing = [
    ['title', title],
    ['question', question],
    ['control', control],
    ['parameters', params],
  ].filter(([, v]) => !v);
  if (missing.length) throw new ConfigurationError(`query ${file}: its header lacks ${missing.map(([k]) => `'-- ${k}:'`).join(', ')}`);
  const parameters = params!
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const marks = countPlaceholders(sql);
  if (marks !== parameters.length)
    throw new ConfigurationError(`query ${file}: its header names ${parameters.length} parameters but the SQL has ${marks} '?' marks`);
  const ja = { title: header('title_ja'), question: header('question_ja'), control: header('control_ja') };
  const lookback = header('lookback_days');
  if (lookback !== undefined && !/^\d{1,4}$/.test(lookback))
    throw new ConfigurationError(`query ${file}: '-- lookback_days: ${lookback}' is not a whole number of days`);
  return {
    name,
    file,
    title: title!,
    question: question!,
    control: control!,
    parameters,
    sql,
    ...(ja.title && ja.question && ja.control && { ja: { title: ja.title, question: ja.question, control: ja.control } }),
    ...(lookback !== undefined && { lookbackDays: Number(lookback) }),
  };
}

/** The values for a query's `?` marks, in order, from named values. */
export function bindValues(query: CannedQuery, values: QueryParameters): string[] {
  return query.parameters.map((name) => {
    const value = values[name];
    if (value === undefined) throw new ConfigurationError(`query ${query.name} needs parameter '${name}'`);
    return value;
  });
}

/** `YYYY-Qn` → the quarter's first and last day, inclusive. */
export function quarterRange(quarter: string): { start_date: string; end_date: string } {
  const m = /^(\d{4})-Q([1-4])$/.exec(quarter);
  if (!m) throw new ConfigurationError(`--quarter: '${quarter}' is not a quarter; write it like 2026-Q1`);
  const year = Number(m[1]);
  const q = Number(m[2]);
  const start = new Date(Date.UTC(year, (q - 1) * 3, 1));
  const end = new Date(Date.UTC(year, q * 3, 0));
  return { start_date: start.toISOString().slice(0, 10), end_date: end.toISOString().slice(0, 10) };
}

/** The last quarter that ended before `date`. */
export function previousQuarter(date: Date): string {
  const q = Math.floor(date.getUTCMonth() / 3); // 0-based current quarter
  return q === 0 ? `${date.getUTCFullYear() - 1}-Q4` : `${date.getUTCFullYear()}-Q${q}`;
}
