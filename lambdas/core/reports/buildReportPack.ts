/**
 * A quarterly report pack: one CSV per canned query, summary.html, and manifest.json with each
 * file's SHA-256, the SQL text, its parameters, the engine and query ids, row counts and the
 * archive manifest heads the pack was computed from — so an assessor can re-perform it.
 * The same core runs on DuckDB (local) and Athena (reporter Lambda).
 */
import { type ArchiveScope, archiveScope, inPeriod } from '../archive/scope.ts';
import { iso, sha256Hex } from '../archive/manifest.ts';
import { ConfigurationError, IntegrityError, PartialPeriodError } from '../errors.ts';
import type { ObjectStore, QueryEngine, QueryResult, ReportSink } from '../ports.ts';
import { type CannedQuery, bindValues, quarterRange } from '../queries/catalog.ts';
import { type Coverage, computeCoverage, coverageStatement } from './coverage.ts';
import { toCsv } from './csv.ts';
import { collectExceptions } from './exceptions.ts';
import { type PeriodChain, periodRange, readPeriodChains } from './periodChains.ts';
import { POPULATION_SQL, populationFrom } from './population.ts';
import { type ChainRosters, chainRosters, snapshotsAtPeriodEnd } from './rosters.ts';
import { type ReportSigner, SIGNATURE_FILE, SUMS_FILE, sha256Sums, signPack } from './packSigning.ts';
import { type AccessReviewBasis, type Lang, renderSummary } from './summaryHtml.ts';
import { withLocalTime } from './timezone.ts';

export const REPORT_FORMAT = 'intercom-audit-archive/report-pack/v1';

