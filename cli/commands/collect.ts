/** `audit-archive collect`: wires the local adapters (folder archive, env token, lock file) to the core. */
import { LocalCheckpointCache } from '../../lambdas/adapters/local/LocalCheckpointCache.ts';
import { LocalObjectStore, type WriteStage } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { LocalRunLock } from '../../lambdas/adapters/local/LocalRunLock.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { type CollectResult, collect } from '../../lambdas/core/collect/collect.ts';
import { iso } from '../../lambdas/core/archive/manifest.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { COLLECTOR_VERSION, newRunId } from '../../lambdas/core/version.ts';
import { promises as fs } from 'node:fs';
import { FileAlertSink, StdoutAlertSink } from '../../lambdas/adapters/local/localAlertSinks.ts';
import type { AlertSink } from '../../lambdas/core/rules/deliver.ts';
import { type LiveAlertResult, alertOnCollected } from '../../lambdas/core/rules/liveAlerts.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import { IntercomClient, type IntercomRegion, REGION_HOSTS } from '../../lambdas/intercom/IntercomClient.ts';
import type { Output } from '../output.ts';

export interface CollectCommandOptions {
  readonly archive: string;
  readonly since?: number;
  readonly until?: number;
  readonly apiUrl?: string;
  readonly region?: IntercomRegion;
  readonly workspace?: string;
  readonly token: string;
  readonly windowSeconds: number;
  readonly lookbackSeconds: number;
  readonly settleLagSeconds: number;
  readonly minRangeSeconds?: number;
  readonly partMaxBytes?: number;
  readonly budgetShare?: number;
  readonly maxRetries?: number;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  /** Alert rules file; alerts go to stdout (unless quiet) and `alertsFile`. */
  readonly rulesFile?: string;
  readonly alertsFile?: string;
  readonly alertMaxAgeSeconds?: number;
  readonly alertsToStdout?: boolean;
}

/** Reads the token from the environment; it is never printed. */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const token = env.INTERCOM_ACCESS_TOKEN?.trim();
  if (!token) {
    throw new ConfigurationError(
      "INTERCOM_ACCESS_TOKEN is not set: export an Intercom access token with the 'Read admin activity logs' permission (for the simulator, `audit-archive simulate` prints one)",
    );
  }
  return token;
}

export function parseRegion(value: string): IntercomRegion {
  if (value in REGION_HOSTS) return value as IntercomRegion;
  throw new ConfigurationError(`--region: '${value}' is not one of ${Object.keys(REGION_HOSTS).join(', ')}`);
}

/**
 * Crash-test failpoint: AUDIT_ARCHIVE_FAILPOINT=<temp-written|linked>:<key substring>:<n> kills
 * this process with SIGKILL at the n-th write stage whose key contains the substring.
 */
