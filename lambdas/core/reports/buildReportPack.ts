/**
 * A quarterly report pack: one CSV per canned query, summary.html, and manifest.json with each
 * file's SHA-256, the SQL text, its parameters, the engine and query ids, row counts and the
 * archive manifest heads the pack was computed from — so an assessor can re-perform it.
 * The same core runs on DuckDB (local) and Athena (reporter Lambda).
 */
import { type ArchiveScope, archiveScope, inPeriod } from '../archive/scope.ts';
import { iso, sha256Hex } from '../archive/manifest.ts';
import { IntegrityError } from '../errors.ts';
import type { ObjectStore, QueryEngine, QueryResult, ReportSink } from '../ports.ts';
import { type CannedQuery, bindValues, quarterRange } from '../queries/catalog.ts';
import { toCsv } from './csv.ts';
import { type Lang, renderSummary } from './summaryHtml.ts';

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
  /** The chain-listed parts the engine reads and the exceptions to disclose (computed from `archive` when absent). */
  readonly scope?: ArchiveScope;
  /** The engine reads through the part index (Athena's view): an index object no manifest names stops the pack. */
  readonly readsIndex?: boolean;
}

export interface ReportFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ReportPackResult {
  readonly files: ReportFile[];
  readonly manifest: Record<string, unknown>;
}

export async function buildReportPack(options: ReportPackOptions): Promise<ReportPackResult> {
  const period = quarterRange(options.quarter);
  const now = options.now ?? (() => new Date());
  const lang = options.lang ?? 'en';
  const generatedAt = now().toISOString();

  // The heads first: the pack covers at most what the chain proved when it started.
  const scope = options.scope ?? (await archiveScope(options.archive, { workspaceIds: options.workspaceIds }));
  const heads = scope.heads.filter((h) => options.workspaceIds.includes(h.workspaceId)).map((h) => ({ workspaceId: h.workspaceId, seq: h.seq, sha256: h.sha256, checkpoint: iso(h.checkpoint), key: h.key }));
  if (options.readsIndex && scope.unsafeIndexes.length > 0) {
    const first = scope.unsafeIndexes[0]!;
    throw new IntegrityError(
      first.key,
      `${scope.unsafeIndexes.map((i) => i.key).join(', ')}: index object${scope.unsafeIndexes.length > 1 ? 's' : ''} no manifest names, listing ${first.lists.length} part(s) the chain does not list (e.g. ${first.lists[0]}); Athena would read them, so no pack is built — run verify, then acknowledge the objects it names`,
    );
  }
  // Disclosed, never read: objects of the read period that are not chain-listed data, and conflicts.
  const days = reportDays(options.quarter);
  const exceptions = inPeriod(scope.exceptions, days.from, days.to);
  const conflicts = inPeriod(scope.conflicts, days.from, days.to);
  const disclosures = [
    ...exceptions.map((e) => ({ kind: e.kind, key: e.key, reason: e.reason })),
    ...conflicts.map((c) => ({ kind: 'conflict', key: c.quarantine_part, reason: `id ${c.id} served again with different content (archived ${c.archived_sha256} in ${c.archived_part}; served ${c.served_sha256})` })),
  ];

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
  const pending = options.queries.map((query) => ({ query, values: bindValues(query, period), result: undefined as Promise<QueryResult> | undefined }));
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
    const file = await write(`${query.name}.csv`, toCsv(result));
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

  await write('summary.html', Buffer.from(renderSummary({ lang, quarter: options.quarter, period, generatedAt, engine: options.engine.name, heads, results, disclosures }), 'utf8'));

  const manifest = {
    format: REPORT_FORMAT,
    quarter: options.quarter,
    period: { ...period, timezone: 'UTC', inclusive: true },
    generated_at: generatedAt,
    engine: options.engine.name,
    lang,
    archive: { location: options.archive.location, manifest_heads: heads, trust: scope.trust, parts_read: scope.parts.filter((p) => p.dt !== null && p.dt >= days.from && p.dt <= days.to).length },
    exceptions: { read_period: days, objects: exceptions, conflicts },
    queries: queryEntries,
    files: [...files],
  };
  await write('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  return { files, manifest };
}
