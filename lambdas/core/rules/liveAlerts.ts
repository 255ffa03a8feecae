/**
 * Live alerts after a collect run, at least once whatever happened to earlier runs:
 *
 * 1. The alerts watermark (alertState.ts) names the last manifest whose entries were all
 *    alerted on. Every entry listed by a manifest after it is evaluated — not just the window
 *    this run closed — so alerts a failed run did not deliver are delivered by the next one.
 * 2. The evaluator's history comes from the daily snapshot the watermark names (key and SHA-256)
 *    plus the watermark's own changes to it, then the parts the chain lists after the watermark
 *    — a handful of requests, not a day of parts. A snapshot or watermark is used only when the
 *    manifest seq and SHA-256 it names match the chain; otherwise it is ignored and the history
 *    is rebuilt from the archive (the rules' horizon), so a forged or stale record cannot
 *    silence an alert.
 * 3. Alerts for entries older than `maxAgeSeconds` are counted, not sent (a backfill raises no storm).
 * 4. The watermark advances to the head only after every channel took the alerts and the sent
 *    records are written; then, at most once a UTC day, a snapshot of the state is written.
 *
 * The same evaluator runs backtests, so live alerts equal a backtest over the same history.
 */
import { AlertDeliveryError, IntegrityError, describeError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import type { CollectResult } from '../collect/collect.ts';
import { type StoredManifest, readManifest } from '../archive/chain.ts';
import { type Alert, RuleEvaluator, describeRuleFailures } from './evaluate.ts';
import { manifestEntries } from './manifestEntries.ts';
import { type AlertSink, deliverAlerts } from './deliver.ts';
import type { RuleSet } from './ruleset.ts';
import { ChainWalk } from './chainWalk.ts';
import {
  SNAPSHOT_FORMAT,
  type Snapshot,
  WATERMARK_FORMAT,
  type Watermark,
  snapshotKey,
  writeSnapshot,
  writeWatermark,
} from './alertState.ts';
import { stateDelta, trackingFingerprint, trackingOf } from './state.ts';
import { type SnapshotBase, historyStart, trustedSnapshot, trustedWatermark } from './alertHistory.ts';

export interface LiveAlertOptions {
  /** Entries older than this (by their own time) are left to backtests: a backfill raises no storm. */
  readonly maxAgeSeconds: number;
  readonly now?: () => Date;
  /** Parts read at once. @default 8 */
  readonly concurrency?: number;
}

export interface LiveAlertResult {
  /** Earliest entry time evaluated for alerts this run (null: nothing new after the watermark). */
  readonly from: number | null;
  /** The head's checkpoint. */
  readonly to: number;
  readonly manifests: number;
  readonly entries: number;
  readonly matches: number;
  readonly sent: number;
  readonly alreadySent: number;
  /** Matches on entries older than the max age: not sent live. */
  readonly tooOld: number;
  /** Entries before this time are too old to be sent live. */
  readonly maxAgeCutoff: number;
  readonly watermark: { readonly before: number | null; readonly after: number | null };
  readonly snapshot: { readonly used: string | null; readonly ignored: string | null; readonly written: string | null };
  /** Things an operator should know (a record ignored, a part skipped, a rule that failed on an entry). */
  readonly notes: readonly string[];
  /** (rule, entry) pairs whose evaluation failed and was skipped; the rest were evaluated. */
  readonly ruleFailures?: number;
}

/** Evaluates everything archived after the alerts watermark and delivers it (see the file comment). */
export async function alertOnCollected(
  store: ObjectStore,
  ruleSet: RuleSet,
  result: Pick<CollectResult, 'workspaceId' | 'headSeq'>,
  sinks: readonly AlertSink[],
  options: LiveAlertOptions,
): Promise<LiveAlertResult> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const cutoff = Math.floor(started.getTime() / 1000) - options.maxAgeSeconds;
  const notes: string[] = [];
  const trackingSha = trackingFingerprint(trackingOf(ruleSet));
  const head = await readManifest(store, result.workspaceId, result.headSeq);
  const chain = new ChainWalk(store, head);
  const headSeq = head.manifest.seq;

  const watermark = await trustedWatermark(store, chain, result.workspaceId, headSeq, notes);
  // Everything after the watermark is evaluated. Without one (alerts new for this archive, or
  // a record ignored), every entry within the max age is, and the sent records stop repeats.
  const watermarkSeq = watermark?.seq ?? null;
  const emitFrom = watermarkSeq === null ? null : watermarkSeq + 1;
  const summary: Summary = { manifests: 0, entries: 0, matches: 0, sent: 0, alreadySent: 0, tooOld: 0 };
  if (emitFrom !== null && emitFrom > headSeq) {
    return {
      from: null,
      to: head.manifest.checkpoint,
      ...summary,
      maxAgeCutoff: cutoff,
      watermark: { before: watermarkSeq, after: watermarkSeq },
      snapshot: { used: null, ignored: null, written: null },
      notes,
    };
  }
  const base = await trustedSnapshot(store, chain, result.workspaceId, watermark, trackingSha, notes);
  const history = await historyStart(chain, base.snapshot, watermark, emitFrom, cutoff, ruleSet);
  const evaluator = new RuleEvaluator(ruleSet, history.state);
  const manifests = await chain.ascendingFrom(history.seq);
  const window = { emitFrom, cutoff, concurrency: options.concurrency ?? 8 };
  const { fresh, from } = await evaluate(store, manifests, evaluator, window, summary, notes);
  await deliver(store, fresh, sinks, now(), watermarkSeq, summary);

  if (evaluator.failureCount) notes.push(describeRuleFailures(evaluator.failureCount, evaluator.failures[0]!));
  const progress = { workspaceId: result.workspaceId, head, watermarkSeq, trackingSha, today: started.toISOString().slice(0, 10), now };
  const recorded = await recordProgress(store, progress, base, evaluator, summary, notes);
  return {
    from,
    to: head.manifest.checkpoint,
    ...summary,
    maxAgeCutoff: cutoff,
    watermark: { before: watermarkSeq, after: recorded.after },
    snapshot: { used: base.snapshot ? watermark!.snapshot!.key : null, ignored: base.ignored, written: recorded.written },
    notes,
    ruleFailures: evaluator.failureCount,
  };
}

