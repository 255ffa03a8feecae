/**
 * The `audit-archive` command line. Exit codes: 0 success; 1 a run that could not complete
 * or a verification that found problems; 2 a usage or configuration error.
 */
import { Command, CommanderError, Option } from 'commander';
import { ArchiveError, ConfigurationError, describeError } from '../lambdas/core/errors.ts';
import { safeLines, safeText } from '../lambdas/core/text/safeText.ts';
import { COLLECTOR_VERSION } from '../lambdas/core/version.ts';
import { COLLECT_DEFAULTS, durationText } from '../lambdas/core/collect/settings.ts';
import { parseFaults } from '../simulator/faults.ts';
import { formatCollectSummary, parseRegion, runCollect, tokenFromEnv } from './commands/collect.ts';
import { runSimulate, webhookOptions } from './commands/simulate.ts';
import { formatVerifyResult, runVerify, writeVerifyReport } from './commands/verify.ts';
import { createOutput, writeResult } from './output.ts';
import { EXIT, exitCodeFor } from './exitCodes.ts';
import { formatDisclosures, formatTable, runQuery, runReport } from './commands/report.ts';
import { runBacktest } from './commands/rules.ts';
import { registerHold } from './commands/hold.ts';
import { quarterRange } from '../lambdas/core/queries/catalog.ts';
import { toCsv } from '../lambdas/core/reports/csv.ts';
import type { ObjectStore } from '../lambdas/core/ports.ts';
import path from 'node:path';
import { parseDay, parseDuration, parseNumber, parseParams, parseTime } from './parse.ts';
import { openArchive, s3Archive } from './archiveLocation.ts';
import { assertTimeZone } from '../lambdas/core/reports/timezone.ts';
import { reportSignerForArchive } from '../lambdas/adapters/local/reportKey.ts';
import { runReportVerify } from './commands/reportVerify.ts';
import { registerReportReperform } from './commands/reportReperform.ts';
import { toolCommit } from './toolCommit.ts';
import { registerTrace } from './commands/trace.ts';
import os from 'node:os';
import { addAcknowledgeCommand } from './commands/acknowledge.ts';
import { registerExport } from './commands/exportProgram.ts';
import { parseReceipt } from '../lambdas/core/signing/receipts.ts';
import { registerKeys } from './commands/keys.ts';
import { registerWebhook } from './commands/webhook.ts';
import { registerConsole } from './commands/console.ts';
import { cacheFlags, cacheOptions } from './partCache.ts';
import { registerSearch } from './commands/search.ts';

