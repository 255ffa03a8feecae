/** `audit-archive report` and `audit-archive query`: the report core with DuckDB (local) or Athena. */
import { safeText } from '../../lambdas/core/text/safeText.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { ObjectStore, QueryEngine, QueryResult } from '../../lambdas/core/ports.ts';
import { bindValues, loadQueries, parseQuery, QUERIES_DIR } from '../../lambdas/core/queries/catalog.ts';
import { type ReportPackResult, buildReportPack, reportDays } from '../../lambdas/core/reports/buildReportPack.ts';
import type { Lang } from '../../lambdas/core/reports/summaryHtml.ts';
import type { Output } from '../output.ts';
import { openArchive } from '../archiveLocation.ts';

export interface ReportCommandOptions {
  readonly quarter: string;
  readonly out: string;
  readonly lang: Lang;
  /** Local: the archive folder DuckDB reads. */
  readonly archive?: string;
  /** AWS: Athena workgroup (and database) instead of a local archive. */
  readonly athena?: { workgroup: string; database: string; region?: string };
  readonly archiveStore?: ObjectStore;
  readonly workspaceIds?: readonly string[];
}

export async function runReport(options: ReportCommandOptions, output: Output): Promise<ReportPackResult & { out: string }> {
  let engine: QueryEngine;
  let archive: ObjectStore;
  let workspaceIds: readonly string[];
  if (options.athena) {
    engine = new AthenaEngine(new AthenaClient(options.athena.region ? { region: options.athena.region } : {}), { workgroup: options.athena.workgroup, database: options.athena.database });
    if (!options.archiveStore) throw new ConfigurationError('--athena needs --archive s3://bucket/prefix to record the manifest heads');
    archive = options.archiveStore;
    workspaceIds = options.workspaceIds ?? (await listWorkspaces(archive));
  } else {
    if (!options.archive) throw new ConfigurationError('report needs --archive <dir> (or --athena)');
    archive = await openArchive(options.archive, { allowS3: false });
    engine = await DuckDbEngine.open(options.archive, { cacheDays: reportDays(options.quarter) });
    workspaceIds = await listWorkspaces(archive);
  }
  const queries = loadQueries();
  const bar = output.progress('report {bar} {value}/{total} queries', queries.length, {});
  let done = 0;
  try {
    const result = await buildReportPack({
      quarter: options.quarter,
      queries,
      engine,
      sink: new FolderReportSink(options.out),
      archive,
      workspaceIds,
      lang: options.lang,
      onQuery: (name, rows) => {
        bar.update(++done);
        if (!output.tty) output.info(`${name}: ${rows} rows`);
      },
    });
    bar.stop();
    return { ...result, out: path.resolve(options.out) };
  } finally {
    await engine.close();
  }
}

export async function runQuery(options: { archive: string; file: string; from: string; to: string }): Promise<QueryResult> {
  await openArchive(options.archive, { allowS3: false });
  const file = path.resolve(options.file);
  const sql = await fs.readFile(file, 'utf8').catch(() => {
    throw new ConfigurationError(`--file: cannot read '${options.file}' (the canned queries are in ${path.relative(process.cwd(), QUERIES_DIR) || QUERIES_DIR}/)`);
  });
  const query = parseQuery(path.basename(file), sql);
  const engine = await DuckDbEngine.open(options.archive);
  try {
    return await engine.run(query.sql, bindValues(query, { start_date: options.from, end_date: options.to }));
  } finally {
    await engine.close();
  }
}

/** A plain text table for a terminal, long cells cut. */
export function formatTable(result: QueryResult, maxWidth = 48): string {
  // Cells are archive data: no control character reaches the terminal, nor a line break that would fake a row.
  const cells = [result.columns, ...result.rows.map((r) => r.map((c) => (c === null ? '' : String(c))))].map((row) => row.map(safeText)).map((row) => row.map((c) => (c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c)));
  const widths = result.columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), `(${result.rows.length} rows)`].join('\n');
}
