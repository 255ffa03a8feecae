/**
 * A mocked Athena (aws-sdk-client-mock) that answers each query by doing what Athena does with
 * ExecutionParameters — pasting each literal in place of a `?` mark — and running the result on
 * a DuckDB engine over the same archive, so a test checks that the SQL Athena would receive
 * gives the same answer as the bound statement on DuckDB.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import type { QueryEngine } from '../../lambdas/core/ports.ts';

/** Replaces `?` marks outside string literals and comments with the parameters, in order. */
export function pasteParameters(sql: string, parameters: readonly string[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      out += sql.slice(i, end === -1 ? sql.length : end);
      i = end === -1 ? sql.length : end - 1;
    } else if (c === '?') {
      if (next >= parameters.length) throw new Error('more ? marks than ExecutionParameters (Athena fails the query)');
      out += parameters[next++];
    } else out += c;
  }
  if (next !== parameters.length) throw new Error('fewer ? marks than ExecutionParameters (Athena fails the query)');
  return out;
}

/** Mocks AthenaClient; returns the mock (for asserting requests) and the SQL texts it ran. */
export function athenaOnDuckDb(duck: QueryEngine) {
  const athena = mockClient(AthenaClient);
  const ran = new Map<string, string>();
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string; ExecutionParameters?: string[] }) => {
    const id = `q-${ran.size + 1}`;
    ran.set(id, pasteParameters(input.QueryString, input.ExecutionParameters ?? []));
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake(async (input: { QueryExecutionId: string }) => {
    const result = await duck.run(ran.get(input.QueryExecutionId)!, []);
    const row = (cells: readonly unknown[]) => ({
      Data: cells.map((c) => (c === null || c === undefined ? {} : { VarCharValue: String(c) })),
    });
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: result.columns.map((Name) => ({ Name, Type: 'varchar' })) },
        Rows: [row(result.columns), ...result.rows.map(row)],
      },
    };
  });
  return { athena, ran };
}
