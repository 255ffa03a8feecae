/** `audit-archive report` and `audit-archive query`: the report core with DuckDB (local) or Athena. */
import { safeText } from '../../lambdas/core/text/safeText.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { ConfigurationError, PartialPeriodError } from '../../lambdas/core/errors.ts';
import { iso } from '../../lambdas/core/archive/manifest.ts';
import { type ArchiveScope, type ScopeConflict, type ScopeException, archiveScope, inPeriod } from '../../lambdas/core/archive/scope.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import type { ObjectStore, QueryEngine, QueryResult } from '../../lambdas/core/ports.ts';
import { bindValues, parseQuery } from '../../lambdas/core/queries/catalog.ts';
import { loadQueries, QUERIES_DIR } from '../../lambdas/adapters/local/loadQueries.ts';
import {
  type PeriodCheck,
  type ReportPackOptions,
  type ReportPackResult,
  buildReportPack,
  checkReportPeriod,
  reportDays,
} from '../../lambdas/core/reports/buildReportPack.ts';
import type { ReportSigner } from '../../lambdas/core/reports/packSigning.ts';
import { computeCoverage, coverageStatement } from '../../lambdas/core/reports/coverage.ts';
import { periodRange, readPeriodChains } from '../../lambdas/core/reports/periodChains.ts';
import { chainRosters } from '../../lambdas/core/reports/rosters.ts';
import type { Lang } from '../../lambdas/core/reports/summaryHtml.ts';
import { openArchive } from '../archiveLocation.ts';
import { type CacheFlags, openPartCache } from '../partCache.ts';
import { type Output, createOutput } from '../output.ts';

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
  /** Build a pack that says it is partial instead of refusing the period. */
  readonly allowPartial?: boolean;
  readonly timezone?: string;
  readonly reportSigner?: ReportSigner;
  readonly generator?: ReportPackOptions['generator'];
  readonly bom?: boolean;
  /** Gets the completeness line before any query runs (and before a refusal). */
  readonly onStatement?: (statement: string) => void;
  /** The columnar cache (local archives): --cache-dir / --no-cache. */
  readonly cache?: CacheFlags;
}

