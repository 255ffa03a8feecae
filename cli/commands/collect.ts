/** `audit-archive collect`: wires the local adapters (folder archive, env token, lock file) to the core. */
import { LocalCheckpointCache } from '../../lambdas/adapters/local/LocalCheckpointCache.ts';
import { LocalObjectStore, type WriteStage } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { LocalRunLock } from '../../lambdas/adapters/local/LocalRunLock.ts';
import { Ed25519Signer, type LoadedKey } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { type CollectResult, collect } from '../../lambdas/core/collect/collect.ts';
import { iso } from '../../lambdas/core/archive/manifest.ts';
import { ArchiveError, ConfigurationError } from '../../lambdas/core/errors.ts';
import { COLLECTOR_VERSION, newRunId } from '../../lambdas/core/version.ts';
import { promises as fs } from 'node:fs';
import { FileAlertSink, StdoutAlertSink } from '../../lambdas/adapters/local/localAlertSinks.ts';
import type { AlertSink } from '../../lambdas/core/rules/deliver.ts';
import { type LiveAlertResult, alertOnCollected } from '../../lambdas/core/rules/liveAlerts.ts';
import { type RuleSet, parseRules } from '../../lambdas/core/rules/ruleset.ts';
import { IntercomClient, type IntercomRegion, REGION_HOSTS, checkToken } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import type { Output } from '../output.ts';
import { chainKey } from '../../lambdas/core/signing/chainKey.ts';
import { findHead } from '../../lambdas/core/archive/chain.ts';
import { formatReceipt, signedHeadReceipt } from '../../lambdas/core/signing/receipts.ts';
import { CollectProgress } from './collectProgress.ts';

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
  /** End cleanly after this many seconds, planning windows to fit (as the Lambda deadline does). @default unlimited */
  readonly maxRunTimeSeconds?: number;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  /** Longest wait for a lock whose owner this host cannot check. @default twice the lease (60 s) */
  readonly lockWaitMs?: number;
  /** Cap on one page's body. @default 32 MiB */
  readonly maxPageBytes?: number;
  readonly now?: () => Date;
  /** Alert rules file; alerts go to stdout (unless quiet) and `alertsFile`. */
  readonly rulesFile?: string;
  readonly alertsFile?: string;
  readonly alertMaxAgeSeconds?: number;
  readonly alertsToStdout?: boolean;
  /** Where head receipts go (one line each). @default stdout, also with --quiet */
  readonly printReceipt?: (line: string) => void;
}

/** Reads the token from the environment; it is never printed. */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const token = env.INTERCOM_ACCESS_TOKEN?.trim();
  if (!token) {
    throw new ConfigurationError(
      "INTERCOM_ACCESS_TOKEN is not set: export an Intercom access token with the 'Read admin activity logs' permission (for the simulator, `audit-archive simulate` prints one)",
    );
  }
  return checkToken(token, 'INTERCOM_ACCESS_TOKEN');
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

