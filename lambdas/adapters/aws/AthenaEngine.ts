/**
 * The query-engine port on Athena. Execution parameters are pasted into the SQL as literal
 * text, so each value is sent as a quoted SQL string literal (DuckDB binds values instead).
 * Waits with backoff; a query that fails or never finishes is a clear error, and one that runs
 * past the deadline is stopped.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { ArchiveError } from '../../core/errors.ts';
import type { Cell, QueryEngine, QueryResult } from '../../core/ports.ts';

export class AthenaQueryError extends ArchiveError {
  constructor(
    readonly executionId: string,
    message: string,
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

export interface AthenaEngineOptions {
  readonly workgroup: string;
  readonly database: string;
  /** Give up (and stop the query) after this long. @default 600000 */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** `'2026-01-01'` → `'''2026-01-01'''`-safe literal text for ExecutionParameters. */
export const sqlLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class AthenaEngine implements QueryEngine {
  readonly name: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly athena: AthenaClient,
    private readonly options: AthenaEngineOptions,
  ) {
    this.name = `athena:${options.workgroup}`;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
  }

  async run(sql: string, values: readonly string[]): Promise<QueryResult> {
    const started = await this.athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.options.workgroup,
        QueryExecutionContext: { Database: this.options.database },
        ...(values.length > 0 && { ExecutionParameters: values.map(sqlLiteral) }),
      }),
    );
    const id = started.QueryExecutionId!;
    const deadline = this.now() + (this.options.timeoutMs ?? 600_000);
    let delay = 250;
    let bytesScanned: number | undefined;
    for (;;) {
      const { QueryExecution: execution } = await this.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') {
        bytesScanned = execution?.Statistics?.DataScannedInBytes;
        break;
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new AthenaQueryError(
          id,
          `Athena query ${id} ${state.toLowerCase()}: ${execution?.Status?.StateChangeReason ?? 'no reason given'}`,
        );
      }
      if (this.now() >= deadline) {
        await this.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        throw new AthenaQueryError(
          id,
          `Athena query ${id} did not finish within ${Math.round((this.options.timeoutMs ?? 600_000) / 1000)} s and was stopped (state ${state ?? 'unknown'})`,
        );
      }
      await this.sleep(delay);
      delay = Math.min(5000, Math.round(delay * 1.5));
    }

    let columns: string[] = [];
    const rows: Cell[][] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, ...(token && { NextToken: token }) }));
      if (first) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      const data = page.ResultSet?.Rows ?? [];
      // The first row of the first page repeats the column names.
      for (const row of first ? data.slice(1) : data) rows.push((row.Data ?? []).map((d) => d.VarCharValue ?? null));
      first = false;
      token = page.NextToken;
    } while (token);
    return { columns, rows, executionId: id, ...(bytesScanned !== undefined && { bytesScanned }) };
  }

  async close(): Promise<void> {}
}