type Summary = { manifests: number; entries: number; matches: number; sent: number; alreadySent: number; tooOld: number };

/** Feeds the history through the evaluator; alerts on entries to emit within the max age are fresh. */
async function evaluate(
  store: ObjectStore,
  manifests: readonly StoredManifest[],
  evaluator: RuleEvaluator,
  window: { emitFrom: number | null; cutoff: number; concurrency: number },
  summary: Summary,
  notes: string[],
): Promise<{ fresh: Alert[]; from: number | null }> {
  const { emitFrom, cutoff } = window;
  const fresh: Alert[] = [];
  let from: number | null = null;
  for await (const { manifest, entries } of manifestEntries(store, manifests, window.concurrency, notes)) {
    const emitManifest = emitFrom !== null && manifest.manifest.seq >= emitFrom;
    if (emitManifest) summary.manifests += 1;
    for (const entry of entries) {
      const emit = emitFrom === null ? entry.created_at >= cutoff : emitManifest;
      if (emit) {
        summary.entries += 1;
        from = from === null ? entry.created_at : Math.min(from, entry.created_at);
      }
      for (const alert of evaluator.observe(entry, emit)) {
        summary.matches += 1;
        if (entry.created_at >= cutoff) fresh.push(alert);
        else summary.tooOld += 1;
      }
    }
  }
  return { fresh, from };
}

async function deliver(
  store: ObjectStore,
  fresh: Alert[],
  sinks: readonly AlertSink[],
  at: Date,
  watermarkSeq: number | null,
  summary: Summary,
): Promise<void> {
  try {
    const delivered = await deliverAlerts(store, fresh, sinks, at);
    summary.sent = delivered.sent;
    summary.alreadySent = delivered.alreadySent;
  } catch (error) {
    throw new AlertDeliveryError(
      `alerts could not be delivered (${describeError(error)}). The entries are archived; the alerts watermark stays at ${watermarkSeq === null ? 'none' : `manifest ${watermarkSeq}`}, so the next run delivers these ${fresh.length} alerts (at least once, same alert_id).`,
      { cause: error },
    );
  }
}

interface Progress {
  readonly workspaceId: string;
  readonly head: StoredManifest;
  readonly watermarkSeq: number | null;
  readonly trackingSha: string;
  readonly today: string;
  readonly now: () => Date;
}

/** After delivery: at most once a UTC day a snapshot of the state, then the watermark at the head. */
async function recordProgress(
  store: ObjectStore,
  progress: Progress,
  base: SnapshotBase,
  evaluator: RuleEvaluator,
  summary: Summary,
  notes: string[],
): Promise<{ written: string | null; after: number | null }> {
  const { workspaceId, head, watermarkSeq, now } = progress;
  const headSeq = head.manifest.seq;
  let written: string | null = null;
  let snapshotRef = base.ref;
  const todayKey = snapshotKey(workspaceId, progress.today);
  const stateNow = evaluator.exportState();
  let delta = base.snapshot && snapshotRef ? stateDelta(base.snapshot.state, stateNow) : null;
  // At most once a UTC day (the key is the day), a snapshot of the state through the head.
  if (!snapshotRef || snapshotRef.key < todayKey) {
    const state: Snapshot = {
      format: SNAPSHOT_FORMAT,
      workspace_id: workspaceId,
      seq: headSeq,
      manifest_sha256: head.sha256,
      checkpoint: head.manifest.checkpoint,
      tracking_sha256: progress.trackingSha,
      computed_at: now().toISOString(),
      state: stateNow,
    };
    const ref = await writeSnapshot(store, state, progress.today);
    if (ref) {
      snapshotRef = ref;
      written = ref.key;
      delta = stateDelta(stateNow, stateNow);
    } else
      notes.push(`alert state snapshot ${todayKey} already exists and is not the one this run computed; the next UTC day gets a new one`);
  }
  const record: Watermark = {
    format: WATERMARK_FORMAT,
    workspace_id: workspaceId,
    seq: headSeq,
    manifest_sha256: head.sha256,
    checkpoint: head.manifest.checkpoint,
    previous_seq: watermarkSeq,
    snapshot: snapshotRef,
    state_delta: delta,
    alerts: { matches: summary.matches, sent: summary.sent, already_sent: summary.alreadySent, too_old: summary.tooOld },
    written_at: now().toISOString(),
  };
  try {
    await writeWatermark(store, record);
    return { written, after: headSeq };
  } catch (error) {
    // Only a record that does not verify can hold this key: the alerts were delivered; the next run's head gets a new one.
    if (!(error instanceof IntegrityError)) throw error;
    notes.push(`alerts watermark for manifest ${headSeq} not written: ${error.message}`);
    return { written, after: watermarkSeq };
  }
}
