/**
 * The evaluator state the last collector run left behind, for an evaluation outside a collect
 * run (the webhook receiver): the latest alerts watermark and the snapshot it names, each used
 * only once its link to the chain verifies (the same checks as liveAlerts.ts), and the state
 * rebuilt as the snapshot plus the watermark's changes — the history through the chain head.
 * Anything that does not verify gives no state, never a guessed one.
 */
import { findHead } from '../archive/chain.ts';
import type { CheckpointCache, ObjectStore } from '../ports.ts';
import { latestWatermark, readSnapshot } from './alertState.ts';
import { ChainWalk } from './chainWalk.ts';
import type { RuleSet } from './ruleset.ts';
import { type SerializedState, applyDelta, trackingFingerprint, trackingOf } from './state.ts';

export interface TrustedState {
  /** The evaluator's history through manifest `seq`; undefined when no record verifies. */
  readonly state?: SerializedState;
  readonly seq: number | null;
  /** Why no state could be used, for the operator. */
  readonly notes: readonly string[];
}

/** `headHint` (an in-memory hint kept by a long-lived receiver) makes finding the head a few HEAD requests. */
export async function trustedAlertState(
  store: ObjectStore,
  ruleSet: RuleSet,
  workspaceId: string,
  headHint?: CheckpointCache,
): Promise<TrustedState> {
  const head = await findHead(store, workspaceId, headHint);
  if (head) await headHint?.set(workspaceId, head.manifest.seq);
  if (!head) return { seq: null, notes: [`workspace ${workspaceId} has no manifest chain yet`] };
  const chain = new ChainWalk(store, head);
  const candidate = await latestWatermark(store, workspaceId, head.manifest.seq);
  const watermark = candidate?.record;
  if (!candidate || !watermark) return { seq: null, notes: [candidate?.problem ?? 'no alerts watermark yet'] };
  if ((await chain.sha256Of(watermark.seq)) !== watermark.manifest_sha256)
    return { seq: null, notes: [`alerts watermark ${candidate.key}: its link to the chain does not verify`] };
  const ref = watermark.snapshot;
  if (!ref) return { seq: null, notes: [`alerts watermark ${candidate.key} names no state snapshot`] };
  const snap = await readSnapshot(store, workspaceId, ref);
  const s = snap.record;
  const problem =
    snap.problem ??
    (s!.tracking_sha256 !== trackingFingerprint(trackingOf(ruleSet))
      ? 'it was computed for other rules'
      : s!.seq > watermark.seq
        ? `it names manifest ${s!.seq}, after the watermark ${watermark.seq}`
        : (await chain.sha256Of(s!.seq)) !== s!.manifest_sha256
          ? 'its link to the chain does not verify'
          : undefined);
  if (problem) return { seq: null, notes: [`alert state snapshot ${ref.key}: ${problem}`] };
  if (watermark.state_delta) return { state: applyDelta(s!.state, watermark.state_delta), seq: watermark.seq, notes: [] };
  if (s!.seq === watermark.seq) return { state: s!.state, seq: s!.seq, notes: [] };
  return { seq: null, notes: [`alerts watermark ${candidate.key} carries no state changes since its snapshot`] };
}