export { EXIT } from './exitCodes.ts';

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('audit-archive')
    .description('Archive Intercom teammate activity logs into a write-once, verifiable archive.')
    .version(COLLECTOR_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('collect')
    .description('collect closed windows of activity from the checkpoint (or --since) up to --until into the archive')
    .requiredOption('--archive <dir>', 'archive folder (created if missing)')
    .option('--since <time>', 'where a new archive starts: ISO-8601 or UNIX seconds (an existing archive continues from its checkpoint)')
    .option('--until <time>', 'collect up to here (default: now minus the settle lag)')
    .option('--api-url <url>', 'Intercom API base URL (env INTERCOM_API_URL; default from --region)')
    .addOption(new Option('--region <region>', 'Intercom region').choices(['us', 'eu', 'au']).default('us'))
    .option('--workspace <id>', 'workspace id (default: from GET /me)')
    .option('--window <duration>', 'longest window and API range, e.g. 5d or 12h', durationText(COLLECT_DEFAULTS.windowSeconds))
    .option('--min-range <duration>', 'smallest API range after halving on repeated 5xx', durationText(COLLECT_DEFAULTS.minRangeSeconds))
    .option(
      '--lookback <duration>',
      'horizon re-read behind the checkpoint for late entries',
      durationText(COLLECT_DEFAULTS.lookbackSeconds),
    )
    .option(
      '--settle-lag <duration>',
      'how far behind now a window must end to count as closed',
      durationText(COLLECT_DEFAULTS.settleLagSeconds),
    )
    .option('--part-max-mb <mb>', 'cut a new part when one passes this compressed size', '8')
    .option('--budget-share <share>', "share of the workspace's rate budget this collector may use, (0, 1]", '1')
    .option('--concurrency <n>', 'API ranges fetched at once across windows (each held in memory)', String(COLLECT_DEFAULTS.concurrency))
    .option('--rules <file>', 'alert rules (YAML or JSON): matches among the newly archived entries go to stdout and --alerts-file')
    .option('--alerts-file <file>', 'JSONL file alerts are appended to', 'alerts.jsonl')
    .option('--alert-max-age <duration>', 'alert only on entries younger than this (a backfill raises no storm)', '24h')
    .option('--max-run-time <duration>', 'end cleanly after this long, planning each window to fit (e.g. 10m); the next run continues')
    .option('--max-retries <n>', 'retries of a failing Intercom request before the run stops', '6')
    .option('--request-timeout <duration>', 'give up on an Intercom request that has not answered after this long (then retry)', '30s')
    .option(
      '--lock-wait <duration>',
      'how long to wait for an archive lock whose owner this host cannot check (another host or container) before giving up; it is taken over once its heartbeat is silent for the 30 s lease',
      '60s',
    )
    .option('--max-page-mb <mb>', 'refuse an Intercom page whose body is larger than this', '32')
    .option('--quiet', 'print only warnings and the summary')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const output = createOutput(process.stderr, Boolean(opts.quiet));
      const token = tokenFromEnv();
      const apiUrl = (opts.apiUrl as string | undefined) ?? process.env.INTERCOM_API_URL;
      if (apiUrl !== undefined) {
        try {
          const url = new URL(apiUrl);
          if (!/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
        } catch {
          throw new ConfigurationError(`--api-url / INTERCOM_API_URL: '${apiUrl}' is not an http(s) URL`);
        }
      }
      const started = Date.now();
      const result = await runCollect(
        {
          archive: opts.archive as string,
          ...(opts.since !== undefined && { since: parseTime('--since', opts.since as string) }),
          ...(opts.until !== undefined && { until: parseTime('--until', opts.until as string) }),
          ...(apiUrl !== undefined && { apiUrl }),
          region: parseRegion(opts.region as string),
          ...(opts.workspace !== undefined && { workspace: opts.workspace as string }),
          token,
          windowSeconds: parseDuration('--window', opts.window as string, { min: 60, max: 30 * 86_400 }),
          minRangeSeconds: parseDuration('--min-range', opts.minRange as string, { min: 1, max: 30 * 86_400 }),
          lookbackSeconds: parseDuration('--lookback', opts.lookback as string, { min: 0, max: 30 * 86_400 }),
          settleLagSeconds: parseDuration('--settle-lag', opts.settleLag as string, { min: 0, max: 86_400 }),
          partMaxBytes: Math.round(parseNumber('--part-max-mb', opts.partMaxMb as string, { min: 0.001, max: 4096 }) * 1024 * 1024),
          budgetShare: parseNumber('--budget-share', opts.budgetShare as string, { min: 0.01, max: 1 }),
          ...(opts.rules !== undefined && { rulesFile: opts.rules as string }),
          alertsFile: opts.alertsFile as string,
          alertMaxAgeSeconds: parseDuration('--alert-max-age', opts.alertMaxAge as string, { min: 60, max: 400 * 86_400 }),
          concurrency: parseNumber('--concurrency', opts.concurrency as string, { min: 1, max: 16, integer: true }),
          ...(opts.maxRunTime !== undefined && {
            maxRunTimeSeconds: parseDuration('--max-run-time', opts.maxRunTime as string, { min: 1, max: 30 * 86_400 }),
          }),
          maxRetries: parseNumber('--max-retries', opts.maxRetries as string, { min: 0, max: 50, integer: true }),
          timeoutMs: parseDuration('--request-timeout', opts.requestTimeout as string, { min: 1, max: 600 }) * 1000,
          lockWaitMs: parseDuration('--lock-wait', opts.lockWait as string, { min: 0, max: 86_400 }) * 1000,
          maxPageBytes: Math.round(parseNumber('--max-page-mb', opts.maxPageMb as string, { min: 0.001, max: 1024 }) * 1024 * 1024),
        },
        output,
      );
      writeResult(`${formatCollectSummary(result, (Date.now() - started) / 1000)}\n`);
      setExit(EXIT.ok);
    });

  program
    .command('verify')
    .description(
      're-hash every object, walk every manifest chain and check every signature; exit 1 when anything is missing, altered, unsigned or outside the chain',
    )
    .requiredOption(
      '--archive <dir|s3://bucket/prefix>',
      'archive folder, or the S3 location (with your AWS credentials; an auditor role suffices)',
    )
    .option('--public-key <file>', 'PEM public key to check signatures with (from your compliance records)')
    .option('--kms-key-id <id>', 'KMS signing key whose public key checks the signatures (S3 archives)')
    .addOption(
      new Option('--lock-mode <mode>', 'Object Lock mode every object must have')
        .choices(['COMPLIANCE', 'GOVERNANCE'])
        .default('COMPLIANCE'),
    )
    .option('--retention-years <n>', 'retention every object must have at least', '7')
    .option('--report <file>', 'write a JSON verification report there, and a one-page summary beside it')
    .option('--json', 'print the result as JSON')
    .option(
      '--expect-head <receipt>',
      "a head receipt kept outside the archive (<workspace>:<seq>:<sha256> or the printed 'head receipt: …' line): fail unless the chain reaches it; repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--from-receipt <receipt>',
      'an earlier verified head receipt (same two forms as --expect-head): check only what was added after it; its manifest must still hash to it and be signed; one per workspace, repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--concurrency <n>', 'objects read (and lock states asked for) at once', '32')
    .option('--max-head-age <duration>', "fail when a workspace's newest window ends longer ago than this, e.g. 2d")
    .option(
      '--require-locks',
      'fail when the folder has no Object Lock records at all (by default a copy is verified in full and its lock state noted as not checked)',
    )
    .action(
      async (opts: {
        archive: string;
        publicKey?: string;
        kmsKeyId?: string;
        lockMode: 'COMPLIANCE' | 'GOVERNANCE';
        retentionYears: string;
        report?: string;
        json?: boolean;
        expectHead: string[];
        fromReceipt: string[];
        concurrency: string;
        maxHeadAge?: string;
        requireLocks?: boolean;
      }) => {
        const years = parseNumber('--retention-years', opts.retentionYears, { min: 1, max: 100, integer: true });
        const expectHeads = opts.expectHead.map((text) => parseReceipt(text));
        const fromReceipts = opts.fromReceipt.map((text) => parseReceipt(text, '--from-receipt'));
        const maxHeadAgeSeconds =
          opts.maxHeadAge !== undefined ? parseDuration('--max-head-age', opts.maxHeadAge, { min: 60, max: 3650 * 86_400 }) : undefined;
        const outcome = await runVerify(
          {
            archive: opts.archive,
            ...(opts.publicKey && { publicKey: opts.publicKey }),
            ...(opts.kmsKeyId && { kmsKeyId: opts.kmsKeyId }),
            lock: { mode: opts.lockMode, years },
            concurrency: parseNumber('--concurrency', opts.concurrency, { min: 1, max: 256, integer: true }),
            ...(expectHeads.length > 0 && { expectHeads }),
            ...(fromReceipts.length > 0 && { fromReceipts }),
            ...(maxHeadAgeSeconds !== undefined && { maxHeadAgeSeconds }),
            ...(opts.requireLocks && { requireLocks: true }),
          },
          createOutput(),
        );
        writeResult(opts.json ? `${JSON.stringify(outcome.result, null, 2)}\n` : `${formatVerifyResult(outcome.result)}\n`, {
          machine: Boolean(opts.json),
        });
        if (opts.report) {
          const summary = await writeVerifyReport(opts.report, outcome);
          writeResult(`report: ${opts.report} and ${summary}\n`);
        }
        setExit(outcome.result.ok ? EXIT.ok : EXIT.failed);
      },
    );

  registerKeys(program, setExit);

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
    .action(
      async (opts: {
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
      }) => {
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
        const keyed = reportSignerForArchive(opts.archive ?? '.', undefined, opts.reportKey ? { fingerprint: opts.reportKey } : {});
        if (keyed.migratedFrom)
          output.warn(
            `recorded the report-signing key ${keyed.migratedFrom} under its fingerprint: ${keyed.publicKeyPath} (the old file stays)`,
          );
        if (keyed.created)
          output.warn(
            `created a report-signing key pair beside the archive's manifest key: ${keyed.publicKeyPath} (fingerprint ${keyed.reportSigner.fingerprint}). Record it: report verify checks packs with it.`,
          );
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
      },
    );
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

  program
    .command('query')
    .description('run one canned query over a local archive and print the result table')
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--file <sql>', 'a query file, e.g. queries/gdpr_data_exports.sql')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (inclusive)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--csv', 'print CSV instead of a table')
    .option(
      '--param <name=value>',
      'a named parameter beyond the period, e.g. teammate=ada@example.com (queries/investigations/); repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(cacheOptions()[0]!)
    .addOption(cacheOptions()[1]!)
    .action(
      async (opts: {
        archive: string;
        file: string;
        from: string;
        to: string;
        csv?: boolean;
        cacheDir?: string;
        cache?: boolean;
        param: string[];
      }) => {
        parseDay('--from', opts.from);
        parseDay('--to', opts.to);
        if (opts.from > opts.to) throw new ConfigurationError(`--from ${opts.from} is after --to ${opts.to}`);
        const result = await runQuery({
          ...opts,
          cache: cacheFlags(opts),
          params: parseParams(opts.param),
          onCoverage: (lines) => process.stderr.write(`${lines.join('\n')}\n`),
        });
        writeResult(opts.csv ? toCsv(result).toString('utf8') : `${formatTable(result)}\n`, { machine: Boolean(opts.csv) });
        // Disclosed with every answer: on stdout under the table, on stderr beside a CSV.
        const disclosures = formatDisclosures(result).join('\n');
        if (opts.csv) process.stderr.write(`${safeText(disclosures)}\n`);
        else writeResult(`${disclosures}\n`);
        setExit(EXIT.ok);
      },
    );

  registerTrace(program, setExit);
  registerSearch(program, setExit);

  const rules = program.command('rules').description('alert rules: try them on archived history before enabling them');
  rules
    .command('backtest')
    .description('run the live evaluator over archived history and show, per rule, how many alerts it would have raised each week')
    .requiredOption('--archive <dir|s3://bucket/prefix>', 'the archive')
    .requiredOption('--rules <file>', 'rules file (YAML or JSON)')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--workspace <id>', 'only this workspace (default: every workspace in the archive)')
    .option('--examples <n>', 'examples shown per rule', '3')
    .option('--html <file>', 'also write an HTML view with a chart per rule')
    .action(
      async (opts: { archive: string; rules: string; from: string; to: string; workspace?: string; examples: string; html?: string }) => {
        const result = await runBacktest({
          ...opts,
          examples: parseNumber('--examples', opts.examples, { min: 0, max: 50, integer: true }),
        });
        writeResult(`${result.text}\n`);
        setExit(EXIT.ok);
      },
    );

  registerExport(program, setExit);

  program
    .command('simulate')
    .description('serve a simulated Intercom workspace on loopback and print its URL and token')
    .option('--port <n>', 'port (default: a free one)', '0')
    .option('--faults <list>', 'fault switches, e.g. 5xx=0.1,429=0.05,truncate=0.05,late=0.02:1800,latency=150', '')
    .option('--entries-per-day <n>', 'average activity per day', '400')
    .option('--seed <n>', 'dataset seed', '1')
    .option('--webhook-url <url>', 'also post signed webhook notifications there as entries are created (secret: INTERCOM_WEBHOOK_SECRET)')
    .option('--app-id <id>', "the notifications' app_id (default: the simulated workspace id)")
    .action(async (opts: { port: string; faults: string; entriesPerDay: string; seed: string; webhookUrl?: string; appId?: string }) => {
      await runSimulate({
        ...webhookOptions(opts),
        port: parseNumber('--port', opts.port, { min: 0, max: 65535, integer: true }),
        faults: parseFaults(opts.faults),
        entriesPerDay: parseNumber('--entries-per-day', opts.entriesPerDay, { min: 0, max: 10_000_000 }),
        seed: parseNumber('--seed', opts.seed, { min: 0, max: 2 ** 31, integer: true }),
      });
      setExit(EXIT.ok);
    });
  registerHold(program, setExit);
  addAcknowledgeCommand(program, setExit);
  registerWebhook(program, setExit);
  registerConsole(program, setExit);
  return program;
}

/** Runs the CLI and returns its exit code (never calls process.exit, so tests can call it). */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message; help and version are not errors.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help'
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof ArchiveError) {
      process.stderr.write(`error: ${safeLines(error.message)}\n`);
      return exitCodeFor(error);
    }
    process.stderr.write(`error: ${safeLines(describeError(error))}\n`);
    if (process.env.DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return EXIT.failed;
  }
}
