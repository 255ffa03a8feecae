/**
 * Runs a pack's queries, up to `concurrency` at once (Athena runs them server-side; DuckDB
 * overlaps one query's execution with turning another's rows into CSV), and writes their CSVs
 * in query order. Each query's manifest entry records its SQL, parameter values and file hash.
 */
import type { QueryEngine, QueryResult } from '../ports.ts';
import { type CannedQuery, bindValues } from '../queries/catalog.ts';
import { toCsv } from './csv.ts';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface PackQueryResult {
  readonly query: CannedQuery;
  readonly result: QueryResult;
  readonly file: string;
  readonly sha256: string;
}

export interface RunPackQueriesOptions {
  readonly queries: readonly CannedQuery[];
  readonly engine: QueryEngine;
  readonly period: { start_date: string; end_date: string };
  readonly concurrency: number;
  readonly bom: boolean;
  readonly write: (name: string, body: Buffer) => Promise<{ name: string; sha256: string }>;
  readonly onQuery?: (name: string, rows: number) => void;
}

function manifestEntry(query: CannedQuery, values: readonly string[], result: QueryResult, file: { name: string; sha256: string }) {
  return {
    name: query.name,
    title: query.title,
    control: query.control,
    file: file.name,
    sha256: file.sha256,
    rows: result.rows.length,
    columns: result.columns,
    parameters: query.parameters.map((name, i) => ({ name, value: values[i] })),
    sql: query.sql,
    ...(result.executionId && { execution_id: result.executionId }),
    ...(result.bytesScanned !== undefined && { bytes_scanned: result.bytesScanned }),
  };
}

export async function runPackQueries(
  options: RunPackQueriesOptions,
): Promise<{ results: PackQueryResult[]; entries: Record<string, unknown>[] }> {
  const concurrency = Math.max(1, options.concurrency);
  const pending = options.queries.map((query) => ({
    query,
    values: bindValues(query, options.period),
    result: undefined as Promise<QueryResult> | undefined,
  }));
  const start = (i: number) => {
    const item = pending[i];
    if (item && !item.result) {
      item.result = options.engine.run(item.query.sql, item.values);
      item.result.catch(() => undefined); // awaited in order below
    }
  };
  for (let i = 0; i < concurrency; i++) start(i);
  const results: PackQueryResult[] = [];
  const entries: Record<string, unknown>[] = [];
  for (const [i, item] of pending.entries()) {
    start(i);
    const result = await item.result!;
    start(i + concurrency);
    const csv = toCsv(result);
    const file = await options.write(`${item.query.name}.csv`, options.bom ? Buffer.concat([UTF8_BOM, csv]) : csv);
    options.onQuery?.(item.query.name, result.rows.length);
    results.push({ query: item.query, result, file: file.name, sha256: file.sha256 });
    entries.push(manifestEntry(item.query, item.values, result, file));
  }
  return { results, entries };
}
