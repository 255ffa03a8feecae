import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaEngine, AthenaQueryError, sqlLiteral } from '../../../../lambdas/adapters/aws/AthenaEngine.ts';

const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());

function engine(timeoutMs = 60_000) {
  let clock = 0;
  return new AthenaEngine(new AthenaClient({ region: 'eu-west-1' }), {
    workgroup: 'wg',
    database: 'db',
    timeoutMs,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
}

const row = (...cells: (string | undefined)[]) => ({ Data: cells.map((c) => (c === undefined ? {} : { VarCharValue: c })) });

describe('AthenaEngine', () => {
  it('starts the query in the workgroup with literal parameters, waits, and reads every page', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1234 } } });
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: {
          ResultSetMetadata: {
            ColumnInfo: [
              { Name: 'id', Type: 'varchar' },
              { Name: 'n', Type: 'bigint' },
            ],
          },
          Rows: [row('id', 'n'), row('a', '1')],
        },
        NextToken: 't',
      })
      .resolvesOnce({ ResultSet: { Rows: [row('b', undefined)] } });
    const result = await engine().run('SELECT ? AS x', ['2026-01-01', "O'Brien"]);
    expect(result).toEqual({
      columns: ['id', 'n'],
      rows: [
        ['a', '1'],
        ['b', null],
      ],
      executionId: 'q-1',
      bytesScanned: 1234,
    });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: 'SELECT ? AS x',
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'db' },
      ExecutionParameters: ["'2026-01-01'", "'O''Brien'"],
    });
    expect(athena.commandCalls(GetQueryResultsCommand)[1]!.args[0].input).toEqual({ QueryExecutionId: 'q-1', NextToken: 't' });
  });

  it('raises a typed error naming the query and the reason when it fails', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: activity_logs' } } });
    const error = await engine()
      .run('SELECT 1', [])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as Error).message).toBe('Athena query q-2 failed: TABLE_NOT_FOUND: activity_logs');
  });

  it('stops a query that never finishes and says so', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(engine(30_000).run('SELECT 1', [])).rejects.toThrow(
      'Athena query q-3 did not finish within 30 s and was stopped (state RUNNING)',
    );
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({ QueryExecutionId: 'q-3' });
  });

  it('quotes values as SQL string literals', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
  });
});
