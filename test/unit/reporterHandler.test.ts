import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { constants, createHash, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { verifyPack } from '../../lambdas/core/reports/packSigning.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createReporterHandler, parseReporterEnv } from '../../lambdas/handlers/reporter.ts';
import { QUERIES_DIR, loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { PartialPeriodError } from '../../lambdas/core/errors.ts';
import { ScriptedSource, entry } from '../helpers/scriptedSource.ts';

const athena = mockClient(AthenaClient);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);
beforeEach(() => {
  athena.reset();
  sns.reset();
  kms.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

const alice = { id: '101', email: 'alice@example.test' };

/** An archive of ws1 from 2026-04-01 to 2026-10-01 (2026-Q2 and Q3 whole), written through the S3 adapter. */
async function seedArchive(s3: ReturnType<typeof fakeS3>) {
  const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket', prefix: '' });
  await collect(
    new ScriptedSource(
      [
        entry('e-1', '2026-07-03T10:00:00Z', 'app_data_export', alice, { export_type: 'users' }),
        entry('e-2', '2026-08-03T10:00:00Z', 'workspace_sso_enforcement_change', alice),
        { id: 'q-1', created_at: Date.parse('2026-08-20T08:00:00Z') / 1000, performed_by: { type: 'admin', id: alice.id } },
      ],
      'ws1',
    ),
    store,
    {
      workspaceId: 'ws1',
      since: Date.parse('2026-04-01T00:00:00Z') / 1000,
      until: Date.parse('2026-10-01T00:00:00Z') / 1000,
      windowSeconds: 30 * 86_400,
      runId: 'seed',
      collectorVersion: '0.0.0-test',
      now: () => new Date('2026-10-01T05:00:00Z'),
    },
  );
}

function setup(options: { seeded?: boolean; env?: Record<string, string> } = { seeded: true }) {
  const s3 = fakeS3();
  const seeded = options.seeded === false ? Promise.resolve() : seedArchive(s3);
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
      ...options.env,
    }),
    kms: new KMSClient({ region: 'eu-west-1' }),
    athena: new AthenaClient({ region: 'eu-west-1' }),
    s3: s3.client,
    sns: new SNSClient({ region: 'eu-west-1' }),
    logger,
    now: () => new Date(t),
    sleep: async (ms) => {
      t += ms;
    },
  });
  return {
    handler: async (event: Parameters<typeof handler>[0]) => {
      await seeded;
      return handler(event);
    },
    s3,
  };
}
const reportKeys = (s3: ReturnType<typeof fakeS3>) => [...s3.objects.keys()].filter((k) => k.includes('/reports/')).sort();

