/** The `collect` command's flags and how they become `runCollect` options (one registration line in program.ts). */
import { type Command, Option } from 'commander';
import { COLLECT_DEFAULTS, durationText } from '../../lambdas/core/collect/settings.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { EXIT } from '../exitCodes.ts';
import { createOutput, writeResult } from '../output.ts';
import { parseDuration, parseNumber, parseTime } from '../parse.ts';
import { type CollectCommandOptions, formatCollectSummary, parseRegion, runCollect, tokenFromEnv } from './collect.ts';

type CollectFlags = Record<string, string | boolean | undefined>;

/** --api-url, else INTERCOM_API_URL; refused at start unless it is an http(s) URL. */
function apiUrlFrom(opts: CollectFlags): string | undefined {
  const apiUrl = (opts.apiUrl as string | undefined) ?? process.env.INTERCOM_API_URL;
  if (apiUrl !== undefined) {
    try {
      const url = new URL(apiUrl);
      if (!/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
    } catch {
      throw new ConfigurationError(`--api-url / INTERCOM_API_URL: '${apiUrl}' is not an http(s) URL`);
    }
  }
  return apiUrl;
}

/** The flags as `runCollect` options, each parsed and range-checked (the first one out of range is the error). */
function collectOptions(opts: CollectFlags, token: string, apiUrl: string | undefined): CollectCommandOptions {
  return {
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
    concurrency: parseNumber('--concurrency', opts.concurrency as string, { min: 1, max: 64, integer: true }),
    ...(opts.maxRunTime !== undefined && {
      maxRunTimeSeconds: parseDuration('--max-run-time', opts.maxRunTime as string, { min: 1, max: 30 * 86_400 }),
    }),
    maxRetries: parseNumber('--max-retries', opts.maxRetries as string, { min: 0, max: 50, integer: true }),
    timeoutMs: parseDuration('--request-timeout', opts.requestTimeout as string, { min: 1, max: 600 }) * 1000,
    lockWaitMs: parseDuration('--lock-wait', opts.lockWait as string, { min: 0, max: 86_400 }) * 1000,
    maxPageBytes: Math.round(parseNumber('--max-page-mb', opts.maxPageMb as string, { min: 0.001, max: 1024 }) * 1024 * 1024),
  };
}

/** Adds the `collect` command; `setExit` receives the exit code of a completed run. */
export function registerCollect(program: Command, setExit: (code: number) => void): void {
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
    .option(
      '--concurrency <n>',
      'most API ranges read at once across windows; fewer when the latency or the rate budget says so (1: one at a time)',
      String(COLLECT_DEFAULTS.concurrency),
    )
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
    .action(async (opts: CollectFlags) => {
      const output = createOutput(process.stderr, Boolean(opts.quiet));
      const token = tokenFromEnv();
      const apiUrl = apiUrlFrom(opts);
      const started = Date.now();
      const result = await runCollect(collectOptions(opts, token, apiUrl), output);
      writeResult(`${formatCollectSummary(result, (Date.now() - started) / 1000)}\n`);
      setExit(EXIT.ok);
    });
}