export async function runReport(options: ReportCommandOptions, output: Output): Promise<ReportPackResult & { out: string }> {
  let archive: ObjectStore;
  let workspaceIds: readonly string[];
  const sink = new FolderReportSink(options.out);
  let scope: ArchiveScope | undefined;
  if (options.athena) {
    if (!options.archiveStore) throw new ConfigurationError('--athena needs --archive s3://bucket/prefix to record the manifest heads');
    archive = options.archiveStore;
    workspaceIds = options.workspaceIds ?? (await listWorkspaces(archive));
  } else {
    if (!options.archive) throw new ConfigurationError('report needs --archive <dir> (or --athena)');
    archive = await openArchive(options.archive, { allowS3: false });
    workspaceIds = await listWorkspaces(archive);
    scope = await localScope(archive, options.archive, workspaceIds);
  }
  const queries = loadQueries();
  const common = {
    quarter: options.quarter,
    queries,
    archive,
    workspaceIds,
    lang: options.lang,
    sink,
    ...(options.timezone && { timezone: options.timezone }),
    ...(options.allowPartial && { allowPartial: true }),
  };
  // Every refusal (future period, folder not empty, period not covered) comes before any query.
  let check: PeriodCheck;
  try {
    check = await checkReportPeriod(common);
    options.onStatement?.(check.statement);
  } catch (error) {
    if (error instanceof PartialPeriodError) options.onStatement?.(error.statement);
    throw error;
  }
  const engine: QueryEngine = options.athena
    ? new AthenaEngine(new AthenaClient(options.athena.region ? { region: options.athena.region } : {}), {
        workgroup: options.athena.workgroup,
        database: options.athena.database,
      })
    : await DuckDbEngine.open(options.archive!, {
        cacheDays: reportDays(options.quarter),
        parts: scope!.parts,
        rosterKeys: check.rosters.snapshots.map((s) => s.key),
        partCache: await openPartCache(options.archive!, options.cache ?? {}, output),
      });
  const bar = output.progress('report {bar} {value}/{total} queries', queries.length, {});
  let done = 0;
  try {
    const result = await buildReportPack({
      ...common,
      check,
      engine,
      ...(options.reportSigner && { reportSigner: options.reportSigner }),
      ...(options.generator && { generator: options.generator }),
      ...(options.bom && { bom: true }),
      ...(scope ? { scope } : { readsIndex: true }),
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

/** The coverage of a query's range, for stderr: one line, and a warning when it is not whole. */
export async function queryCoverage(
  archive: ObjectStore,
  from: string,
  to: string,
  lookbackDays: number,
): Promise<{ lines: string[]; rosterKeys: string[] }> {
  const range = periodRange({ start_date: from, end_date: to });
  const chains = await readPeriodChains(archive, await listWorkspaces(archive), range.from - lookbackDays * 86_400);
  const rosterKeys = (await chainRosters(archive, chains)).snapshots.map((s) => s.key);
  const coverage = computeCoverage(chains, range);
  const lines = [`coverage: ${coverageStatement(coverage)}`];
  if (!coverage.complete)
    lines.push(`warning: the archive does not hold all of ${from} – ${to}; an empty or small answer does not mean nothing happened there`);
  for (const chain of chains) {
    if (lookbackDays > 0 && chain.origin !== undefined && range.from - lookbackDays * 86_400 < chain.origin) {
      lines.push(
        `warning: this query looks back ${lookbackDays} days, before ${chain.workspaceId}'s archive starts (${iso(chain.origin)}); first sightings there may be reported as new`,
      );
    }
  }
  return { lines, rosterKeys };
}

/**
 * The chain-listed parts of a local archive: signatures checked with the key the collector made
 * for it when this machine has one (unsigned manifests after the first signature are not read),
 * the hash chain only otherwise.
 */
async function localScope(store: ObjectStore, archiveDir: string, workspaceIds?: readonly string[]): Promise<ArchiveScope> {
  const existing = await collectorKeyVerifier(store, archiveDir);
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
  const lines = [
    `read ${answer.trust === 'signatures' ? 'the parts listed by signed manifests' : 'the parts listed by the manifest chain (unsigned: hash chain only)'}`,
  ];
  for (const e of answer.exceptions) lines.push(`exception (${e.kind}, not read): ${e.key} — ${e.reason}`);
  for (const c of answer.conflicts)
    lines.push(
      `conflict: id ${c.id} served again with different content (archived ${c.archived_sha256} in ${c.archived_part}; served ${c.served_sha256}, quarantined in ${c.quarantine_part})`,
    );
  return lines;
}

export async function runQuery(options: {
  archive: string;
  file: string;
  from: string;
  to: string;
  onCoverage?: (lines: string[]) => void;
  cache?: CacheFlags;
}): Promise<QueryAnswer> {
  const store = await openArchive(options.archive, { allowS3: false });
  const file = path.resolve(options.file);
  const sql = await fs.readFile(file, 'utf8').catch(() => {
    throw new ConfigurationError(
      `--file: cannot read '${options.file}' (the canned queries are in ${path.relative(process.cwd(), QUERIES_DIR) || QUERIES_DIR}/)`,
    );
  });
  const query = parseQuery(path.basename(file), sql);
  const coverage = await queryCoverage(store, options.from, options.to, query.lookbackDays ?? 0);
  options.onCoverage?.(coverage.lines);
  const scope = await localScope(store, options.archive);
  const engine = await DuckDbEngine.open(options.archive, {
    parts: scope.parts,
    rosterKeys: coverage.rosterKeys,
    partCache: await openPartCache(options.archive, options.cache ?? {}, createOutput()),
  });
  try {
    const result = await engine.run(query.sql, bindValues(query, { start_date: options.from, end_date: options.to }));
    return {
      ...result,
      exceptions: inPeriod(scope.exceptions, options.from, options.to),
      conflicts: inPeriod(scope.conflicts, options.from, options.to),
      trust: scope.trust,
    };
  } finally {
    await engine.close();
  }
}

/** A plain text table for a terminal, long cells cut. */
export function formatTable(result: QueryResult, maxWidth = 48): string {
  // Cells are archive data: no control character reaches the terminal, nor a line break that would fake a row.
  const cells = [result.columns, ...result.rows.map((r) => r.map((c) => (c === null ? '' : String(c))))]
    .map((row) => row.map(safeText))
    .map((row) => row.map((c) => (c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c)));
  const widths = result.columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), `(${result.rows.length} rows)`].join(
    '\n',
  );
}