describe('reporter Lambda', () => {
  it('runs every canned query for the previous quarter, writes the pack under reports/ and notifies', async () => {
    let n = 0;
    athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q-${++n}` }));
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 10 } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'varchar' }] },
        Rows: [{ Data: [{ VarCharValue: 'id' }] }, { Data: [{ VarCharValue: 'x' }] }],
      },
    });
    const { handler, s3 } = setup();
    const result = await handler(undefined);
    expect(result.quarter).toBe('2026-Q3');
    const keys = reportKeys(s3);
    expect(keys).toEqual(
      [...loadQueries().map((q) => `${q.name}.csv`), 'summary.html', 'manifest.json', 'SHA256SUMS']
        .map((f) => `archive-bucket/reports/quarter=2026-Q3/${f}`)
        .sort(),
    );
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(loadQueries().length);
    expect(starts[0]).toMatchObject({
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'db' },
      ExecutionParameters: ["'2026-07-01'", "'2026-09-30'"],
    }); // activity_summary_by_actor, first by name since the split
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

  it('refuses a pack over an empty archive, writes nothing and says so on the topic', async () => {
    const { handler, s3 } = setup({ seeded: false });
    await expect(handler(undefined)).rejects.toThrow(PartialPeriodError);
    await expect(handler(undefined)).rejects.toThrow(
      /^NOT COMPLETE: ws1 has no archive \(results for this period are partial\)\. No pack was written/,
    );
    expect(reportKeys(s3)).toEqual([]);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toMatchObject({
      Subject: 'Intercom audit report pack 2026-Q3 FAILED',
      Message: expect.stringContaining('NOT COMPLETE: ws1 has no archive'),
    });
  });

  it('builds a pack that says it is partial when the event asks for allowPartial', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'id' }] }] },
    });
    const { handler, s3 } = setup({ seeded: false });
    await handler({ quarter: '2026-Q3', allowPartial: true });
    const manifest = JSON.parse(s3.objects.get('archive-bucket/reports/quarter=2026-Q3/manifest.json')!.body.toString());
    expect(manifest.coverage).toEqual({
      complete: false,
      workspaces: [
        {
          workspace_id: 'ws1',
          origin: null,
          first_seq: null,
          last_seq: null,
          complete: false,
          uncovered: [{ from: '2026-07-01T00:00:00Z', to: '2026-10-01T00:00:00Z' }],
        },
      ],
    });
    const html = s3.objects.get('archive-bucket/reports/quarter=2026-Q3/summary.html')!.body.toString();
    expect(html).toMatch(/<body>\n<p class="completeness partial">NOT COMPLETE: ws1 has no archive/);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toMatch(/^NOT COMPLETE: ws1 has no archive/);
  });

  it('states coverage, population and exceptions on Athena as on DuckDB', async () => {
    const sqlById = new Map<string, string>();
    athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
      const id = `q-${sqlById.size + 1}`;
      sqlById.set(id, input.QueryString);
      return { QueryExecutionId: id };
    });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    // Athena returns every value as text; the by-type summary answers with the seeded entries.
    athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId: string }) => {
      const byType = /AS month, workspace, activity_type, count\(\*\) AS events/.test(sqlById.get(input.QueryExecutionId) ?? '');
      const columns = byType ? ['month', 'workspace', 'activity_type', 'events'] : ['id'];
      const rows = byType
        ? [
            ['2026-07', 'ws1', 'app_data_export', '1'],
            ['2026-08', 'ws1', 'workspace_sso_enforcement_change', '1'],
          ]
        : [];
      const text = (row: string[]) => ({ Data: row.map((v) => ({ VarCharValue: v })) });
      return {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name, Type: 'varchar' })) },
          Rows: [text(columns), ...rows.map(text)],
        },
      };
    });
    const { handler, s3 } = setup();
    await handler({ quarter: '2026-Q3' });
    const manifest = JSON.parse(s3.objects.get('archive-bucket/reports/quarter=2026-Q3/manifest.json')!.body.toString());
    expect(manifest.coverage).toMatchObject({
      complete: true,
      workspaces: [{ workspace_id: 'ws1', origin: '2026-04-01T00:00:00Z', complete: true, uncovered: [] }],
    });
    expect(manifest.population).toEqual({
      entries: 2,
      by_workspace: [{ workspace_id: 'ws1', count: 2 }],
      by_activity_type: [
        { activity_type: 'app_data_export', count: 1 },
        { activity_type: 'workspace_sso_enforcement_change', count: 1 },
      ],
    });
    expect(manifest.exceptions.quarantined).toEqual([
      {
        time: '2026-08-20T08:00:00Z',
        workspace_id: 'ws1',
        reason: expect.stringContaining('activity_type'),
        id: 'q-1',
        part: expect.stringMatching(/^quarantine\/workspace=ws1\//),
      },
    ]);
    expect(manifest.exceptions.ungrouped_types).toEqual([{ activity_type: 'workspace_sso_enforcement_change', count: 1 }]);
    // The quarter's 90-day look-back starts 2026-04-02, inside the archive.
    expect(manifest.exceptions.lookback_before_origin).toEqual([]);
    const html = s3.objects.get('archive-bucket/reports/quarter=2026-Q3/summary.html')!.body.toString();
    expect(html).toMatch(/<body>\n<p class="completeness complete">The archive covers the whole period: windows \d+–\d+, no gaps<\/p>/);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toMatch(/^The archive covers the whole period/);
  });

  it('refuses a second pack for the same quarter before any query', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'id' }] }] },
    });
    const { handler } = setup();
    await handler({ quarter: '2026-Q3' });
    const started = athena.commandCalls(StartQueryExecutionCommand).length;
    await expect(handler({ quarter: '2026-Q3' })).rejects.toThrow(/reports\/quarter=2026-Q3\/.* already exists; a report pack is evidence/);
    expect(athena.commandCalls(StartQueryExecutionCommand).length).toBe(started);
  });

  it.each([
    [{ quarter: 7 }, /quarter: /],
    [{ quarter: '2026-Q1', allowPartial: 'yes' }, /allowPartial: /],
  ])('rejects a malformed event %j, naming the field', async (event, message) => {
    const { handler } = setup({ seeded: false });
    await expect(handler(event as never)).rejects.toThrow(message);
  });

  it('signs the pack with the report-signing key (not the manifest key) and names its fingerprint on the topic', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
      Signature: cryptoSign(null, Buffer.from(input.Message), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }),
    }));
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeyId: 'arn:aws:kms:eu-west-1:123456789012:key/report', PublicKey: publicKey.export({ type: 'spki', format: 'der' }) });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'id' }] }] },
    });
    const { handler, s3 } = setup({ seeded: true, env: { REPORT_SIGNING_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/report' } });
    await handler({ quarter: '2026-Q3' });
    expect(reportKeys(s3)).toEqual(
      expect.arrayContaining([
        'archive-bucket/reports/quarter=2026-Q3/SHA256SUMS',
        'archive-bucket/reports/quarter=2026-Q3/manifest.sig.json',
      ]),
    );
    expect(kms.commandCalls(SignCommand).map((c) => c.args[0].input.KeyId)).toEqual(['arn:aws:kms:eu-west-1:123456789012:key/report']);
    const prefix = 'archive-bucket/reports/quarter=2026-Q3/';
    const real = PublicKeyVerifier.fromDer(publicKey.export({ type: 'spki', format: 'der' }));
    // The mock cannot sign a bare digest the way KMS does (node's sign() hashes its input again),
    // so this verifier checks what the mock signed: the digest KmsSigner sent.
    const verifier = {
      ...real,
      fingerprint: real.fingerprint,
      algorithm: real.algorithm,
      keyId: real.keyId,
      verify: async (m: Buffer, sig: Buffer) =>
        cryptoVerify(
          'sha256',
          createHash('sha256').update(m).digest(),
          { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          sig,
        ),
    };
    const names = reportKeys(s3).map((k) => k.slice(prefix.length));
    const result = await verifyPack({ names, read: async (name) => s3.objects.get(`${prefix}${name}`)?.body, verifier });
    expect(result.problems).toEqual([]);
    // …and a CSV changed afterwards is named.
    const csvKey = `${prefix}gdpr_data_exports.csv`;
    s3.objects.set(csvKey, { ...s3.objects.get(csvKey)!, body: Buffer.from('changed') });
    expect(
      (await verifyPack({ names, read: async (name) => s3.objects.get(`${prefix}${name}`)?.body, verifier })).problems.map((p) => p.file),
    ).toEqual(['gdpr_data_exports.csv']);
    s3.objects.delete(csvKey);
    const manifest = JSON.parse(s3.objects.get(`${prefix}manifest.json`)!.body.toString());
    expect(manifest.report_signing_key).toEqual({
      fingerprint: verifier.fingerprint,
      key_id: 'arn:aws:kms:eu-west-1:123456789012:key/report',
      algorithm: 'RSASSA_PSS_SHA_256',
    });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(
      `by the report-signing key with fingerprint ${verifier.fingerprint}`,
    );
  });

  it('rejects a malformed quarter in the event', async () => {
    const { handler } = setup();
    await expect(handler({ quarter: '2026-Q9' })).rejects.toThrow(/is not a quarter/);
  });
});
