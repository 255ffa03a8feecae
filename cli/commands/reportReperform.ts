/**
 * `audit-archive report reperform <pack> --archive <dir|s3://…> [--athena]`: runs every query of
 * a pack again with its own SQL and parameters, reading only the parts listed up to the heads
 * the pack recorded, and prints one line per CSV (match / rows equal / DIFFERS).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import type { Command } from 'commander';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { parseIndexKey } from '../../lambdas/core/archive/partIndex.ts';
import { archiveScope } from '../../lambdas/core/archive/scope.ts';
import { ConfigurationError, IntegrityError } from '../../lambdas/core/errors.ts';
import type { ObjectStore, QueryEngine } from '../../lambdas/core/ports.ts';
import { quarterRange } from '../../lambdas/core/queries/catalog.ts';
import type { FileComparison } from '../../lambdas/core/reports/csvCompare.ts';
import { headBoundQuery } from '../../lambdas/core/reports/headBoundView.ts';
import { type PackManifest, parsePackManifest } from '../../lambdas/core/reports/packManifest.ts';
import { periodRange, readPeriodChains } from '../../lambdas/core/reports/periodChains.ts';
import { reportDays } from '../../lambdas/core/reports/reportPeriod.ts';
import { type ReperformResult, reperformPack } from '../../lambdas/core/reports/reperform.ts';
import { chainRosters } from '../../lambdas/core/reports/rosters.ts';
import { safeText } from '../../lambdas/core/text/safeText.ts';
import { openArchive, s3Archive } from '../archiveLocation.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import { runReportVerify } from './reportVerify.ts';

export interface ReperformCommandOptions {
  readonly pack: string;
  readonly archive: string;
  readonly athena?: { readonly workgroup: string; readonly database: string };
  /** Check the pack's signature first (report verify), and stop when it fails. */
  readonly publicKey?: string;
  readonly kmsKeyId?: string;
}

async function readPack(dir: string, read: (name: string) => Promise<Buffer | undefined>): Promise<PackManifest> {
  const file = path.join(dir, 'manifest.json');
  const body = await read('manifest.json');
  if (!body) throw new ConfigurationError(`report reperform: ${file} cannot be read (give the folder of a report pack)`);
  return parsePackManifest(body, file);
}

/** DuckDB over a local folder, given exactly the parts (and roster snapshots) listed up to the pack's heads. */
async function localEngine(dir: string, manifest: PackManifest): Promise<QueryEngine> {
  const store = await openArchive(dir, { allowS3: false });
  const heads = manifest.archive.manifest_heads;
  const collectorKey = manifest.archive.trust === 'signatures' ? await collectorKeyVerifier(store, dir) : undefined;
  const scope = await archiveScope(store, { upTo: heads, ...(collectorKey && { verifier: collectorKey.verifier }) });
  const range = periodRange(quarterRange(manifest.quarter));
  const chains = await readPeriodChains(
    store,
    heads.map((h) => h.workspaceId),
    range.from - 90 * 86_400,
    heads,
  );
  const rosters = await chainRosters(store, chains);
  // The pack's days parsed once, as report does (same rows: the engine's cache is only a copy).
  return DuckDbEngine.open(dir, {
    cacheDays: reportDays(manifest.quarter),
    parts: scope.parts.map((p) => p.key),
    rosterKeys: rosters.snapshots.map((s) => s.key),
    // Without --public-key the pack's SQL is anyone's: it may read only what the views read.
    untrustedSql: true,
  });
}

/** Athena would read an index object up to the heads that no manifest names: stop, as the reporter does. */
async function assertNoPlantedIndex(store: ObjectStore, manifest: PackManifest): Promise<void> {
  const heads = manifest.archive.manifest_heads;
  const scope = await archiveScope(store, { upTo: heads });
  const planted = scope.unsafeIndexes.filter((i) => {
    const seq = parseIndexKey(i.key)?.seq;
    return seq !== undefined && seq <= (heads.find((h) => h.workspaceId === i.workspaceId)?.seq ?? -1);
  });
  if (planted.length > 0)
    throw new IntegrityError(
      planted[0]!.key,
      `${planted.map((i) => i.key).join(', ')}: index object(s) no manifest names, listing part(s) the chain does not list; Athena would read them, so the pack is not re-performed there — run verify`,
    );
}

