/**
 * `report reperform`: a pack's own SQL run again over the parts listed up to its recorded heads.
 * It matches a fresh pack byte for byte, still matches after a later late manifest adds an entry
 * inside the quarter, names the first differing row when a part inside the heads was changed, and
 * on Athena reads through the chain-listed view bounded at the heads (checked here on DuckDB with
 * Athena's "$path" column, as the view's own test does).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReportReperform } from '../../cli/commands/reportReperform.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { reportSignerForArchive } from '../../lambdas/adapters/local/reportKey.ts';
import { ARCHIVE_COLUMNS } from '../../lambdas/core/archive/columns.ts';
import { archiveScope } from '../../lambdas/core/archive/scope.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { buildReportPack } from '../../lambdas/core/reports/buildReportPack.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { headBoundQuery } from '../../lambdas/core/reports/headBoundView.ts';
import { ScriptedSource, entry } from '../helpers/scriptedSource.ts';

const WS = 'ws-reperform';
const eve = { id: '201', email: 'eve@example.test' };
const first = [
  entry('r-1', '2026-02-03T10:00:00Z', 'app_data_export', eve, { export_type: 'users' }),
  entry('r-2', '2026-02-04T10:00:00Z', 'admin_login_success', eve),
  entry('r-3', '2026-03-10T10:00:00Z', 'app_data_export', eve, { export_type: 'conversations' }),
];
// Served only later, inside the last window of the quarter: a late manifest lists it.
const late = entry('r-late', '2026-03-31T20:00:00Z', 'app_data_export', eve, { export_type: 'late' });

let tmp: string;
let archiveDir: string;
let store: LocalObjectStore;
let keyDir: string;
let packDir: string;
let headBefore: { workspaceId: string; seq: number }[];

const settings = (until: string) => ({
  workspaceId: WS,
  since: Date.parse('2025-10-01T00:00:00Z') / 1000,
  until: Date.parse(until) / 1000,
  windowSeconds: 30 * 86_400,
  lookbackSeconds: 2 * 86_400,
  runId: `run-${until}`,
  collectorVersion: '0.0.0-test',
  now: () => new Date('2026-04-05T00:00:00Z'),
});

async function pack(out: string) {
  const engine = await DuckDbEngine.open(archiveDir);
  try {
    await buildReportPack({
      quarter: '2026-Q1',
      queries: loadQueries(),
      engine,
      sink: new FolderReportSink(out),
      archive: store,
      workspaceIds: [WS],
      now: () => new Date('2026-04-05T06:00:00Z'),
      reportSigner: reportSignerForArchive(archiveDir, keyDir).reportSigner,
    });
  } finally {
    await engine.close();
  }
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reperform-'));
  archiveDir = path.join(tmp, 'archive');
  keyDir = path.join(tmp, 'keys');
  store = new LocalObjectStore(archiveDir);
  await collect(new ScriptedSource(first, WS), store, settings('2026-04-01T00:00:00Z'));
  packDir = path.join(tmp, 'pack');
  await pack(packDir);
  headBefore = (await archiveScope(store)).heads;
}, 60_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('report reperform', () => {
  it('matches every CSV of a fresh pack byte for byte, one line per file', async () => {
    const result = await runReportReperform({ pack: packDir, archive: archiveDir });
    expect(result.ok).toBe(true);
    const lines = result.text.split('\n');
    expect(lines[0]).toMatch(
      /^re-performed 11 queries of the pack in .* \(built on duckdb .*\) on duckdb .*seq \d+\); compared byte for byte/,
    );
    expect(lines.filter((l) => l.startsWith('match       '))).toHaveLength(loadQueries().length);
    expect(lines.at(-1)).toBe(`OK: all ${loadQueries().length} CSVs match`);
  });

  it('is not changed by a late manifest written after the pack (it reads only up to the recorded heads)', async () => {
    const lateStore = path.join(tmp, 'archive');
    await collect(new ScriptedSource([...first, late], WS), store, { ...settings('2026-04-03T00:00:00Z'), since: undefined });
    const after = (await archiveScope(new LocalObjectStore(lateStore))).heads;
    expect(after[0]!.seq).toBeGreaterThan(headBefore[0]!.seq);
    // A pack built now holds the late entry, so the old pack's CSV would differ from it…
    const fresh = path.join(tmp, 'pack-after-late');
    await pack(fresh);
    const csv = (dir: string) => fs.readFile(path.join(dir, 'gdpr_data_exports.csv'), 'utf8');
    expect(await csv(fresh)).toContain('r-late');
    expect(await csv(packDir)).not.toContain('r-late');
    // …but re-performing the old pack reads only what its heads list.
    const result = await runReportReperform({ pack: packDir, archive: archiveDir });
    expect(result.text.split('\n').at(-1)).toBe(`OK: all ${loadQueries().length} CSVs match`);
    expect(result.ok).toBe(true);
  });

  it('names the first differing row when a part inside the heads was changed', async () => {
    const copy = path.join(tmp, 'tampered-archive');
    await fs.cp(archiveDir, copy, { recursive: true });
    const scope = await archiveScope(new LocalObjectStore(copy));
    const part = scope.parts.find((p) => p.records > 0 && p.key.includes('dt=2026-02-03'))!;
    const file = path.join(copy, part.key);
    const text = gunzipSync(await fs.readFile(file))
      .toString('utf8')
      .replaceAll('eve@example.test', 'mallory@example.test');
    await fs.chmod(file, 0o644);
    await fs.writeFile(file, gzipSync(text));
    const result = await runReportReperform({ pack: packDir, archive: copy });
    expect(result.ok).toBe(false);
    const line = result.text.split('\n').find((l) => l.includes('gdpr_data_exports.csv'))!;
    expect(line).toBe(
      'DIFFERS     gdpr_data_exports.csv: first difference at row 1: teammate_email: pack "eve@example.test", now "mallory@example.test"; ' +
        'activity_description: pack "eve@example.test app data export", now "mallory@example.test app data export"',
    );
    expect(result.text.split('\n').at(-1)).toMatch(/^FAILED: \d+ of 11 CSVs differ$/);
  });

  it('refuses a pack whose manifest.json is not the signed one when given the report key', async () => {
    const copy = path.join(tmp, 'pack-edited-sql');
    await fs.cp(packDir, copy, { recursive: true });
    const manifest = path.join(copy, 'manifest.json');
    await fs.chmod(copy, 0o755);
    await fs.chmod(manifest, 0o644);
    // An attacker rewrites a query so that it returns what the edited CSV says.
    await fs.writeFile(manifest, (await fs.readFile(manifest, 'utf8')).replace('SELECT', 'SELECT /* edited */'));
    const { publicKeyPath } = reportSignerForArchive(archiveDir, keyDir);
    const result = await runReportReperform({ pack: copy, archive: archiveDir, publicKey: publicKeyPath });
    expect(result.ok).toBe(false);
    expect(result.text).toMatch(/manifest\.json differs from the signed one[\s\S]*not re-performed: the pack is not the signed one$/);
  });

  it('re-performs the very bytes report verify checked (a manifest.json swapped right after the check is not read)', async () => {
    const { publicKeyPath } = reportSignerForArchive(archiveDir, keyDir);
    const copy = path.join(tmp, 'pack-swapped');
    await fs.cp(packDir, copy, { recursive: true });
    const manifestFile = path.join(copy, 'manifest.json');
    const csvName = 'gdpr_data_exports.csv';
    const signed = await fs.readFile(manifestFile, 'utf8');
    const parsed = JSON.parse(signed) as { queries: { file: string; sql: string; parameters: unknown[] }[] };
    const query = parsed.queries.find((q) => q.file === csvName)!;
    // What the attacker swaps in once the signature check has read the signed files: SQL that returns the edited CSV.
    query.sql = "SELECT 'edited' AS teammate_email";
    query.parameters = [];
    const swapped = {
      'manifest.json': Buffer.from(JSON.stringify(parsed)),
      [csvName]: toCsv({ columns: ['teammate_email'], rows: [['edited']] }),
    };
    const reads = new Map<string, number>();
    const original = fs.readFile.bind(fs);
    const spy = vi.spyOn(fs, 'readFile').mockImplementation((async (file: unknown, ...rest: unknown[]) => {
      const name = typeof file === 'string' && path.dirname(file) === copy ? path.basename(file) : undefined;
      if (name && name in swapped) {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        // report verify reads manifest.json twice (signed hash, SHA256SUMS) and each CSV once: every later read gets the swap.
        if (reads.get(name)! > (name === 'manifest.json' ? 2 : 1)) return swapped[name as keyof typeof swapped];
      }
      return (original as (...a: unknown[]) => Promise<Buffer>)(file, ...rest);
    }) as typeof fs.readFile);
    try {
      const result = await runReportReperform({ pack: copy, archive: archiveDir, publicKey: publicKeyPath });
      expect(result.text).not.toContain(`match       ${csvName} (1 rows`);
      expect(result.ok).toBe(true);
      expect(result.text.split('\n').find((l) => l.includes(csvName))).toMatch(
        /^match {7}gdpr_data_exports\.csv \(\d+ rows, byte for byte\)$/,
      );
      expect(result.text).not.toContain('edited');
    } finally {
      spy.mockRestore();
    }
  });

  it("never lets an unsigned pack's SQL write or read files outside the listed parts (no key given)", async () => {
    const copy = path.join(tmp, 'pack-hostile-sql');
    await fs.cp(packDir, copy, { recursive: true });
    const manifestFile = path.join(copy, 'manifest.json');
    await fs.chmod(copy, 0o755);
    await fs.chmod(manifestFile, 0o644);
    const planted = path.join(tmp, 'written-by-pack-sql.csv');
    const secret = path.join(tmp, 'secret.txt');
    await fs.writeFile(secret, 'do-not-read\n');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as { queries: { sql: string; parameters: unknown[] }[] };
    manifest.queries[0]!.sql = `COPY (SELECT 'pwned' AS x) TO '${planted}' (FORMAT csv)`;
    manifest.queries[0]!.parameters = [];
    manifest.queries[1]!.sql = `SELECT content FROM read_text('${secret}')`;
    manifest.queries[1]!.parameters = [];
    await fs.writeFile(manifestFile, JSON.stringify(manifest));
    const outcome = await runReportReperform({ pack: copy, archive: archiveDir }).catch((error: unknown) => error);
    await expect(fs.stat(planted)).rejects.toThrow(/ENOENT/);
    expect(String(outcome instanceof Error ? outcome.message : (outcome as { text: string }).text)).not.toContain('do-not-read');
  });
});