function failpointFromEnv(env: NodeJS.ProcessEnv = process.env): { onWriteStage?: (stage: WriteStage, key: string) => void } {
  const spec = env.AUDIT_ARCHIVE_FAILPOINT;
  if (!spec) return {};
  const [stage, needle = '', nth = '1'] = spec.split(':');
  let seen = 0;
  return {
    onWriteStage: (at, key) => {
      if (at === stage && key.includes(needle) && ++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');
    },
  };
}

export async function runCollect(options: CollectCommandOptions, output: Output): Promise<CollectResult & { alerts?: Awaited<ReturnType<typeof alertOnCollected>> }> {
  // A bad rules file fails at start, before anything is collected.
  const ruleSet = options.rulesFile ? parseRules(await fs.readFile(options.rulesFile, 'utf8').catch(() => {
    throw new ConfigurationError(`--rules: cannot read '${options.rulesFile}'`);
  }), options.rulesFile) : undefined;
  const now = options.now ?? (() => new Date());
  const latestClosed = Math.floor(now().getTime() / 1000) - options.settleLagSeconds;
  let until = options.until ?? latestClosed;
  if (until > latestClosed) {
    output.warn(`--until ${iso(until)} is later than now minus the settle lag; collecting up to ${iso(latestClosed)} so every window is closed`);
    until = latestClosed;
  }
  const store = new LocalObjectStore(options.archive, failpointFromEnv());
  const lock = new LocalRunLock(options.archive);
  await lock.acquire();
  let stopRequested = false;
  const onSignal = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    output.warn('stopping after the current window (press Ctrl-C again to stop at once; a rerun adopts what was written)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const client = new IntercomClient({
      token: options.token,
      ...(options.apiUrl ? { baseUrl: options.apiUrl } : { region: options.region ?? 'us' }),
      ...(options.budgetShare !== undefined && { budgetShare: options.budgetShare }),
      ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      onEvent: (event) => {
        if (event.type === 'retry') output.info(`retrying Intercom (${event.kind}${event.status ? ` ${event.status}` : ''}, attempt ${event.attempt}) in ${event.waitMs} ms`);
        if (event.type === 'rate-limited') output.info(`Intercom rate limit reached; waiting ${event.waitMs} ms for the next window`);
      },
    });
    const workspaceId = options.workspace ?? (await client.workspaceId());
    const keys = Ed25519Signer.forArchive(options.archive);
    if (keys.created) {
      output.warn(
        `created this archive's signing key pair outside the archive: ${keys.publicKeyPath} (fingerprint ${keys.verifier.fingerprint}). ` +
          'Record the fingerprint in your compliance records and back up the key folder; verify checks every manifest signature with it.',
      );
    }
    const started = Date.now();
    let entries = 0;
    let windows = 0;
    let bar: ReturnType<Output['progress']> | undefined;
    let base = 0;
    let lastTo = 0;
    const result = await collect(client, store, {
      workspaceId,
      ...(options.since !== undefined && { since: options.since }),
      until,
      windowSeconds: options.windowSeconds,
      lookbackSeconds: options.lookbackSeconds,
      ...(options.minRangeSeconds !== undefined && { minRangeSeconds: options.minRangeSeconds }),
      ...(options.partMaxBytes !== undefined && { partMaxBytes: options.partMaxBytes }),
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      runId: newRunId(now()),
      collectorVersion: COLLECTOR_VERSION,
      cache: new LocalCheckpointCache(options.archive),
      signer: keys.signer,
      shouldStop: () => stopRequested,
      now,
      observer: {
        onStart: (info) => {
          output.info(
            `${info.newArchive ? 'new archive' : 'archive'} ${store.location}: workspace ${info.workspaceId}, ${info.newArchive ? 'starting at' : 'continuing from'} ${iso(info.checkpoint)}, collecting up to ${iso(until)}`,
          );
          base = info.checkpoint;
          bar = output.progress('{bar} {percentage}% | {entries} entries | {windows} windows | {rate}/s | ETA {eta_formatted}', Math.max(1, until - base), {
            entries: 0,
            windows: 0,
            rate: 0,
          });
        },
        onWarning: (message) => output.warn(message),
        onPage: (info) => {
          entries += info.kept;
          const rate = Math.round(entries / Math.max(0.001, (Date.now() - started) / 1000));
          bar?.update(Math.max(0, (windows && lastTo ? lastTo : base) - base), { entries, windows, rate });
        },
        onWindowClosed: (report) => {
          if (report.kind === 'window' || report.kind === 'recovery') {
            windows += 1;
            lastTo = report.to;
          }
          const rate = Math.round(entries / Math.max(0.001, (Date.now() - started) / 1000));
          bar?.update(Math.max(0, report.to - base), { entries, windows, rate });
          if (!output.tty) {
            output.info(
              `${report.kind === 'late' ? 'late manifest' : report.kind === 'recovery' ? 'recovery window' : 'window'} ${iso(report.from)} – ${iso(report.to)}: ${report.records} entries` +
                `${report.quarantined ? `, ${report.quarantined} quarantined` : ''}${report.adoptedParts ? `, ${report.adoptedParts} parts adopted from an interrupted run (Intercom served every entry again)` : ''}` +
                `${report.rejectedParts ? `, ${report.rejectedParts} unlisted parts rejected (not confirmed by Intercom; never read)` : ''}${report.conflicts ? `, ${report.conflicts} conflicts (an id served again with other content)` : ''} (manifest ${report.seq})`,
            );
          }
        },
      },
    });
    bar?.stop();
    if (!ruleSet) return result;
    const sinks: AlertSink[] = [new FileAlertSink(options.alertsFile ?? 'alerts.jsonl'), ...(options.alertsToStdout === false ? [] : [new StdoutAlertSink()])];
    const alerts = await alertOnCollected(store, ruleSet, result, sinks, { maxAgeSeconds: options.alertMaxAgeSeconds ?? 86_400, now });
    for (const note of alerts.notes) output.warn(note);
    output.info(formatAlertSummary(alerts, options.alertsFile ?? 'alerts.jsonl'));
    return { ...result, alerts };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock.release();
  }
}

export function formatCollectSummary(result: CollectResult, seconds: number): string {
  return [
    `workspace ${result.workspaceId}: archive covers ${iso(result.origin)} – ${iso(result.checkpoint)} (chain head: manifest ${result.headSeq})`,
    `  this run: ${result.entries} entries in ${result.windows} windows (${result.emptyWindows} empty), ${result.lateEntries} late entries in ${result.lateManifests} late manifests`,
    `  ${result.quarantined} quarantined, ${result.duplicatesDropped} duplicates dropped, ${result.partsWritten} parts written, ${result.partsAdopted} adopted, ${result.pages} API pages, ${seconds.toFixed(1)} s`,
    ...(result.partsRejected || result.conflicts ? [`  ${result.partsRejected} unlisted parts rejected (listed under rejected_parts, never read), ${result.conflicts} conflicts recorded`] : []),
    ...(result.superseded.length ? [`  unsigned manifests ${result.superseded.join(', ')} superseded by a signed recovery manifest (re-collected, not signed)`] : []),
    ...(result.stoppedEarly ? ['  stopped early on request; the next run continues from the checkpoint'] : []),
  ].join('\n');
}

/** One line on what live alerting did, including what was too old to send. */
export function formatAlertSummary(alerts: LiveAlertResult, file: string): string {
  const scope =
    alerts.from === null
      ? 'nothing archived after the alerts watermark'
      : `${alerts.entries} entries after ${alerts.watermark.before === null ? `${iso(alerts.maxAgeCutoff)} (no alerts watermark yet)` : `the alerts watermark (manifest ${alerts.watermark.before})`}`;
  const old = alerts.tooOld > 0 ? `, ${alerts.tooOld} not sent live: their entries are older than --alert-max-age (before ${iso(alerts.maxAgeCutoff)}; rules backtest shows them)` : '';
  return `alerts: ${alerts.matches} matches in ${scope}, ${alerts.sent} sent, ${alerts.alreadySent} sent before${old} (to ${file}); watermark at manifest ${alerts.watermark.after ?? 'none'}${alerts.snapshot.written ? `, state snapshot ${alerts.snapshot.written}` : ''}`;
}
