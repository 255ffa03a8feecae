/**
 * `npm start`: the whole product on a laptop with no AWS account. Starts the simulated
 * Intercom on a free loopback port, collects at least six months into ./archive (or
 * --archive / ARCHIVE_DIR), verifies the archive, builds the report pack of the last full
 * quarter with DuckDB, and prints what to try next.
 * A second `npm start` continues the same archive from its checkpoint.
 */
import path from 'node:path';
import { Command } from 'commander';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { findHead } from '../lambdas/core/archive/chain.ts';
import { ConfigurationError, describeError } from '../lambdas/core/errors.ts';
import { stamp } from '../lambdas/core/archive/keys.ts';
import { COLLECT_DEFAULTS } from '../lambdas/core/collect/settings.ts';
import { previousQuarter, quarterRange } from '../lambdas/core/queries/catalog.ts';
import { runReport } from './commands/report.ts';
import os from 'node:os';
import { reportSignerForArchive } from '../lambdas/adapters/local/reportKey.ts';
import { COLLECTOR_VERSION } from '../lambdas/core/version.ts';
import { runBacktest } from './commands/rules.ts';
import { startSimulator } from '../simulator/server.ts';
import { formatCollectSummary, runCollect } from './commands/collect.ts';
import { formatVerifyResult, runVerify } from './commands/verify.ts';
import { createOutput } from './output.ts';
import { exitCodeFor } from './exitCodes.ts';

const DAY = 86_400;
const DEFAULT_RULES = path.resolve(import.meta.dirname, '../rules/default-rules.yaml');