export async function runCollect(
  options: CollectCommandOptions,
  output: Output,
): Promise<CollectResult & { alerts?: Awaited<ReturnType<typeof alertOnCollected>> }> {
  // A bad rules file fails at start, before anything is collected.
  const ruleSet = options.rulesFile ? await readRuleSet(options.rulesFile) : undefined;
  const now = options.now ?? (() => new Date());
  const latestClosed = Math.floor(now().getTime() / 1000) - options.settleLagSeconds;
  let until = options.until ?? latestClosed;
  if (until > latestClosed) {
    output.warn(
      `--until ${iso(until)} is later than now minus the settle lag; collecting up to ${iso(latestClosed)} so every window is closed`,
    );
    until = latestClosed;
  }
  const store = new LocalObjectStore(options.archive, failpointFromEnv());
  const lock = new LocalRunLock(options.archive, {
    ...(options.lockWaitMs !== undefined && { waitMs: options.lockWaitMs }),
    onWait: (line) => output.info(line),
    onLost: () =>
      output.warn('another run took over the archive lock (this run stalled longer than the lease); stopping after the current window'),
  });
  await lock.acquire();
  let stopRequested = false;
  const onSignal = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    output.warn('stopping after the current window (press Ctrl-C again to stop at once; a rerun adopts what was written)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cache = new LocalCheckpointCache(options.archive);
  let workspaceId: string | undefined;
  try {
    // Under the lock, so no live write is cut short.
    const cleared = await store.clearTemp();
    if (cleared) output.info(`removed ${cleared} temporary file${cleared === 1 ? '' : 's'} a failed or killed write left in .tmp/`);
    const client = intercomClient(options, output);
    workspaceId = options.workspace ?? (await client.workspaceId());
    const keys = await signingKeys(store, options.archive, workspaceId, cache, output);
    const started = Date.now();
    const progress = new CollectProgress(output, store.location, until, started);
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
      cache,
      signer: keys.signer,
      shouldStop: () => stopRequested || lock.lost,
      ...(options.maxRunTimeSeconds !== undefined && {
        timeLeft: () => (options.maxRunTimeSeconds as number) - (Date.now() - started) / 1000,
      }),
      now,
      observer: progress.observer(),
    });
    progress.stop();
    if (lock.lost)
      throw new ArchiveError(
        'another collector run took over the archive lock while this run was stalled; this run stopped after its current window. Rerun once the other run is done.',
      );
    if (!ruleSet) return result;
    return { ...result, alerts: await liveAlerts(store, ruleSet, result, options, now, output) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The head receipt, also after a failed run: keep it outside the archive (verify --expect-head).
    if (workspaceId !== undefined)
      await printHeadReceipt(store, workspaceId, cache, options.printReceipt ?? ((line) => process.stdout.write(`${line}\n`)), output);
    await lock.release();
  }
}

/** Reads and parses the alert rules; an unreadable file is a configuration error. */
async function readRuleSet(file: string): Promise<RuleSet> {
  return parseRules(
    await fs.readFile(file, 'utf8').catch(() => {
      throw new ConfigurationError(`--rules: cannot read '${file}'`);
    }),
    file,
  );
}

/** The Intercom client, its retries and rate-limit waits reported as info lines. */
function intercomClient(options: CollectCommandOptions, output: Output): IntercomClient {
  return new IntercomClient({
    token: options.token,
    ...(options.apiUrl ? { baseUrl: options.apiUrl } : { region: options.region ?? 'us' }),
    ...(options.budgetShare !== undefined && { budgetShare: options.budgetShare }),
    ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.maxPageBytes !== undefined && { maxPageBytes: options.maxPageBytes }),
    onEvent: (event) => {
      if (event.type === 'retry')
        output.info(
          `retrying Intercom (${event.kind}${event.status ? ` ${event.status}` : ''}, attempt ${event.attempt}) in ${event.waitMs} ms`,
        );
      if (event.type === 'rate-limited') output.info(`Intercom rate limit reached; waiting ${event.waitMs} ms for the next window`);
    },
  });
}

/** The signing key of a workspace's chain, warning when it was just created or found under its old name. */
async function signingKeys(
  store: LocalObjectStore,
  archive: string,
  workspaceId: string,
  cache: LocalCheckpointCache,
  output: Output,
): Promise<LoadedKey> {
  // The chain's own key, found by the fingerprint its signatures name (so a moved archive keeps it).
  const expected = await chainKey(store, workspaceId);
  // A new key only for a new chain: a chain that already holds manifests but no signature lost
  // its signatures (or predates signing) — a fresh key would sign whatever it holds now.
  const head = expected ? undefined : await findHead(store, workspaceId, cache);
  const keys = Ed25519Signer.forChain(archive, expected, undefined, {
    ...(head &&
      head.manifest.seq > 0 && {
        refuseNewKey:
          `workspace ${workspaceId}'s chain holds ${head.manifest.seq + 1} manifests but not one signature, and no key of this archive is in the key folder: ` +
          'its signatures were deleted, or it predates signing. Verify it with the public key from your compliance records (and your newest head receipt) before anything else; ' +
          'restore the key folder if it was lost. A new key is never created for an existing chain.',
      }),
  });
  if (keys.migratedFrom)
    output.warn(
      `found this archive's signing key under its old name ${keys.migratedFrom}; recorded it by fingerprint as ${keys.publicKeyPath} (the old file is kept)`,
    );
  if (keys.created) {
    output.warn(
      `created this archive's signing key pair outside the archive: ${keys.publicKeyPath} (fingerprint ${keys.verifier.fingerprint}). ` +
        'Record the fingerprint in your compliance records and back up the key folder; verify checks every manifest signature with it.',
    );
  }
  return keys;
}

