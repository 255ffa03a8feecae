import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createReporterHandler, parseReporterEnv } from '../../lambdas/handlers/reporter.ts';
import { QUERIES_DIR, loadQueries } from '../../lambdas/core/queries/catalog.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';

const athena = mockClient(AthenaClient);
const sns = mockClient(SNSClient);
beforeEach(() => {
  athena.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

function setup() {
  const s3 = fakeS3();
  let t = Date.parse('2026-10-01T06:00:00Z');
  const logger = new Logger({ serviceName: 'test' });
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
  vi.spyOn(logger, 'error').mockImplementation(() => undefined);
  const handler = createReporterHandler({
    config: parseReporterEnv({
      ARCHIVE_BUCKET: 'archive-bucket',
      WORKSPACE_IDS: 'ws1',
      ATHENA_WORKGROUP: 'wg',
      ATHENA_DATABASE: 'db',
      TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alarms',
      QUERY_TIMEOUT_SECONDS: '60',
      QUERIES_DIR,
    }),
    athena: new AthenaClient({ region: 'eu-west-1' }),
    s3: s3.client,
    sns: new SNSClient({ region: 'eu-west-1' }),
    logger,
    now: () => new Date(t),
    sleep: async (ms) => {
      t += ms;
    },
  });
  return { handler, s3 };
}

describe('reporter Lambda', () => {
  it('runs every canned query for the previous quarter, writes the pack under reports/ and notifies', async () => {
    let n = 0;
    athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q-${++n}` }));
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 10 } } });
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'id' }] }, { Data: [{ VarCharValue: 'x' }] }] } });
    const { handler, s3 } = setup();
    const result = await handler(undefined);
    expect(result.quarter).toBe('2026-Q3');
    const keys = [...s3.objects.keys()].sort();
    expect(keys).toEqual(
      [...loadQueries().map((q) => `${q.name}.csv`), 'summary.html', 'manifest.json'].map((f) => `archive-bucket/reports/quarter=2026-Q3/${f}`).sort(),
    );
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(loadQueries().length);
    expect(starts[0]).toMatchObject({ WorkGroup: 'wg', QueryExecutionContext: { Database: 'db' }, ExecutionParameters: ["'2026-07-01'", "'2026-09-30'", "'2026-07-01'", "'2026-09-30'"] });
    const manifest = JSON.parse(s3.objects.get('archive-bucket/reports/quarter=2026-Q3/manifest.json')!.body.toString());
    expect(manifest.engine).toBe('athena:wg');
    expect(manifest.queries.map((q: { execution_id: string }) => q.execution_id)).toEqual(loadQueries().map((_, i) => `q-${i + 1}`));
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({ Subject: 'Intercom audit report pack 2026-Q3 is ready' });
  });

  it('fails loudly when a query fails, and says so on the topic', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-bad' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'HIVE_BAD_DATA' } } });
    const { handler } = setup();
    await expect(handler({ quarter: '2026-Q2' })).rejects.toThrow('Athena query q-bad failed: HIVE_BAD_DATA');
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({ Subject: 'Intercom audit report pack 2026-Q2 FAILED' });
  });

  it('stops a query that never finishes', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-slow' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const { handler } = setup();
    await expect(handler(undefined)).rejects.toThrow(/q-slow did not finish within 60 s and was stopped/);
    // Queries run three at a time: every one that was started is stopped, none is left running.
    await new Promise((r) => setTimeout(r, 10));
    expect(athena.commandCalls(StopQueryExecutionCommand).length).toBe(athena.commandCalls(StartQueryExecutionCommand).length);
    expect(athena.commandCalls(StartQueryExecutionCommand).length).toBe(3);
  });

  it('rejects a malformed quarter in the event', async () => {
    const { handler } = setup();
    await expect(handler({ quarter: '2026-Q9' })).rejects.toThrow(/is not a quarter/);
  });
});