async function main(): Promise<number> {
  const opts = new Command('npm start')
    .option('--archive <dir>', 'archive folder', process.env.ARCHIVE_DIR ?? './archive')
    .option('--months <n>', 'months of history for a new archive', '6')
    .option('--reports <dir>', 'where report packs go', process.env.REPORTS_DIR ?? './reports')
    .option('--lang <lang>', 'language of summary.html (en or ja)', 'en')
    .option('--alerts <file>', 'where live alerts are appended', process.env.ALERTS_FILE ?? './alerts/alerts.jsonl')
    .parse(process.argv)
    .opts<{ archive: string; months: string; reports: string; lang: string; alerts: string }>();
  if (!['en', 'ja'].includes(opts.lang)) throw new ConfigurationError(`--lang: '${opts.lang}' is not en or ja`);
  if (!(Number(opts.months) >= 4 && Number(opts.months) <= 24))
    throw new ConfigurationError(`--months: '${opts.months}' is not a number from 4 to 24 (the report needs one full quarter)`);
  const archive = path.resolve(opts.archive);
  const output = createOutput();
  const started = Date.now();

  // A realistic bad day: pages that repeat entries, a few late entries, a few broken ones.
  const sim = await startSimulator({ faults: { repeat: 2, lateShare: 0.01, lateDelaySeconds: 1200, malformed: 0.0005 } });
  try {
    output.info(`simulated Intercom on ${sim.url} (workspace ${sim.workspace.workspaceId})`);
    const store = new LocalObjectStore(archive);
    const existing = await findHead(store, sim.workspace.workspaceId);
    const now = Math.floor(Date.now() / 1000);
    const since = Math.floor((now - Math.round(Number(opts.months) * 30.5) * DAY) / DAY) * DAY;
    const result = await runCollect(
      {
        archive,
        ...(existing ? {} : { since }),
        apiUrl: sim.url,
        token: sim.token,
        windowSeconds: COLLECT_DEFAULTS.windowSeconds,
        lookbackSeconds: COLLECT_DEFAULTS.lookbackSeconds,
        settleLagSeconds: COLLECT_DEFAULTS.settleLagSeconds,
        rulesFile: DEFAULT_RULES,
        alertsFile: path.resolve(opts.alerts),
        alertsToStdout: false,
      },
      output,
    );
    const collectSeconds = (Date.now() - started) / 1000;
    process.stdout.write(`\n${formatCollectSummary(result, collectSeconds)}\n\n`);
    const { result: verified } = await runVerify({ archive, lock: { mode: 'COMPLIANCE', years: 7 } }, output);
    process.stdout.write(`${formatVerifyResult(verified)}\n\n`);
    const quarter = previousQuarter(new Date());
    const out = path.resolve(opts.reports, `${quarter}-${stamp(Math.floor(Date.now() / 1000))}`);
    // A demo pack is built even when --months leaves the quarter partial; its first line says so.
    // Signed like any pack, with the report-signing key beside the archive's manifest key.
    const { reportSigner, publicKeyPath } = reportSignerForArchive(archive);
    const pack = await runReport(
      {
        quarter,
        out,
        lang: opts.lang as 'en' | 'ja',
        archive,
        allowPartial: true,
        reportSigner,
        generator: { tool: 'intercom-audit-archive', version: COLLECTOR_VERSION, host: os.hostname(), user: os.userInfo().username },
        onStatement: (s) => process.stdout.write(`${s}\n`),
      },
      output,
    );
    const relPack = path.relative(process.cwd(), pack.out) || '.';
    const { start_date, end_date } = quarterRange(quarter);
    const relArchive = path.relative(process.cwd(), archive) || '.';
    const bt = await runBacktest({
      archive,
      rules: DEFAULT_RULES,
      from: start_date,
      to: end_date,
      examples: 1,
      html: path.resolve(opts.reports, `rules-backtest-${quarter}.html`),
    });
    process.stdout.write(
      `\nDefault alert rules, backtested over ${quarter}:\n${bt.results.map((r) => `  ${r.rule.padEnd(30)} ${String(r.total).padStart(5)} alerts  (${r.severity})`).join('\n')}\n`,
    );
    process.stdout.write(
      `  live alerts of this run: ${result.alerts?.sent ?? 0} sent to ${path.relative(process.cwd(), path.resolve(opts.alerts))}; backtest chart: ${path.resolve(opts.reports, `rules-backtest-${quarter}.html`)}\n\n`,
    );
    const ws = verified.workspaces[0];
    process.stdout.write(
      [
        `Archive: ${archive}`,
        `  ${ws?.records ?? 0} entries in ${ws?.parts ?? 0} parts, ${ws?.windows ?? 0} windows, ${ws?.lateManifests ?? 0} late manifests; ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
        `Report pack for ${quarter} (the last full quarter): ${pack.files.length} files in ${pack.out}`,
        `  open ${path.join(pack.out, 'summary.html')}`,
        '',
        'Try next:',
        '  npm start                                   # again: continues from the checkpoint, nothing duplicated',
        `  npm run cli -- verify --archive ${path.relative(process.cwd(), archive) || '.'}        # re-hash everything and walk the chain`,
        `  zcat ${path.relative(process.cwd(), archive) || '.'}/activity_logs/workspace=${sim.workspace.workspaceId}/dt=*/*.jsonl.gz | head -1`,
        `  npm run cli -- query --archive ${relArchive} --file queries/gdpr_data_exports.sql --from ${start_date} --to ${end_date}`,
        `  npm run cli -- rules backtest --archive ${relArchive} --rules rules/default-rules.yaml --from ${start_date} --to ${end_date}`,
        `  npm run cli -- report verify ${relPack} --public-key ${publicKeyPath}`,
        `  npm run cli -- report reperform ${relPack} --archive ${relArchive}   # every CSV again, from the archive`,
        '  npm run cli -- simulate --faults 5xx=0.1,429=0.05,truncate=0.05   # a flaky Intercom to collect from',
        'Search it without SQL (newest first; --csv or --json for a file):',
        ...searchExamples(
          relArchive,
          { start_date, end_date },
          sim.workspace.entriesBetween(Date.parse(`${end_date}T00:00:00Z`) / 1000, Date.parse(`${end_date}T23:59:59Z`) / 1000)[0]
            ?.performed_by.email,
        ),
        '',
      ].join('\n'),
    );
    // Last: the browser console over the archive just built (and the packs beside it).
    process.stdout.write(
      `Investigate in the browser (read-only, 127.0.0.1; open the URL it prints):\n  npm run cli -- console --archive ${relArchive} --reports ${path.relative(process.cwd(), path.resolve(opts.reports)) || '.'}\n`,
    );
    return verified.ok ? 0 : 1;
  } finally {
    await sim.close();
  }
}

/** The two `search` commands `npm start` ends with: one teammate's month, and who changed permissions. */
function searchExamples(archive: string, period: { start_date: string; end_date: string }, email = 'someone@example.com'): string[] {
  const month = period.end_date.slice(0, 7);
  return [
    `  npm run cli -- search --archive ${archive} --teammate ${email} --from ${month}-01 --to ${period.end_date} --limit 20`,
    `  npm run cli -- search --archive ${archive} --group permission_changes --from ${period.start_date} --to ${period.end_date}`,
  ];
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  },
);