/** Days a quarter's pack reads: the quarter and the 90 days some queries look back. */
export function reportDays(quarter: string): { from: string; to: string } {
  const { start_date, end_date } = quarterRange(quarter);
  const from = new Date(Date.parse(`${start_date}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
  return { from, to: end_date };
}

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

/** Refuses a period that has not started yet (a pack of it could only be empty). */
export function assertPeriodStarted(period: { start_date: string }, now: Date): void {
  if (period.start_date > now.toISOString().slice(0, 10)) {
    throw new ConfigurationError(
      `the period starting ${period.start_date} has not begun yet (today is ${now.toISOString().slice(0, 10)} UTC); choose a quarter that has started`,
    );
  }
}

export interface PeriodCheck {
  readonly chains: PeriodChain[];
  readonly coverage: Coverage;
  /** The completeness line, in the pack's language. */
  readonly statement: string;
  readonly readFrom: number;
  /** The chain-listed, hash-checked roster snapshots the engine may read (`teammate_rosters`). */
  readonly rosters: ChainRosters;
}

/**
 * Everything a pack is refused for, checked before any query: a period that has not begun
 * (ConfigurationError, exit 2), a destination that is not empty, and — unless `allowPartial` —
 * a period the archive does not fully hold (PartialPeriodError, exit 1).
 */
export async function checkReportPeriod(
  options: Pick<
    ReportPackOptions,
    'quarter' | 'queries' | 'archive' | 'workspaceIds' | 'lang' | 'now' | 'allowPartial' | 'timezone' | 'sink'
  >,
): Promise<PeriodCheck> {
  const period = quarterRange(options.quarter);
  assertPeriodStarted(period, (options.now ?? (() => new Date()))());
  await options.sink.assertEmpty?.();
  const range = periodRange(period);
  const lookbackDays = Math.max(0, ...options.queries.map((q) => q.lookbackDays ?? 0));
  const readFrom = range.from - lookbackDays * 86_400;
  const chains = await readPeriodChains(options.archive, options.workspaceIds, readFrom);
  const coverage = computeCoverage(chains, range);
  const statement = coverageStatement(coverage, options.lang ?? 'en', (t) => withLocalTime(t, options.timezone));
  if (!coverage.complete && !options.allowPartial) throw new PartialPeriodError(statement);
  return { chains, coverage, statement, readFrom, rosters: await chainRosters(options.archive, chains) };
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The Intercom hosts and API versions the period's manifests were fetched from. */
function sourceSystem(chains: readonly PeriodChain[]) {
  const seen = new Map<string, { workspace_id: string; api_host: string; api_version: string }>();
  for (const chain of chains) {
    for (const { manifest } of chain.manifests) {
      if (manifest.kind === 'genesis') continue;
      const key = `${chain.workspaceId}|${manifest.api.host}|${manifest.api.version}`;
      if (!seen.has(key))
        seen.set(key, { workspace_id: chain.workspaceId, api_host: manifest.api.host, api_version: manifest.api.version });
    }
  }
  return { system: 'Intercom admin activity logs (GET /admins/activity_logs)', endpoints: [...seen.values()] };
}

export async function buildReportPack(options: ReportPackOptions): Promise<ReportPackResult> {
  const period = quarterRange(options.quarter);
  const now = options.now ?? (() => new Date());
  const lang = options.lang ?? 'en';
  const range = periodRange(period);
  // The chains first: the pack covers at most what the chain proved when it started.
  const { chains, coverage, statement, readFrom, rosters } = options.check ?? (await checkReportPeriod(options));
  const generatedAt = now().toISOString();

  // The heads the signatures prove (never an unsigned manifest a recovery superseded).
  const scope = options.scope ?? (await archiveScope(options.archive, { workspaceIds: options.workspaceIds }));
  const heads = scope.heads
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
  const scopeExceptions = inPeriod(scope.exceptions, days.from, days.to);
  const scopeConflicts = inPeriod(scope.conflicts, days.from, days.to);
  options.onCoverage?.(statement, coverage);
  const atEnd = snapshotsAtPeriodEnd(rosters, options.workspaceIds, period);
  const accessReview: AccessReviewBasis = { method: atEnd.snapshots.length ? 'roster' : 'history', ...atEnd };

  const files: ReportFile[] = [];
  const write = async (name: string, body: Buffer) => {
    await options.sink.write(name, body);
    const file = { name, sha256: sha256Hex(body), bytes: body.length };
    files.push(file);
    return file;
  };

  const results: { query: CannedQuery; result: QueryResult; file: string; sha256: string }[] = [];
  const queryEntries: Record<string, unknown>[] = [];
  // Up to `concurrency` queries run at once (Athena runs them server-side; DuckDB overlaps one
  // query's execution with turning another's rows into CSV); files are written in query order.
  const concurrency = Math.max(1, options.concurrency ?? 3);
  const pending = options.queries.map((query) => ({
    query,
    values: bindValues(query, period),
    result: undefined as Promise<QueryResult> | undefined,
  }));
  const start = (i: number) => {
    const item = pending[i];
    if (item && !item.result) {
      item.result = options.engine.run(item.query.sql, item.values);
      item.result.catch(() => undefined); // awaited in order below
    }
  };
  for (let i = 0; i < concurrency; i++) start(i);
  for (const [i, item] of pending.entries()) {
    const { query, values } = item;
    start(i);
    const result = await item.result!;
    start(i + concurrency);
    const csv = toCsv(result);
    const file = await write(`${query.name}.csv`, options.bom ? Buffer.concat([UTF8_BOM, csv]) : csv);
    options.onQuery?.(query.name, result.rows.length);
    results.push({ query, result, file: file.name, sha256: file.sha256 });
    queryEntries.push({
      name: query.name,
      title: query.title,
      control: query.control,
      file: file.name,
      sha256: file.sha256,
      rows: result.rows.length,
      columns: result.columns,
      parameters: query.parameters.map((name, i) => ({ name, value: values[i] })),
      sql: query.sql,
      ...(result.executionId && { execution_id: result.executionId }),
      ...(result.bytesScanned !== undefined && { bytes_scanned: result.bytesScanned }),
    });
  }

  // The population is the by-type summary's own rows (same SQL, same read), so they always agree.
  const byType =
    results.find((r) => r.query.name === 'activity_summary_by_type')?.result ??
    (await options.engine.run(POPULATION_SQL, [period.start_date, period.end_date]));
  const population = populationFrom(byType);
  const exceptions = await collectExceptions({
    store: options.archive,
    chains,
    period: range,
    readFrom,
    queries: options.queries,
    population,
    rosters,
  });

  await write(
    'summary.html',
    Buffer.from(
      renderSummary({
        lang,
        quarter: options.quarter,
        period,
        generatedAt,
        engine: options.engine.name,
        heads,
        results,
        statement,
        coverage,
        population,
        exceptions,
        accessReview,
        ...(options.timezone && { timezone: options.timezone }),
      }),
      'utf8',
    ),
  );

  const manifest = {
    format: REPORT_FORMAT,
    quarter: options.quarter,
    period: { ...period, timezone: 'UTC', inclusive: true },
    generated_at: generatedAt,
    engine: options.engine.name,
    lang,
    ...(options.timezone && { display_timezone: options.timezone }),
    archive: {
      location: options.archive.location,
      manifest_heads: heads,
      trust: scope.trust,
      parts_read: scope.parts.filter((p) => p.dt !== null && p.dt >= days.from && p.dt <= days.to).length,
      // Every object of the read days (quarter and look-back) the chain does not list as data: never read.
      not_read: { read_period: days, objects: scopeExceptions, conflicts: scopeConflicts },
    },
    coverage,
    population,
    exceptions,
    access_review: { method: accessReview.method, roster_snapshots: accessReview.snapshots },
    ...(options.generator && { generator: options.generator }),
    source_system: sourceSystem(chains),
    ...(options.reportSigner && {
      report_signing_key: {
        fingerprint: options.reportSigner.fingerprint,
        key_id: options.reportSigner.signer.keyId,
        algorithm: options.reportSigner.signer.algorithm,
      },
    }),
    options: {
      bom: Boolean(options.bom),
      allow_partial: Boolean(options.allowPartial),
      ...(options.timezone && { timezone: options.timezone }),
    },
    queries: queryEntries,
    files: [...files],
  };
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
  return { statement, files, manifest };
}
