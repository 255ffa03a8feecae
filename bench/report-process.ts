/**
 * One measured report pack on DuckDB in a fresh process: wall time, peak RSS, and how many of
 * the archive's data files `gdpr_data_exports` reads for the quarter (partition pruning).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbEngine } from '../lambdas/adapters/local/DuckDbEngine.ts';
import { FolderReportSink } from '../lambdas/adapters/local/FolderReportSink.ts';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { ParquetPartCache } from '../lambdas/adapters/local/ParquetPartCache.ts';
import { listWorkspaces } from '../lambdas/core/archive/chain.ts';
import { bindValues, quarterRange } from '../lambdas/core/queries/catalog.ts';
import { loadQueries } from '../lambdas/adapters/local/loadQueries.ts';
import { buildReportPack, reportDays } from '../lambdas/core/reports/buildReportPack.ts';

const cfg = JSON.parse(process.argv[2]!) as { archiveDir: string; quarter: string; cacheDir?: string };
const out = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-pack-'));
const t0 = process.hrtime.bigint();
// With cacheDir, the columnar cache (cold when the folder is empty); without, the JSON day table.
const partCache = cfg.cacheDir
  ? await ParquetPartCache.open({ dir: cfg.cacheDir, keyFile: path.join(path.dirname(cfg.cacheDir), 'bench-cache.key') })
  : undefined;
const engine = await DuckDbEngine.open(cfg.archiveDir, { cacheDays: reportDays(cfg.quarter), ...(partCache && { partCache }) });
const openSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const archive = new LocalObjectStore(cfg.archiveDir);
const queries = loadQueries();
const perQuery: Record<string, number> = {};
let last = process.hrtime.bigint();
const exportStarted = last;
await buildReportPack({
  quarter: cfg.quarter,
  queries,
  engine,
  sink: new FolderReportSink(out),
  archive,
  workspaceIds: await listWorkspaces(archive),
  onQuery: (name) => {
    const now = process.hrtime.bigint();
    perQuery[name] = Number(now - last) / 1e6;
    last = now;
  },
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const querySeconds = Number(process.hrtime.bigint() - exportStarted) / 1e9;
const rss = (process.resourceUsage().maxRSS * 1024) / 1e6;

// Partition pruning: files the exports query reads for one quarter, out of all data files.
const exportsQuery = queries.find((q) => q.name === 'gdpr_data_exports')!;
const values = bindValues(exportsQuery, quarterRange(cfg.quarter));
// Comments go first: their question marks are not parameters.
let sql = `EXPLAIN ANALYZE ${exportsQuery.sql.replace(/--[^\n]*/g, '')}`;
for (const v of values) sql = sql.replace('?', `'${v}'`);
// Measured on a plain engine (JSON parts): the pack's engine reads the quarter once into its cache.
const plain = await DuckDbEngine.open(cfg.archiveDir);
const plan = await plain.run(sql, []);
await plain.close();
const text = plan.rows.map((r) => r.join('\n')).join('\n');
const filesRead = Number(/Total Files Read:\s*([\d,]+)/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);
let totalFiles = 0;
for await (const _ of archive.list('activity_logs/')) totalFiles += 1;
await engine.close();
await fs.rm(out, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ seconds, openSeconds, querySeconds, peakRssMB: rss, filesRead, totalFiles, perQuery })}\n`);