describe('the chain-listed view bounded at the heads (report reperform --athena)', () => {
  it('parses as Trino SQL for every canned query', () => {
    for (const query of loadQueries()) {
      const bound = headBoundQuery(query.sql, [], [{ workspaceId: WS, seq: 3 }]);
      expect(new TrinoSQL().validate(bound.sql), query.name).toEqual([]);
    }
  });

  it('on DuckDB with "$path" as a column, reads what the file list up to the heads reads, not the late part', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const q = (t: string) => `'${t.replace(/'/g, "''")}'`;
    const columns = ARCHIVE_COLUMNS.map(
      (c) => `${q(c.name)}: ${q({ string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN' }[c.type])}`,
    ).join(', ');
    const s3Path = `replace(filename, ${q(`${archiveDir}/`)}, 's3://archive-bucket/prefix/')`;
    await db.run(
      `CREATE TABLE activity_logs_objects AS SELECT * EXCLUDE (filename), ${s3Path} AS "$path" FROM read_json(${q(`${archiveDir}/activity_logs/workspace=*/dt=*/*.jsonl.gz`)}, ` +
        `format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, filename = true, columns = {${columns}})`,
    );
    await db.run(
      `CREATE TABLE archive_index AS SELECT * EXCLUDE (filename), ${s3Path} AS "$path" FROM read_json(${q(`${archiveDir}/index/workspace=*/*.jsonl`)}, ` +
        `format = 'newline_delimited', filename = true, columns = {seq: 'BIGINT', key: 'VARCHAR', status: 'VARCHAR'})`,
    );
    const sql = 'SELECT id FROM activity_logs ORDER BY id';
    const viaBound = async (heads: { workspaceId: string; seq: number }[]) => {
      const bound = headBoundQuery(sql, [], heads);
      const prepared = await db.prepare(bound.sql);
      for (const [i, v] of bound.values.entries()) prepared.bindVarchar(i + 1, v);
      return (await prepared.runAndReadAll()).getRows().map((r) => String(r[0]));
    };
    const before = await viaBound(headBefore);
    const now = await viaBound((await archiveScope(store)).heads);
    db.closeSync();
    instance.closeSync();
    const upTo = await archiveScope(store, {
      upTo: (await fs.readFile(path.join(packDir, 'manifest.json'), 'utf8').then(JSON.parse)).archive.manifest_heads,
    });
    const engine = await DuckDbEngine.open(archiveDir, { parts: upTo.parts.map((p) => p.key) });
    const listed = (await engine.run(sql, [])).rows.map((r) => String(r[0]));
    await engine.close();
    expect(before).toEqual(['r-1', 'r-2', 'r-3']);
    expect(before).toEqual(listed);
    expect(now).toEqual(['r-1', 'r-2', 'r-3', 'r-late']);
  });
});
