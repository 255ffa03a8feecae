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
import type { StoredManifest } from '../archive/chain.ts';
import { readManifest } from '../archive/chain.ts';
import { readGzipLines } from '../archive/lines.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { type Alert, type AlertEntry, RuleEvaluator, describeRuleFailures } from './evaluate.ts';
import { type AlertSink, deliverAlerts } from './deliver.ts';
import type { RuleSet } from './ruleset.ts';
import { ChainWalk } from './chainWalk.ts';
import {
  SNAPSHOT_FORMAT,
  type Snapshot,
  WATERMARK_FORMAT,
  type Watermark,
  latestWatermark,
  readSnapshot,
  snapshotKey,
  writeSnapshot,
  writeWatermark,
} from './alertState.ts';
import { type SerializedState, applyDelta, stateDelta, trackingFingerprint, trackingOf } from './state.ts';

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
  const today = started.toISOString().slice(0, 10);
  const workspaceId = result.workspaceId;
  const notes: string[] = [];
  const trackingSha = trackingFingerprint(trackingOf(ruleSet));

  const head = await readManifest(store, workspaceId, result.headSeq);
  const chain = new ChainWalk(store, head);
  const headSeq = head.manifest.seq;

  // The latest watermark and the snapshot it names, each trusted only once its link to the chain checks out.
  let watermark: Watermark | undefined;
  const watermarkCandidate = await latestWatermark(store, workspaceId, headSeq);
  if (watermarkCandidate) {
    const w = watermarkCandidate.record;
    const problem =
      watermarkCandidate.problem ??
      ((await chain.sha256Of(w!.seq)) !== w!.manifest_sha256
        ? `its link to the chain does not verify (manifest ${w!.seq} does not have the SHA-256 it names)`
        : undefined);
    if (problem)
      notes.push(
        `alerts watermark ${watermarkCandidate.key} ignored: ${problem}; every entry within the max age is evaluated again (the sent records stop repeats)`,
      );
    else watermark = w;
  }
  // Everything after the watermark is evaluated. Without one (alerts new for this archive, or
  // a record ignored), every entry within the max age is, and the sent records stop repeats.
  const watermarkSeq = watermark?.seq ?? null;
  const emitFrom = watermarkSeq === null ? null : watermarkSeq + 1;
  const summary = { manifests: 0, entries: 0, matches: 0, sent: 0, alreadySent: 0, tooOld: 0 };
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

  let snapshot: Snapshot | undefined;
  let snapshotRef = watermark?.snapshot ?? null;
  let ignored: string | null = null;
  if (snapshotRef) {
    const candidate = await readSnapshot(store, workspaceId, snapshotRef);
    const s = candidate.record;
    const problem =
      candidate.problem ??
      (s!.tracking_sha256 !== trackingSha
        ? 'it was computed for other rules'
        : s!.seq > watermark!.seq
          ? `it names manifest ${s!.seq}, after the watermark ${watermark!.seq}`
          : (await chain.sha256Of(s!.seq)) !== s!.manifest_sha256
            ? `its link to the chain does not verify (manifest ${s!.seq} does not have the SHA-256 it names)`
            : undefined);
    if (problem) {
      ignored = `${snapshotRef.key}: ${problem}`;
      notes.push(`alert state snapshot ${ignored}; ignored, the state is rebuilt from the archive`);
      snapshotRef = null;
    } else snapshot = s;
  }

  // Where the history starts: the watermark's state (the snapshot plus its changes), the
  // snapshot, or — neither usable — far enough back for the rules' horizon.
  let baseSeq: number;
  let baseState: SerializedState | undefined;
  if (snapshot && watermark?.state_delta) {
    baseSeq = watermark.seq + 1;
    baseState = applyDelta(snapshot.state, watermark.state_delta);
  } else if (snapshot) {
    baseSeq = snapshot.seq + 1;
    baseState = snapshot.state;
  } else {
    // The earliest entry that will be evaluated: late manifests reach back behind their window.
    let earliest = emitFrom === null ? cutoff : Number.POSITIVE_INFINITY;
    if (emitFrom !== null) {
      for (const m of await chain.ascendingFrom(emitFrom)) earliest = Math.min(earliest, m.manifest.from);
    }
    const historyFrom = earliest - ruleSet.horizonSeconds;
    baseSeq = await chain.readBackUntil((m) => m.manifest.kind === 'window' && m.manifest.from <= historyFrom);
  }

  const evaluator = new RuleEvaluator(ruleSet, baseState);
  const fresh: Alert[] = [];
  let from: number | null = null;
  const manifests = await chain.ascendingFrom(baseSeq);
  for await (const { manifest, entries } of manifestEntries(store, manifests, options.concurrency ?? 8, notes)) {
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

  try {
    const delivered = await deliverAlerts(store, fresh, sinks, now());
    summary.sent = delivered.sent;
    summary.alreadySent = delivered.alreadySent;
  } catch (error) {
    throw new AlertDeliveryError(
      `alerts could not be delivered (${describeError(error)}). The entries are archived; the alerts watermark stays at ${watermarkSeq === null ? 'none' : `manifest ${watermarkSeq}`}, so the next run delivers these ${fresh.length} alerts (at least once, same alert_id).`,
      { cause: error },
    );
  }

  // At most once a UTC day (the key is the day), a snapshot of the state through the head.
  let written: string | null = null;
  const todayKey = snapshotKey(workspaceId, today);
  if (evaluator.failureCount) notes.push(describeRuleFailures(evaluator.failureCount, evaluator.failures[0]!));
  const stateNow = evaluator.exportState();
  let delta = snapshot && snapshotRef ? stateDelta(snapshot.state, stateNow) : null;
  if (!snapshotRef || snapshotRef.key < todayKey) {
    const state: Snapshot = {
      format: SNAPSHOT_FORMAT,
      workspace_id: workspaceId,
      seq: headSeq,
      manifest_sha256: head.sha256,
      checkpoint: head.manifest.checkpoint,
      tracking_sha256: trackingSha,
      computed_at: now().toISOString(),
      state: stateNow,
    };
    const ref = await writeSnapshot(store, state, today);
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
  let after: number | null = headSeq;
  try {
    await writeWatermark(store, record);
  } catch (error) {
    // Only a record that does not verify can hold this key: the alerts were delivered; the next run's head gets a new one.
    if (!(error instanceof IntegrityError)) throw error;
    notes.push(`alerts watermark for manifest ${headSeq} not written: ${error.message}`);
    after = watermarkSeq;
  }

  return {
    from,
    to: head.manifest.checkpoint,
    ...summary,
    maxAgeCutoff: cutoff,
    watermark: { before: watermarkSeq, after },
    snapshot: { used: snapshot ? watermark!.snapshot!.key : null, ignored, written },
    notes,
    ruleFailures: evaluator.failureCount,
  };
}

/**
 * The entries each manifest lists, manifest by manifest, each sorted by (time, id) as backtests
 * order them; parts are read `concurrency` at a time ahead. A part whose bytes do not match its
 * manifest is skipped and named in `notes` (verify reports it too).
 */
async function* manifestEntries(
  store: ObjectStore,
  manifests: readonly StoredManifest[],
  concurrency: number,
  notes: string[],
): AsyncGenerator<{ manifest: StoredManifest; entries: AlertEntry[] }> {
  // A manifest a later recovery manifest superseded carries no weight: its parts are not evaluated.
  const superseded = new Set(manifests.flatMap((m) => (m.manifest.supersedes ?? []).map((r) => r.seq)));
  const parts = manifests.flatMap((m, index) => (superseded.has(m.manifest.seq) ? [] : m.manifest.parts.map((part) => ({ index, part }))));
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (next < parts.length && pending.length < concurrency) {
      const p = store.get(parts[next]!.part.key);
      p.catch(() => undefined); // awaited in order below
      pending.push(p);
      next += 1;
    }
  };
  let cursor = 0;
  for (let index = 0; index < manifests.length; index += 1) {
    const entries: AlertEntry[] = [];
    while (cursor < parts.length && parts[cursor]!.index === index) {
      fill();
      const { part } = parts[cursor]!;
      const body = await pending.shift()!;
      cursor += 1;
      if (sha256Hex(body) !== part.sha256) {
        notes.push(`part ${part.key} does not match the SHA-256 its manifest lists: skipped for alerts; run verify`);
        continue;
      }
      for await (const line of readGzipLines(body)) entries.push(line as unknown as AlertEntry);
    }
    entries.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    yield { manifest: manifests[index]!, entries };
  }
}
