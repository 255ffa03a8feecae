/**
 * A quarterly report pack: one CSV per canned query, pack.xlsx, summary.html, and manifest.json
 * with each file's SHA-256, the SQL text, its parameters, the engine and query ids, row counts
 * and the archive manifest heads the pack was computed from — so an assessor can re-perform it —
 * then SHA256SUMS and, with a report-signing key, manifest.sig.json. The same core runs on DuckDB
 * (local) and Athena (reporter Lambda).
 */
import { type ArchiveScope, archiveScope, inPeriod } from '../archive/scope.ts';
import { iso, sha256Hex } from '../archive/manifest.ts';
import { IntegrityError } from '../errors.ts';
import type { ObjectStore, QueryEngine, ReportSink } from '../ports.ts';
import { type CannedQuery, quarterRange } from '../queries/catalog.ts';
import type { Coverage } from './coverage.ts';
import { collectExceptions } from './exceptions.ts';
import { type PackHead, packRecord } from './packRecord.ts';
import { type ReportSigner, SIGNATURE_FILE, SUMS_FILE, sha256Sums, signPack } from './packSigning.ts';
import { packXlsx } from './packXlsx.ts';
import { periodRange } from './periodChains.ts';
import { POPULATION_SQL, populationFrom } from './population.ts';
import { type PeriodCheck, checkReportPeriod, reportDays } from './reportPeriod.ts';
import { snapshotsAtPeriodEnd } from './rosters.ts';
import { type PackQueryResult, runPackQueries } from './runPackQueries.ts';
import { type AccessReviewBasis, type Lang, renderSummary } from './summaryHtml.ts';

export { REPORT_FORMAT } from './packManifest.ts';
export { type PeriodCheck, assertPeriodStarted, checkReportPeriod, reportDays } from './reportPeriod.ts';

export interface ReportPackOptions {
  readonly quarter: string;
  readonly queries: readonly CannedQuery[];
  readonly engine: QueryEngine;
  readonly sink: ReportSink;
  /** The archive the engine reads, and its workspaces: their chain heads go into the manifest. */
  readonly archive: ObjectStore;
  readonly workspaceIds: readonly string[];
  readonly lang?: Lang;
  readonly now?: () => Date;
  readonly onQuery?: (name: string, rows: number) => void;
  /** Queries run at once. @default 3 */
  readonly concurrency?: number;
  /** Build a pack even when the archive does not hold the whole period (it says so). @default false */
  readonly allowPartial?: boolean;
  /** Called with the completeness line before any query runs. */
  readonly onCoverage?: (statement: string, coverage: Coverage) => void;
  /** IANA zone whose local times summary.html shows beside UTC. */
  readonly timezone?: string;
  /** Signs the pack (manifest.sig.json) with the report-signing key, never the manifest key. */
  readonly reportSigner?: ReportSigner;
  /** Who and what generated the pack (the core reads no environment). */
  readonly generator?: {
    readonly tool: string;
    readonly version: string;
    readonly commit?: string;
    readonly host?: string;
    readonly user?: string;
  };
  /** CSVs start with a UTF-8 byte order mark (for spreadsheets that need one). @default false */
  readonly bom?: boolean;
  /** The chain-listed parts the engine reads and the exceptions to disclose (computed from `archive` when absent). */
  readonly scope?: ArchiveScope;
  /** The engine reads through the part index (Athena's view): an index object no manifest names stops the pack. */
  readonly readsIndex?: boolean;
  /** The result of `checkReportPeriod` for these options, when the caller ran it first (it is not read twice). */
  readonly check?: PeriodCheck;
}

export interface ReportFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ReportPackResult {
  /** The completeness line the summary opens with. */
  readonly statement: string;
  readonly files: ReportFile[];
  readonly manifest: Record<string, unknown>;
}

/** The heads the signatures prove (never an unsigned manifest a recovery superseded), and what the read days hold unread. */
async function packScope(options: ReportPackOptions) {
  const scope = options.scope ?? (await archiveScope(options.archive, { workspaceIds: options.workspaceIds }));
  const heads: PackHead[] = scope.heads
    .filter((h) => options.workspaceIds.includes(h.workspaceId))
    .map((h) => ({ workspaceId: h.workspaceId, seq: h.seq, sha256: h.sha256, checkpoint: iso(h.checkpoint), key: h.key }));
  if (options.readsIndex && scope.unsafeIndexes.length > 0) {
    const first = scope.unsafeIndexes[0]!;
    throw new IntegrityError(
      first.key,
      `${scope.unsafeIndexes.map((i) => i.key).join(', ')}: index object${scope.unsafeIndexes.length > 1 ? 's' : ''} no manifest names, listing ${first.lists.length} part(s) the chain does not list (e.g. ${first.lists[0]}); Athena would read them, so no pack is built — run verify, then acknowledge the objects it names`,
    );
  }
  // Disclosed, never read: objects of the read period that are not chain-listed data, and conflicts.
  const days = reportDays(options.quarter);
  const notRead = { objects: inPeriod(scope.exceptions, days.from, days.to), conflicts: inPeriod(scope.conflicts, days.from, days.to) };
  return { scope, heads, days, notRead };
}

