/** The `report` command group's flags: `report`, `report verify` and `report reperform` (one registration line in program.ts). */
import os from 'node:os';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { reportSignerForArchive } from '../../lambdas/adapters/local/reportKey.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { quarterRange } from '../../lambdas/core/queries/catalog.ts';
import { assertTimeZone } from '../../lambdas/core/reports/timezone.ts';
import { COLLECTOR_VERSION } from '../../lambdas/core/version.ts';
import { openArchive, s3Archive } from '../archiveLocation.ts';
import { EXIT } from '../exitCodes.ts';
import { type Output, createOutput, writeResult } from '../output.ts';
import { cacheFlags, cacheOptions } from '../partCache.ts';
import { toolCommit } from '../toolCommit.ts';
import { runReport } from './report.ts';
import { registerReportReperform } from './reportReperform.ts';
import { runReportVerify } from './reportVerify.ts';

interface ReportFlags {
  cacheDir?: string;
  cache?: boolean;
  quarter?: string;
  out?: string;
  archive?: string;
  lang: 'en' | 'ja';
  athena?: boolean;
  workgroup: string;
  database: string;
  allowPartial?: boolean;
  timezone?: string;
  bom?: boolean;
  reportKey?: string;
}

/** The report-signing key beside the archive's manifest key, saying so when it was just created or renamed. */
function reportKey(opts: ReportFlags, output: Output): ReturnType<typeof reportSignerForArchive> {
  const keyed = reportSignerForArchive(opts.archive ?? '.', undefined, opts.reportKey ? { fingerprint: opts.reportKey } : {});
  if (keyed.migratedFrom)
    output.warn(`recorded the report-signing key ${keyed.migratedFrom} under its fingerprint: ${keyed.publicKeyPath} (the old file stays)`);
  if (keyed.created)
    output.warn(
      `created a report-signing key pair beside the archive's manifest key: ${keyed.publicKeyPath} (fingerprint ${keyed.reportSigner.fingerprint}). Record it: report verify checks packs with it.`,
    );
  return keyed;
}

/** Builds and signs the pack; `setExit` receives 0 once it is written. */
async function reportAction(opts: ReportFlags, setExit: (code: number) => void): Promise<void> {
  // Not commander's requiredOption: `report verify` is a subcommand and must not need them.
  if (opts.quarter === undefined) throw new ConfigurationError("required option '--quarter <YYYY-Qn>' not specified");
  if (opts.out === undefined) throw new ConfigurationError("required option '--out <dir>' not specified");
  const quarter = opts.quarter;
  const out = opts.out;
  quarterRange(quarter); // validates the flag before any work
  if (opts.timezone !== undefined) assertTimeZone(opts.timezone);
  const output = createOutput();
  let archiveStore: ObjectStore | undefined;
  if (opts.athena) {
    if (!opts.archive?.startsWith('s3://'))
      throw new ConfigurationError('--archive: with --athena give the archive as s3://bucket[/prefix]');
    archiveStore = s3Archive(opts.archive);
  }
  if (!opts.athena && !opts.archive) throw new ConfigurationError('report needs --archive <dir> (or --athena)');
  if (!opts.athena) await openArchive(opts.archive!, { allowS3: false }); // before a key is made for it
  const keyed = reportKey(opts, output);
  const result = await runReport(
    {
      quarter,
      out,
      reportSigner: keyed.reportSigner,
      generator: {
        tool: 'intercom-audit-archive',
        version: COLLECTOR_VERSION,
        ...(toolCommit() && { commit: toolCommit() }),
        host: os.hostname(),
        user: os.userInfo().username,
      },
      ...(opts.bom && { bom: true }),
      lang: opts.lang,
      ...(opts.archive && !opts.athena && { archive: opts.archive }),
      ...(opts.athena && { athena: { workgroup: opts.workgroup, database: opts.database } }),
      ...(archiveStore && { archiveStore }),
      ...(opts.allowPartial && { allowPartial: true }),
      ...(opts.timezone !== undefined && { timezone: opts.timezone }),
      cache: cacheFlags(opts),
      onStatement: (statement) => process.stdout.write(`${statement}\n`),
    },
    output,
  );
  writeResult(
    `report pack for ${quarter}: ${result.files.length} files in ${result.out}, signed by report key ${keyed.reportSigner.fingerprint}\n  open ${path.join(result.out, 'summary.html')}\n`,
  );
  setExit(EXIT.ok);
}

/** Adds the `report` command with its `verify` and `reperform` subcommands. */
export function registerReport(program: Command, setExit: (code: number) => void): void {
  const report = program
    .command('report')
    .description('build the quarterly report pack: one CSV per canned query, summary.html and manifest.json')
    .option('--quarter <YYYY-Qn>', 'the quarter, e.g. 2026-Q1 (required)')
    .option('--out <dir>', 'a missing or empty folder for the pack (required)')
    .option(
      '--archive <dir|s3://bucket/prefix>',
      'the archive (a folder for DuckDB; with --athena, the S3 location whose manifest heads are recorded)',
    )
    .addOption(new Option('--lang <lang>', 'language of summary.html').choices(['en', 'ja']).default('en'))
    .option(
      '--allow-partial',
      'build the pack even when the archive does not hold the whole quarter (the pack says so); without it such a period exits 1',
    )
    .option('--timezone <zone>', 'IANA time zone whose local times summary.html shows beside UTC, e.g. Asia/Tokyo')
    .option('--bom', 'start each CSV with a UTF-8 byte order mark (for spreadsheets that need it; recorded in manifest.json)')
    .option('--report-key <fingerprint>', 'the report-signing key to sign with, when the key folder holds several')
    .option('--athena', 'run the queries on Athena instead of local DuckDB')
    .option('--workgroup <name>', 'Athena workgroup (with --athena)', 'intercom-audit-archive')
    .option('--database <name>', 'Glue database (with --athena)', 'intercom_audit_archive')
    .addOption(cacheOptions()[0]!)
    .addOption(cacheOptions()[1]!)
    .action((opts: ReportFlags) => reportAction(opts, setExit));
  report
    .command('verify <pack>')
    .description(
      "check a report pack: its signature (with the report-signing public key from your records) and every file's SHA-256; exit 1 naming each file that differs",
    )
    .option('--public-key <pem>', 'the report-signing public key (PEM)')
    .option('--kms-key-id <id>', 'the KMS report-signing key (packs the reporter Lambda signed)')
    .action(async (pack: string, opts: { publicKey?: string; kmsKeyId?: string }) => {
      const result = await runReportVerify({
        pack,
        ...(opts.publicKey && { publicKey: opts.publicKey }),
        ...(opts.kmsKeyId && { kmsKeyId: opts.kmsKeyId }),
      });
      process.stdout.write(`${result.text}\n`);
      setExit(result.ok ? EXIT.ok : EXIT.failed);
    });
  registerReportReperform(report, setExit);
}
