/**
 * Comparing a pack's CSV with a fresh run (byte for byte on the same engine kind, rows after the
 * documented normalisation across kinds), and re-performing on Athena through the bounded view:
 * the pack's SQL after the bound CTEs, the heads bound as parameters, nothing created.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../../../lambdas/adapters/aws/AthenaEngine.ts';
import { compareCsv } from '../../../../lambdas/core/reports/csvCompare.ts';
import { headBoundQuery } from '../../../../lambdas/core/reports/headBoundView.ts';
import { REPORT_FORMAT, parsePackManifest } from '../../../../lambdas/core/reports/packManifest.ts';
import { reperformPack } from '../../../../lambdas/core/reports/reperform.ts';

const csv = (text: string) => Buffer.from(text, 'utf8');
const BOM = '\ufeff';

describe('compareCsv()', () => {
  it('matches identical bytes', () => {
    expect(compareCsv('a.csv', csv('id,n\r\nx,1\r\n'), csv('id,n\r\nx,1\r\n'), 'bytes')).toEqual({
      file: 'a.csv',
      status: 'match',
      rows: 1,
    });
  });

  it('names the first differing row, counting the header as row 0', () => {
    const result = compareCsv('a.csv', csv('id,n\r\nx,1\r\ny,2\r\n'), csv('id,n\r\nx,1\r\ny,3\r\n'), 'bytes');
    expect(result).toMatchObject({ status: 'differs', first: { row: 2, pack: ['y', '2'], now: ['y', '3'] } });
    expect(compareCsv('a.csv', csv('id,m\r\n'), csv('id,n\r\n'), 'bytes').first!.row).toBe(0);
  });

  it('names a row only one side has', () => {
    expect(compareCsv('a.csv', csv('id\r\nx\r\n'), csv('id\r\nx\r\ny\r\n'), 'bytes').first).toEqual({ row: 2, pack: null, now: ['y'] });
  });

  it('on the same engine kind, bytes that read as the same rows still differ (a BOM added)', () => {
    expect(compareCsv('a.csv', csv(`${BOM}id\r\nx\r\n`), csv('id\r\nx\r\n'), 'bytes')).toMatchObject({
      status: 'differs',
      reason: expect.stringMatching(/every row reads the same, but the bytes differ/),
    });
  });

  it('across engine kinds, drops a BOM and compares numbers as numbers: "rows equal"', () => {
    expect(compareCsv('a.csv', csv(`${BOM}id,n,share\r\nx,1,0.5\r\n`), csv('id,n,share\r\nx,1.0,5e-1\r\n'), 'rows')).toEqual({
      file: 'a.csv',
      status: 'rows equal',
      rows: 1,
    });
    expect(compareCsv('a.csv', csv('id,n\r\nx,1\r\n'), csv('id,n\r\nx,2\r\n'), 'rows').status).toBe('differs');
    expect(compareCsv('a.csv', csv('id\r\n007\r\n'), csv('id\r\nx7\r\n'), 'rows').status).toBe('differs');
  });

  it('says a file is missing from the pack', () => {
    expect(compareCsv('a.csv', undefined, csv('id\r\n'), 'bytes')).toMatchObject({
      status: 'differs',
      reason: 'a.csv is missing from the pack',
    });
  });
});

describe('parsePackManifest()', () => {
  it('refuses a query file that is not a plain name inside the pack', () => {
    const manifest = {
      format: REPORT_FORMAT,
      quarter: '2026-Q1',
      engine: 'duckdb v1',
      archive: { manifest_heads: [] },
      queries: [{ name: 'q', file: '../../etc/passwd.csv', sha256: 'a'.repeat(64), sql: 'SELECT 1', parameters: [] }],
    };
    expect(() => parsePackManifest(Buffer.from(JSON.stringify(manifest)), 'p/manifest.json')).toThrow(
      /p\/manifest\.json is not a report pack manifest \(queries\.0\.file: a plain \.csv file name inside the pack\)/,
    );
  });
});

const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());

describe('reperformPack() on Athena', () => {
  const sql = '-- title: shares\n-- parameters: start_date\nSELECT id, share FROM activity_logs WHERE dt >= ? ORDER BY id\n';
  const manifest = parsePackManifest(
    Buffer.from(
      JSON.stringify({
        format: REPORT_FORMAT,
        quarter: '2026-Q1',
        engine: 'duckdb v1.4.1',
        archive: { manifest_heads: [{ workspaceId: 'ws-a', seq: 12, sha256: 'b'.repeat(64) }] },
        options: { bom: true },
        queries: [
          { name: 'shares', file: 'shares.csv', sha256: 'c'.repeat(64), sql, parameters: [{ name: 'start_date', value: '2026-01-01' }] },
        ],
      }),
    ),
    'manifest.json',
  );

  it("runs the pack's SQL behind the view bounded at the heads, creates nothing, and reports rows equal across engines", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: [
            { Name: 'id', Type: 'varchar' },
            { Name: 'share', Type: 'varchar' },
          ],
        },
        Rows: [{ Data: [{ VarCharValue: 'id' }, { VarCharValue: 'share' }] }, { Data: [{ VarCharValue: 'x' }, { VarCharValue: '0.50' }] }],
      },
    });
    const engine = new AthenaEngine(new AthenaClient({ region: 'eu-west-1' }), { workgroup: 'wg', database: 'db', sleep: async () => {} });
    const result = await reperformPack({
      manifest,
      engine,
      read: async (name) => (name === 'shares.csv' ? csv(`${BOM}id,share\r\nx,0.5\r\n`) : undefined),
      bind: (text, values) => headBoundQuery(text, values, manifest.archive.manifest_heads),
    });
    expect(result).toMatchObject({ ok: true, mode: 'rows', files: [{ file: 'shares.csv', status: 'rows equal', rows: 1 }] });
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.ExecutionParameters).toEqual(["'ws-a'", "'12'", "'2026-01-01'"]);
    const text = starts[0]!.QueryString!;
    expect(
      text.startsWith(
        '-- title: shares\n-- parameters: start_date\nWITH reperform_heads (workspace_id, head_seq) AS (VALUES (?, CAST(? AS bigint)))',
      ),
    ).toBe(true);
    expect(text.endsWith('SELECT id, share FROM activity_logs WHERE dt >= ? ORDER BY id\n')).toBe(true);
    expect(text).not.toMatch(/\b(CREATE|INSERT|DROP|ALTER|UNLOAD)\b/i);
  });

  it('exits with differences named when a row changed', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: [
            { Name: 'id', Type: 'varchar' },
            { Name: 'share', Type: 'varchar' },
          ],
        },
        Rows: [{ Data: [{ VarCharValue: 'id' }, { VarCharValue: 'share' }] }, { Data: [{ VarCharValue: 'x' }, { VarCharValue: '0.75' }] }],
      },
    });
    const engine = new AthenaEngine(new AthenaClient({ region: 'eu-west-1' }), { workgroup: 'wg', database: 'db', sleep: async () => {} });
    const result = await reperformPack({ manifest, engine, read: async () => csv(`${BOM}id,share\r\nx,0.5\r\n`) });
    expect(result.ok).toBe(false);
    expect(result.files[0]).toMatchObject({ status: 'differs', first: { row: 1, pack: ['x', '0.5'], now: ['x', '0.75'] } });
  });
});
