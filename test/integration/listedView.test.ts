/**
 * The Athena view that reads only chain-listed parts (`"$path"` filtered through the part index),
 * checked where it can be without Athena: against Trino's grammar, and run on DuckDB with
 * `"$path"` as a column, over an archive holding an unlisted part, an acknowledged part, a forged
 * index (acknowledged) and a recovery that rejected a planted part. It must read exactly what the
 * local engine reads from the manifests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { ARCHIVE_COLUMNS } from '../../lambdas/core/archive/columns.ts';
import { dataKey, utcDate } from '../../lambdas/core/archive/keys.ts';
import { indexKey } from '../../lambdas/core/archive/partIndex.ts';
import { acknowledgeObjects } from '../../lambdas/core/operator/operatorManifest.ts';
import { listedViewDdl, prestoViewText } from '../../lambdas/core/queries/listedView.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';

let sim: RunningSimulator;
let dir: string;
const WS = 'sim-acme';
const line = (id: string, createdAt: number) =>
  `${JSON.stringify({ id, workspace_id: WS, created_at: createdAt, activity_type: 'app_data_export', source: JSON.stringify({ id, created_at: createdAt, activity_type: 'app_data_export' }) })}\n`;
const plant = (key: string, body: Buffer | string) => {
  mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
  writeFileSync(path.join(dir, key), body);
};

beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  dir = mkdtempSync(path.join(os.tmpdir(), 'view-'));
  const store = new LocalObjectStore(dir);
  await runCollector(sim, store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY });
  // A planted part at the next window start: the collector rejects it (its index rejects it).
  plant(dataKey(WS, utcDate(T0 + 2 * DAY), T0 + 2 * DAY, 'part', 1), gzipSync(line('planted-at-head', T0 + 2 * DAY + 5)));
  await runCollector(sim, store, { until: T0 + 3 * DAY, windowSeconds: DAY });
  // Unlisted objects in history, and a forged index naming one of them.
  const unlisted = `activity_logs/workspace=${WS}/dt=${utcDate(T0 + DAY)}/zzz.jsonl.gz`;
  const acknowledged = `activity_logs/workspace=${WS}/dt=${utcDate(T0 + DAY)}/yyy.jsonl.gz`;
  plant(unlisted, gzipSync(line('unlisted', T0 + DAY + 7)));
  plant(acknowledged, gzipSync(line('acknowledged', T0 + DAY + 8)));
  const forgedIndex = indexKey(WS, 777);
  plant(forgedIndex, `${JSON.stringify({ seq: 777, key: unlisted, status: 'listed' })}\n`);
  await acknowledgeObjects(store, [acknowledged, forgedIndex], {
    workspaceId: WS,
    reason: 'test objects',
    operator: 'test',
    runId: 'run-op',
    collectorVersion: '0.0.0-test',
  });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the activity_logs view (reads only chain-listed parts)', () => {
  it('parses as Trino SQL, as Athena would create it', () => {
    expect(new TrinoSQL().validate(listedViewDdl())).toEqual([]);
  });

  it('is stored in Glue the way Athena stores a view it creates', () => {
    const text = prestoViewText('intercom_audit_archive', [{ name: 'id', type: 'string' }]);
    const json = JSON.parse(Buffer.from(/^\/\* Presto View: (\S+) \*\/$/.exec(text)![1]!, 'base64').toString('utf8'));
    expect(json).toMatchObject({ catalog: 'awsdatacatalog', schema: 'intercom_audit_archive', columns: [{ name: 'id', type: 'varchar' }] });
    expect(listedViewDdl()).toContain(json.originalSql);
  });

  it('on DuckDB, with "$path" as a column, reads exactly the parts the manifests list', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const q = (t: string) => `'${t.replace(/'/g, "''")}'`;
    const columns = ARCHIVE_COLUMNS.map(
      (c) => `${q(c.name)}: ${q({ string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN' }[c.type])}`,
    ).join(', ');
    const s3Path = `replace(filename, ${q(`${dir}/`)}, 's3://archive-bucket/prefix/')`;
    await db.run(
      `CREATE TABLE activity_logs_objects AS SELECT * EXCLUDE (filename), ${s3Path} AS "$path" FROM read_json(${q(`${dir}/activity_logs/workspace=*/dt=*/*.jsonl.gz`)}, ` +
        `format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, filename = true, columns = {${columns}})`,
    );
    await db.run(
      `CREATE TABLE archive_index AS SELECT * EXCLUDE (filename), ${s3Path} AS "$path" FROM read_json(${q(`${dir}/index/workspace=*/*.jsonl`)}, ` +
        `format = 'newline_delimited', hive_partitioning = true, filename = true, columns = {seq: 'BIGINT', key: 'VARCHAR', status: 'VARCHAR'})`,
    );
    await db.run(listedViewDdl());
    const viaView = (await db.runAndReadAll('SELECT id FROM activity_logs ORDER BY id')).getRows().map((r) => String(r[0]));
    const everything = (await db.runAndReadAll('SELECT id FROM activity_logs_objects ORDER BY id')).getRows().map((r) => String(r[0]));
    db.closeSync();
    instance.closeSync();

    const engine = await DuckDbEngine.open(dir);
    const listed = (await engine.run('SELECT id FROM activity_logs ORDER BY id', [])).rows.map((r) => String(r[0]));
    await engine.close();
    expect(everything).toEqual(expect.arrayContaining(['planted-at-head', 'unlisted', 'acknowledged']));
    expect(viaView).toEqual(listed);
    expect(viaView).not.toEqual(expect.arrayContaining(['planted-at-head']));
    expect(viaView.filter((id) => ['planted-at-head', 'unlisted', 'acknowledged'].includes(id))).toEqual([]);
    expect(listed.length).toBe(sim.workspace.entriesBetween(T0, T0 + 3 * DAY - 1).length);
  });
});
