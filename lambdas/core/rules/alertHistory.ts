/**
 * Where live alerts pick up: the watermark and the snapshot it names, each trusted only once its
 * link to the chain checks out (a forged or stale record cannot silence an alert), and the
 * manifest the evaluator's history starts from.
 */
import type { ObjectStore } from '../ports.ts';
import { type Snapshot, type Watermark, latestWatermark, readSnapshot } from './alertState.ts';
import type { ChainWalk } from './chainWalk.ts';
import type { RuleSet } from './ruleset.ts';
import { type SerializedState, applyDelta } from './state.ts';

/** The latest watermark, trusted only once its link to the chain checks out. */
export async function trustedWatermark(
  store: ObjectStore,
  chain: ChainWalk,
  workspaceId: string,
  headSeq: number,
  notes: string[],
): Promise<Watermark | undefined> {
  const candidate = await latestWatermark(store, workspaceId, headSeq);
  if (!candidate) return undefined;
  const w = candidate.record;
  const problem =
    candidate.problem ??
    ((await chain.sha256Of(w!.seq)) !== w!.manifest_sha256
      ? `its link to the chain does not verify (manifest ${w!.seq} does not have the SHA-256 it names)`
      : undefined);
  if (!problem) return w;
  notes.push(
    `alerts watermark ${candidate.key} ignored: ${problem}; every entry within the max age is evaluated again (the sent records stop repeats)`,
  );
  return undefined;
}

export interface SnapshotBase {
  readonly snapshot: Snapshot | undefined;
  /** The snapshot the watermark names, or null when there is none or it was ignored. */
  readonly ref: Watermark['snapshot'];
  readonly ignored: string | null;
}

/** The snapshot the watermark names, trusted only for these rules, at or before the watermark, and linked to the chain. */
export async function trustedSnapshot(
  store: ObjectStore,
  chain: ChainWalk,
  workspaceId: string,
  watermark: Watermark | undefined,
  trackingSha: string,
  notes: string[],
): Promise<SnapshotBase> {
  const ref = watermark?.snapshot ?? null;
  if (!ref) return { snapshot: undefined, ref, ignored: null };
  const candidate = await readSnapshot(store, workspaceId, ref);
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
  if (!problem) return { snapshot: s, ref, ignored: null };
  const ignored = `${ref.key}: ${problem}`;
  notes.push(`alert state snapshot ${ignored}; ignored, the state is rebuilt from the archive`);
  return { snapshot: undefined, ref: null, ignored };
}

/**
 * Where the history starts: the watermark's state (the snapshot plus its changes), the
 * snapshot, or — neither usable — far enough back for the rules' horizon.
 */
export async function historyStart(
  chain: ChainWalk,
  snapshot: Snapshot | undefined,
  watermark: Watermark | undefined,
  emitFrom: number | null,
  cutoff: number,
  ruleSet: RuleSet,
): Promise<{ seq: number; state: SerializedState | undefined }> {
  if (snapshot && watermark?.state_delta) return { seq: watermark.seq + 1, state: applyDelta(snapshot.state, watermark.state_delta) };
  if (snapshot) return { seq: snapshot.seq + 1, state: snapshot.state };
  // The earliest entry that will be evaluated: late manifests reach back behind their window.
  let earliest = emitFrom === null ? cutoff : Number.POSITIVE_INFINITY;
  if (emitFrom !== null) {
    for (const m of await chain.ascendingFrom(emitFrom)) earliest = Math.min(earliest, m.manifest.from);
  }
  const historyFrom = earliest - ruleSet.horizonSeconds;
  const seq = await chain.readBackUntil((m) => m.manifest.kind === 'window' && m.manifest.from <= historyFrom);
  return { seq, state: undefined };
}
