/**
 * The `audit-archive` command line. Exit codes: 0 success; 1 a run that could not complete
 * or a verification that found problems; 2 a usage or configuration error.
 */
import { Command, CommanderError, Option } from 'commander';
import { ArchiveError, ConfigurationError, describeError } from '../lambdas/core/errors.ts';
import { COLLECTOR_VERSION } from '../lambdas/core/version.ts';
import { parseFaults } from '../simulator/faults.ts';
import { formatCollectSummary, parseRegion, runCollect, tokenFromEnv } from './commands/collect.ts';
import { runSimulate } from './commands/simulate.ts';
import { formatVerifyResult, runVerify, writeVerifyReport } from './commands/verify.ts';
import { createOutput } from './output.ts';
import { formatDisclosures, formatTable, runQuery, runReport } from './commands/report.ts';
import { runBacktest } from './commands/rules.ts';
import { quarterRange } from '../lambdas/core/queries/catalog.ts';
import { toCsv } from '../lambdas/core/reports/csv.ts';
import type { ObjectStore } from '../lambdas/core/ports.ts';
import path from 'node:path';
import { parseDay, parseDuration, parseNumber, parseTime } from './parse.ts';
import { s3Archive } from './archiveLocation.ts';
import { addAdoptUnsignedCommand, keysCommand } from './commands/keys.ts';
import { addAcknowledgeCommand } from './commands/acknowledge.ts';
import { registerExport } from './commands/exportProgram.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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
    .option('--window <duration>', 'longest window and API range, e.g. 5d or 12h', '5d')
    .option('--min-range <duration>', 'smallest API range after halving on repeated 5xx', '15m')
    .option('--lookback <duration>', 'horizon re-read behind the checkpoint for late entries', '1h')
    .option('--settle-lag <duration>', 'how far behind now a window must end to count as closed', '10m')
    .option('--part-max-mb <mb>', 'cut a new part when one passes this compressed size', '8')
    .option('--budget-share <share>', "share of the workspace's rate budget this collector may use, (0, 1]", '1')
    .option('--concurrency <n>', 'API ranges fetched at once across windows (each held in memory)', '1')
    .option('--rules <file>', 'alert rules (YAML or JSON): matches among the newly archived entries go to stdout and --alerts-file')
    .option('--alerts-file <file>', 'JSONL file alerts are appended to', 'alerts.jsonl')
    .option('--alert-max-age <duration>', 'alert only on entries younger than this (a backfill raises no storm)', '24h')
    .option('--max-retries <n>', 'retries of a failing Intercom request before the run stops', '6')
    .option('--request-timeout <duration>', 'give up on an Intercom request that has not answered after this long (then retry)', '30s')
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
          maxRetries: parseNumber('--max-retries', opts.maxRetries as string, { min: 0, max: 50, integer: true }),
          timeoutMs: parseDuration('--request-timeout', opts.requestTimeout as string, { min: 1, max: 600 }) * 1000,
        },
        output,
      );
      process.stdout.write(`${formatCollectSummary(result, (Date.now() - started) / 1000)}\n`);
      setExit(EXIT.ok);
    });

  program
    .command('verify')
    .description('re-hash every object, walk every manifest chain and check every signature; exit 1 when anything is missing, altered, unsigned or outside the chain')
    .requiredOption('--archive <dir|s3://bucket/prefix>', 'archive folder, or the S3 location (with your AWS credentials; an auditor role suffices)')
    .option('--public-key <file>', 'PEM public key to check signatures with (from your compliance records)')
    .option('--kms-key-id <id>', 'KMS signing key whose public key checks the signatures (S3 archives)')
    .addOption(new Option('--lock-mode <mode>', 'Object Lock mode every object must have').choices(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'))
    .option('--retention-years <n>', 'retention every object must have at least', '7')
    .option('--report <file>', 'write a JSON verification report there, and a one-page summary beside it')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { archive: string; publicKey?: string; kmsKeyId?: string; lockMode: 'COMPLIANCE' | 'GOVERNANCE'; retentionYears: string; report?: string; json?: boolean }) => {
      const years = parseNumber('--retention-years', opts.retentionYears, { min: 1, max: 100, integer: true });
      const outcome = await runVerify(
        {
          archive: opts.archive,
          ...(opts.publicKey && { publicKey: opts.publicKey }),
          ...(opts.kmsKeyId && { kmsKeyId: opts.kmsKeyId }),
          lock: { mode: opts.lockMode, years },
          concurrency: 8,
        },
        createOutput(),
      );
      process.stdout.write(opts.json ? `${JSON.stringify(outcome.result, null, 2)}\n` : `${formatVerifyResult(outcome.result)}\n`);
      if (opts.report) {
        const summary = await writeVerifyReport(opts.report, outcome);
        process.stdout.write(`report: ${opts.report} and ${summary}\n`);
      }
      setExit(outcome.result.ok ? EXIT.ok : EXIT.failed);
    });

  program
    .command('report')
    .description('build the quarterly report pack: one CSV per canned query, summary.html and manifest.json')
    .requiredOption('--quarter <YYYY-Qn>', 'the quarter, e.g. 2026-Q1')
    .requiredOption('--out <dir>', 'an empty folder for the pack')
    .option('--archive <dir|s3://bucket/prefix>', 'the archive (a folder for DuckDB; with --athena, the S3 location whose manifest heads are recorded)')
    .addOption(new Option('--lang <lang>', 'language of summary.html').choices(['en', 'ja']).default('en'))
    .option('--athena', 'run the queries on Athena instead of local DuckDB')
    .option('--workgroup <name>', 'Athena workgroup (with --athena)', 'intercom-audit-archive')
    .option('--database <name>', 'Glue database (with --athena)', 'intercom_audit_archive')
    .action(async (opts: { quarter: string; out: string; archive?: string; lang: 'en' | 'ja'; athena?: boolean; workgroup: string; database: string }) => {
      quarterRange(opts.quarter); // validates the flag before any work
      const output = createOutput();
      let archiveStore: ObjectStore | undefined;
      if (opts.athena) {
        if (!opts.archive?.startsWith('s3://')) throw new ConfigurationError('--archive: with --athena give the archive as s3://bucket[/prefix]');
        archiveStore = s3Archive(opts.archive);
      }
      const result = await runReport(
        {
          quarter: opts.quarter,
          out: opts.out,
          lang: opts.lang,
          ...(opts.archive && !opts.athena && { archive: opts.archive }),
          ...(opts.athena && { athena: { workgroup: opts.workgroup, database: opts.database } }),
          ...(archiveStore && { archiveStore }),
        },
        output,
      );
      process.stdout.write(`report pack for ${opts.quarter}: ${result.files.length} files in ${result.out}\n  open ${path.join(result.out, 'summary.html')}\n`);
      setExit(EXIT.ok);
    });

  program
    .command('query')
    .description('run one canned query over a local archive and print the result table')
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--file <sql>', 'a query file, e.g. queries/gdpr_data_exports.sql')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (inclusive)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--csv', 'print CSV instead of a table')
    .action(async (opts: { archive: string; file: string; from: string; to: string; csv?: boolean }) => {
      parseDay('--from', opts.from);
      parseDay('--to', opts.to);
      if (opts.from > opts.to) throw new ConfigurationError(`--from ${opts.from} is after --to ${opts.to}`);
      const result = await runQuery(opts);
      process.stdout.write(opts.csv ? toCsv(result).toString('utf8') : `${formatTable(result)}\n`);
      // Disclosed with every answer: on stdout under the table, on stderr beside a CSV.
      const disclosures = formatDisclosures(result).join('\n');
      if (opts.csv) process.stderr.write(`${disclosures}\n`);
      else process.stdout.write(`${disclosures}\n`);
      setExit(EXIT.ok);
    });

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
    .action(async (opts: { archive: string; rules: string; from: string; to: string; workspace?: string; examples: string; html?: string }) => {
      const result = await runBacktest({ ...opts, examples: parseNumber('--examples', opts.examples, { min: 0, max: 50, integer: true }) });
      process.stdout.write(`${result.text}\n`);
      setExit(EXIT.ok);
    });

  registerExport(program, setExit);

  program
    .command('simulate')
    .description('serve a simulated Intercom workspace on loopback and print its URL and token')
    .option('--port <n>', 'port (default: a free one)', '0')
    .option('--faults <list>', 'fault switches, e.g. 5xx=0.1,429=0.05,truncate=0.05,late=0.02:1800,latency=150', '')
    .option('--entries-per-day <n>', 'average activity per day', '400')
    .option('--seed <n>', 'dataset seed', '1')
    .action(async (opts: { port: string; faults: string; entriesPerDay: string; seed: string }) => {
      await runSimulate({
        port: parseNumber('--port', opts.port, { min: 0, max: 65535, integer: true }),
        faults: parseFaults(opts.faults),
        entriesPerDay: parseNumber('--entries-per-day', opts.entriesPerDay, { min: 0, max: 10_000_000 }),
        seed: parseNumber('--seed', opts.seed, { min: 0, max: 2 ** 31, integer: true }),
      });
      setExit(EXIT.ok);
    });
  addAdoptUnsignedCommand(keysCommand(program), setExit);
  addAcknowledgeCommand(program, setExit);
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
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ArchiveError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${describeError(error)}\n`);
    if (process.env.DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return EXIT.failed;
  }
}