/** Sends the alerts the rules raise among the newly archived entries (stdout unless turned off, and the alerts file). */
async function liveAlerts(
  store: LocalObjectStore,
  ruleSet: RuleSet,
  result: CollectResult,
  options: CollectCommandOptions,
  now: () => Date,
  output: Output,
): Promise<LiveAlertResult> {
  const sinks: AlertSink[] = [
    new FileAlertSink(options.alertsFile ?? 'alerts.jsonl'),
    ...(options.alertsToStdout === false ? [] : [new StdoutAlertSink()]),
  ];
  const alerts = await alertOnCollected(store, ruleSet, result, sinks, { maxAgeSeconds: options.alertMaxAgeSeconds ?? 86_400, now });
  for (const note of alerts.notes) output.warn(note);
  output.info(formatAlertSummary(alerts, options.alertsFile ?? 'alerts.jsonl'));
  return alerts;
}

async function printHeadReceipt(
  store: LocalObjectStore,
  workspaceId: string,
  cache: LocalCheckpointCache,
  print: (line: string) => void,
  output: Output,
): Promise<void> {
  try {
    const receipt = await signedHeadReceipt(store, workspaceId, cache);
    if (receipt) print(formatReceipt(receipt));
  } catch (error) {
    output.warn(
      `could not read the chain head for its receipt (${error instanceof Error ? error.message : String(error)}); verify the archive`,
    );
  }
}

export function formatCollectSummary(result: CollectResult, seconds: number): string {
  return [
    `workspace ${result.workspaceId}: archive covers ${iso(result.origin)} – ${iso(result.checkpoint)} (chain head: manifest ${result.headSeq})`,
    `  this run: ${result.entries} entries in ${result.windows} windows (${result.emptyWindows} empty), ${result.lateEntries} late entries in ${result.lateManifests} late manifests`,
    `  ${result.quarantined} quarantined, ${result.duplicatesDropped} duplicates dropped, ${result.partsWritten} parts written, ${result.partsAdopted} adopted, ${result.pages} API pages, ${seconds.toFixed(1)} s`,
    ...(result.partsRejected || result.conflicts
      ? [
          `  ${result.partsRejected} unlisted parts rejected (listed under rejected_parts, never read), ${result.conflicts} conflicts recorded`,
        ]
      : []),
    ...(result.superseded.length
      ? [`  unsigned manifests ${result.superseded.join(', ')} superseded by a signed recovery manifest (re-collected, not signed)`]
      : []),
    ...(result.stoppedEarly ? ['  stopped early (on request or at --max-run-time); the next run continues from the checkpoint'] : []),
  ].join('\n');
}

/** One line on what live alerting did, including what was too old to send. */
export function formatAlertSummary(alerts: LiveAlertResult, file: string): string {
  const scope =
    alerts.from === null
      ? 'nothing archived after the alerts watermark'
      : `${alerts.entries} entries after ${alerts.watermark.before === null ? `${iso(alerts.maxAgeCutoff)} (no alerts watermark yet)` : `the alerts watermark (manifest ${alerts.watermark.before})`}`;
  const old =
    alerts.tooOld > 0
      ? `, ${alerts.tooOld} not sent live: their entries are older than --alert-max-age (before ${iso(alerts.maxAgeCutoff)}; rules backtest shows them)`
      : '';
  return `alerts: ${alerts.matches} matches in ${scope}, ${alerts.sent} sent, ${alerts.alreadySent} sent before${old} (to ${file}); watermark at manifest ${alerts.watermark.after ?? 'none'}${alerts.snapshot.written ? `, state snapshot ${alerts.snapshot.written}` : ''}`;
}
