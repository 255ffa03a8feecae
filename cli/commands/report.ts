/** `audit-archive report` and `audit-archive query`: the report core with DuckDB (local) or Athena. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { type ArchiveScope, type ScopeConflict, type ScopeException, archiveScope, inPeriod } from '../../lambdas/core/archive/scope.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
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
  let scope: ArchiveScope | undefined;
  if (options.athena) {
    engine = new AthenaEngine(new AthenaClient(options.athena.region ? { region: options.athena.region } : {}), { workgroup: options.athena.workgroup, database: options.athena.database });
    if (!options.archiveStore) throw new ConfigurationError('--athena needs --archive s3://bucket/prefix to record the manifest heads');
    archive = options.archiveStore;
    workspaceIds = options.workspaceIds ?? (await listWorkspaces(archive));
  } else {
    if (!options.archive) throw new ConfigurationError('report needs --archive <dir> (or --athena)');
    archive = await openArchive(options.archive, { allowS3: false });
    workspaceIds = await listWorkspaces(archive);
    scope = await localScope(archive, options.archive, workspaceIds);
    engine = await DuckDbEngine.open(options.archive, { cacheDays: reportDays(options.quarter), parts: scope.parts.map((p) => p.key) });
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
      ...(scope ? { scope } : { readsIndex: true }),
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

/**
 * The chain-listed parts of a local archive: signatures checked with the key the collector made
 * for it when this machine has one (unsigned manifests after the first signature are not read),
 * the hash chain only otherwise.
 */
async function localScope(store: ObjectStore, archiveDir: string, workspaceIds?: readonly string[]): Promise<ArchiveScope> {
  const existing = Ed25519Signer.existingVerifier(archiveDir);
  return archiveScope(store, { ...(workspaceIds && { workspaceIds }), ...(existing && { verifier: existing.verifier }) });
}

export interface QueryAnswer extends QueryResult {
  /** Objects of the period that are not chain-listed data (never read), and conflicting versions. */
  readonly exceptions: ScopeException[];
  readonly conflicts: ScopeConflict[];
  readonly trust: ArchiveScope['trust'];
}

/** The exceptions and conflicts of a query answer, as lines to print after the result. */
export function formatDisclosures(answer: QueryAnswer): string[] {
  const lines = [`read ${answer.trust === 'signatures' ? 'the parts listed by signed manifests' : 'the parts listed by the manifest chain (unsigned: hash chain only)'}`];
  for (const e of answer.exceptions) lines.push(`exception (${e.kind}, not read): ${e.key} — ${e.reason}`);
  for (const c of answer.conflicts) lines.push(`conflict: id ${c.id} served again with different content (archived ${c.archived_sha256} in ${c.archived_part}; served ${c.served_sha256}, quarantined in ${c.quarantine_part})`);
  return lines;
}

export async function runQuery(options: { archive: string; file: string; from: string; to: string }): Promise<QueryAnswer> {
  const store = await openArchive(options.archive, { allowS3: false });
  const file = path.resolve(options.file);
  const sql = await fs.readFile(file, 'utf8').catch(() => {
    throw new ConfigurationError(`--file: cannot read '${options.file}' (the canned queries are in ${path.relative(process.cwd(), QUERIES_DIR) || QUERIES_DIR}/)`);
  });
  const query = parseQuery(path.basename(file), sql);
  const scope = await localScope(store, options.archive);
  const engine = await DuckDbEngine.open(options.archive, { parts: scope.parts.map((p) => p.key) });
  try {
    const result = await engine.run(query.sql, bindValues(query, { start_date: options.from, end_date: options.to }));
    return { ...result, exceptions: inPeriod(scope.exceptions, options.from, options.to), conflicts: inPeriod(scope.conflicts, options.from, options.to), trust: scope.trust };
  } finally {
    await engine.close();
  }
}

/** A plain text table for a terminal, long cells cut. */
export function formatTable(result: QueryResult, maxWidth = 48): string {
  const cells = [result.columns, ...result.rows.map((r) => r.map((c) => (c === null ? '' : String(c))))].map((row) => row.map((c) => (c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c)));
  const widths = result.columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), `(${result.rows.length} rows)`].join('\n');
}