export async function runReportReperform(options: ReperformCommandOptions): Promise<{ ok: boolean; text: string }> {
  // With a key, the files the signature check read (never the folder again); else the folder.
  let read = (name: string): Promise<Buffer | undefined> => fs.readFile(path.join(options.pack, name)).catch(() => undefined);
  if (options.publicKey || options.kmsKeyId) {
    const verified = await runReportVerify(options);
    if (!verified.ok) return { ok: false, text: `${verified.text}\nnot re-performed: the pack is not the signed one` };
    read = async (name) => verified.files.get(name);
  }
  const manifest = await readPack(options.pack, read);
  let engine: QueryEngine;
  let bind: ((sql: string, values: readonly string[]) => { sql: string; values: string[] }) | undefined;
  if (options.athena) {
    if (!options.archive.startsWith('s3://'))
      throw new ConfigurationError('--archive: with --athena give the archive as s3://bucket[/prefix]');
    await assertNoPlantedIndex(s3Archive(options.archive), manifest);
    engine = new AthenaEngine(new AthenaClient({}), options.athena);
    bind = (sql, values) => headBoundQuery(sql, values, manifest.archive.manifest_heads);
  } else {
    engine = await localEngine(options.archive, manifest);
  }
  try {
    const result = await reperformPack({
      manifest,
      read,
      engine,
      ...(bind && { bind }),
    });
    return { ok: result.ok, text: formatReperform(options.pack, manifest, result) };
  } finally {
    await engine.close();
  }
}

const cells = (row: string[] | null) => (row ? safeText(JSON.stringify(row.length === 1 ? row[0] : row)).slice(0, 300) : '(no such row)');

function fileLine(f: FileComparison): string {
  if (f.status === 'match') return `match       ${f.file} (${f.rows} rows, byte for byte)`;
  if (f.status === 'rows equal') return `rows equal  ${f.file} (${f.rows} rows, after the normalisation)`;
  if (!f.first) return `DIFFERS     ${f.file}: ${f.reason}`;
  const { row, pack, now } = f.first;
  const where = row === 0 ? 'the header' : `row ${row}`;
  // Rows of the same shape: name the cells that differ, not the whole rows.
  if (row > 0 && pack && now && pack.length === now.length) {
    const differing = pack.flatMap((cell, i) => (cell === now[i] ? [] : [i]));
    const shown = differing
      .slice(0, 3)
      .map((i) => `${safeText(f.columns?.[i] ?? `column ${i + 1}`)}: pack ${cells([pack[i]!])}, now ${cells([now[i]!])}`);
    return `DIFFERS     ${f.file}: first difference at ${where}: ${shown.join('; ')}${differing.length > 3 ? ` (and ${differing.length - 3} more cells)` : ''}`;
  }
  return `DIFFERS     ${f.file}: first difference at ${where}: pack ${cells(pack)}, now ${cells(now)}`;
}

export function formatReperform(pack: string, manifest: PackManifest, result: ReperformResult): string {
  const heads = manifest.archive.manifest_heads.map((h) => `${h.workspaceId} seq ${h.seq}`).join(', ') || 'none';
  const how =
    result.mode === 'bytes'
      ? 'compared byte for byte (same engine kind)'
      : 'compared row for row after the normalisation (another engine kind: BOM dropped, numbers compared as numbers)';
  const differing = result.files.filter((f) => f.status === 'differs').length;
  return [
    `re-performed ${result.files.length} queries of the pack in ${pack} (built on ${result.packEngine}) on ${result.engine}, reading the parts listed up to the pack's heads (${heads}); ${how}`,
    ...result.files.map(fileLine),
    differing === 0
      ? `OK: all ${result.files.length} CSVs ${result.mode === 'bytes' ? 'match' : 'have equal rows'}`
      : `FAILED: ${differing} of ${result.files.length} CSVs differ`,
  ].join('\n');
}

/** `report reperform`, registered under `report`. */
export function registerReportReperform(report: Command, setExit: (code: number) => void): void {
  report
    .command('reperform <pack>')
    .description(
      "re-run every query of a pack with its own SQL and parameters over the parts listed up to the pack's heads, and compare each CSV; exit 1 on any difference",
    )
    .option(
      '--archive <dir|s3://bucket/prefix>',
      'the archive the pack was built from: a folder, or with --athena its S3 location (required)',
    )
    .option('--athena', 'run the queries on Athena (through the chain-listed view bounded at the heads; creates nothing)')
    .option('--workgroup <name>', 'Athena workgroup (with --athena)', 'intercom-audit-archive')
    .option('--database <name>', 'Glue database (with --athena)', 'intercom_audit_archive')
    .option('--public-key <pem>', 'check the pack signature with this report-signing public key first')
    .option('--kms-key-id <id>', 'check the pack signature with this KMS report-signing key first')
    .action(async (pack: string, _opts: unknown, command: Command) => {
      // `report` has --archive, --athena, --workgroup and --database too, and commander gives them to it: read both.
      const opts = command.optsWithGlobals<{
        archive?: string;
        athena?: boolean;
        workgroup: string;
        database: string;
        publicKey?: string;
        kmsKeyId?: string;
      }>();
      if (!opts.archive)
        throw new ConfigurationError("report reperform: required option '--archive <dir|s3://bucket/prefix>' not specified");
      const result = await runReportReperform({
        pack,
        archive: opts.archive,
        ...(opts.athena && { athena: { workgroup: opts.workgroup, database: opts.database } }),
        ...(opts.publicKey && { publicKey: opts.publicKey }),
        ...(opts.kmsKeyId && { kmsKeyId: opts.kmsKeyId }),
      });
      process.stdout.write(`${result.text}\n`);
      setExit(result.ok ? 0 : 1);
    });
}