/** Writes each file create-only through the sink and keeps its SHA-256 and size, in order. */
function fileWriter(sink: ReportSink) {
  const files: ReportFile[] = [];
  const write = async (name: string, body: Buffer) => {
    await sink.write(name, body);
    const file = { name, sha256: sha256Hex(body), bytes: body.length };
    files.push(file);
    return file;
  };
  return { files, write };
}

/** The population is the by-type summary's own rows (same SQL, same read), so they always agree. */
async function populationAndExceptions(options: ReportPackOptions, check: PeriodCheck, results: readonly PackQueryResult[]) {
  const period = quarterRange(options.quarter);
  const byType =
    results.find((r) => r.query.name === 'activity_summary_by_type')?.result ??
    (await options.engine.run(POPULATION_SQL, [period.start_date, period.end_date]));
  const population = populationFrom(byType);
  const exceptions = await collectExceptions({
    store: options.archive,
    chains: check.chains,
    period: periodRange(period),
    readFrom: check.readFrom,
    queries: options.queries,
    population,
    rosters: check.rosters,
  });
  return { population, exceptions };
}

export async function buildReportPack(options: ReportPackOptions): Promise<ReportPackResult> {
  const period = quarterRange(options.quarter);
  const now = options.now ?? (() => new Date());
  const lang = options.lang ?? 'en';
  // The chains first: the pack covers at most what the chain proved when it started.
  const check = options.check ?? (await checkReportPeriod(options));
  const generatedAt = now().toISOString();
  const { scope, heads, days, notRead } = await packScope(options);
  options.onCoverage?.(check.statement, check.coverage);
  const atEnd = snapshotsAtPeriodEnd(check.rosters, options.workspaceIds, period);
  const accessReview: AccessReviewBasis = { method: atEnd.snapshots.length ? 'roster' : 'history', ...atEnd };
  const { files, write } = fileWriter(options.sink);
  const { results, entries } = await runPackQueries({
    queries: options.queries,
    engine: options.engine,
    period,
    concurrency: options.concurrency ?? 3,
    bom: Boolean(options.bom),
    write,
    ...(options.onQuery && { onQuery: options.onQuery }),
  });
  const { population, exceptions } = await populationAndExceptions(options, check, results);
  const xlsx = await packXlsx(
    results.map((r) => ({ name: r.query.name, result: r.result })),
    new Date(generatedAt),
  );
  await write('pack.xlsx', xlsx.body);
  const summary = { lang, quarter: options.quarter, period, generatedAt, engine: options.engine.name, heads, results };
  const shown = { statement: check.statement, coverage: check.coverage, population, exceptions, accessReview };
  await write(
    'summary.html',
    Buffer.from(renderSummary({ ...summary, ...shown, ...(options.timezone && { timezone: options.timezone }) }), 'utf8'),
  );
  const manifest = packRecord({
    ...summary,
    ...shown,
    ...(options.timezone && { timezone: options.timezone }),
    location: options.archive.location,
    scope,
    days,
    notRead,
    chains: check.chains,
    rosters: check.rosters,
    ...(options.generator && { generator: options.generator }),
    ...(options.reportSigner && { reportSigner: options.reportSigner }),
    options: { bom: Boolean(options.bom), allowPartial: Boolean(options.allowPartial) },
    xlsxCut: xlsx.cut,
    queries: entries,
    files,
  });
  const manifestBody = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await write('manifest.json', manifestBody);
  // Every file of the pack, in `sha256sum -c` format; then the signature over both.
  const sums = sha256Sums(files);
  await write(SUMS_FILE, sums);
  if (options.reportSigner)
    await write(
      SIGNATURE_FILE,
      await signPack({ quarter: options.quarter, manifest: manifestBody, sums, signer: options.reportSigner, now: now() }),
    );
  return { statement: check.statement, files, manifest };
}
