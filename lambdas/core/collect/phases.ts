/**
 * The three phases of a run, each closing what it fills into one manifest: the recovery of an
 * unsigned head, the lookback re-read for late entries, and the windows up to `until`.
 */
import type { ActivityLogSource, ObjectStore } from '../ports.ts';
import type { Provenance } from '../archive/columns.ts';
import { type PartKind, parsePartKey } from '../archive/keys.ts';
import { iso } from '../archive/manifest.ts';
import type { RecoveryPlan } from '../signing/recovery.ts';
import { archivedIn, emptyArchivedState, quarantineKeysIn, rejectSupersededParts } from './archivedState.ts';
import type { ChainWriter } from './ChainWriter.ts';
import { type Adopted, findUnlistedParts } from './foundParts.ts';
import type { OpenedChain } from './openChain.ts';
import type { RangeFetcher } from './RangeFetcher.ts';
import type { RunCounters } from './RunCounters.ts';
import { SeenSet } from './SeenSet.ts';
import { type ResolvedSettings, latestEnd } from './settings.ts';
import { type Filled, WindowFill } from './WindowFiller.ts';

/** What every phase of one run shares. */
export interface RunContext {
  readonly source: ActivityLogSource;
  readonly store: ObjectStore;
  readonly settings: ResolvedSettings;
  readonly provenance: Provenance;
  readonly chain: ChainWriter;
  readonly counters: RunCounters;
  readonly fetcher: RangeFetcher;
  /** Where this run's lookback starts: the horizon behind the checkpoint it started from. */
  readonly lookbackFrom: number;
}

function fill(run: RunContext, kind: PartKind, from: number, to: number, seen: SeenSet, adopted: Adopted): Promise<Filled> {
  return new WindowFill(run, kind, from, to, seen, adopted).run();
}

function unlisted(run: RunContext, start: number, kind: PartKind, skip: ReadonlySet<string>): Promise<Adopted> {
  return findUnlistedParts(run.store, run.settings.workspaceId, start, kind, skip);
}

export interface Recovered {
  /** Seqs of the unsigned manifests the recovery manifest superseded (none when nothing could be re-collected). */
  readonly superseded: number[];
  /** Keys rejected up front: no later window of the run adopts them. */
  readonly accounted: Set<string>;
}

/**
 * An unsigned head is superseded by a signed manifest that re-collects from the last signed
 * checkpoint, adopting only what Intercom confirms.
 */
export async function recoverUnsigned(run: RunContext, opened: OpenedChain, recovery: RecoveryPlan): Promise<Recovered> {
  const { settings } = run;
  const from = opened.checkpointBefore;
  const to = Math.min(from + settings.windowSeconds, latestEnd(settings));
  if (to <= from) {
    settings.observer.onWarning?.(
      `nothing to re-collect up to ${iso(latestEnd(settings))}: the unsigned manifests stay unsigned until a run can collect past ${iso(from)}`,
    );
    return { superseded: [], accounted: new Set() };
  }
  const known = opened.trustedHead ? await archivedIn(run.store, opened.trustedHead, from, to) : emptyArchivedState();
  // Parts the superseded manifests list elsewhere than at this recovery's start (or the
  // lookback's) cannot be re-observed: they are rejected now, so no later window adopts them.
  const rejected = await rejectSupersededParts(run.store, recovery.superseded, (key) => {
    const parsed = parsePartKey(key);
    return (
      parsed !== undefined &&
      ((parsed.kind === 'part' && parsed.windowStart === from) || (parsed.kind === 'late' && parsed.windowStart === run.lookbackFrom))
    );
  });
  for (const r of rejected) known.listed.add(r.key);
  settings.observer.onWindowStart?.({ kind: 'recovery', from, to });
  const adopted = await unlisted(run, from, 'part', known.listed);
  const filled = await fill(run, 'part', from, to, known.seen, adopted);
  await run.chain.closeWindow('recovery', from, to, filled, { supersedes: recovery.superseded, rejected });
  return { superseded: recovery.superseded.map((m) => m.manifest.seq), accounted: new Set(rejected.map((r) => r.key)) };
}

export interface LateOutcome {
  readonly lateManifests: number;
  /** Quarantine keys just behind the checkpoint: entries without a readable time can come back in the next window's margin. */
  readonly quarantineKeys: ReadonlySet<string>;
}

/** Re-reads the horizon behind the checkpoint for entries that arrived late; a late manifest only when it found something. */
export async function collectLate(run: RunContext, checkpointBefore: number, accounted: ReadonlySet<string>): Promise<LateOutcome> {
  const { settings, chain } = run;
  const from = run.lookbackFrom;
  const to = checkpointBefore;
  if (!(settings.lookbackSeconds > 0) || from >= to || settings.shouldStop()) return { lateManifests: 0, quarantineKeys: new Set() };
  settings.observer.onWindowStart?.({ kind: 'late', from, to });
  const known = await archivedIn(run.store, chain.head, from, to);
  for (const key of accounted) known.listed.add(key);
  const adopted = await unlisted(run, from, 'late', known.listed);
  const filled = await fill(run, 'late', from, to, known.seen, adopted);
  // The keys as read from the archive plus those this lookback quarantined.
  const quarantineKeys = known.seen.quarantineKeys;
  if (filled.parts.length + filled.quarantineParts.length + filled.rejected.length + filled.conflicts.length === 0)
    return { lateManifests: 0, quarantineKeys };
  await chain.closeWindow('late', from, to, filled);
  return { lateManifests: 1, quarantineKeys };
}

export interface WindowsOutcome {
  readonly windows: number;
  readonly emptyWindows: number;
  /** true when shouldStop() ended the run before `until`. */
  readonly stoppedEarly: boolean;
}

/** Closes windows from the checkpoint up to `until` (or now), each at most `windowSeconds` long. */
export async function collectWindows(
  run: RunContext,
  accounted: ReadonlySet<string>,
  carried: ReadonlySet<string>,
): Promise<WindowsOutcome> {
  const { settings, chain } = run;
  let windows = 0;
  let emptyWindows = 0;
  let previousQuarantineKeys = carried.size === 0 ? await quarantineKeysIn(run.store, chain.head.manifest.quarantine) : carried;
  while (chain.checkpoint < latestEnd(settings)) {
    if (settings.shouldStop()) return { windows, emptyWindows, stoppedEarly: true };
    const from = chain.checkpoint;
    let to = Math.min(from + settings.windowSeconds, latestEnd(settings));
    // Quarantined entries without a readable time can come back in the next window's margin.
    const seen = SeenSet.carrying(previousQuarantineKeys);
    const adopted = await unlisted(run, from, 'part', accounted);
    // A dead run may have used a longer window: cover what it wrote, but never past `until` or now.
    if (adopted.maxCreatedAt !== null && adopted.maxCreatedAt >= to) to = Math.min(adopted.maxCreatedAt + 1, latestEnd(settings));
    settings.observer.onWindowStart?.({ kind: 'window', from, to });
    const filled = await fill(run, 'part', from, to, seen, adopted);
    const head = await chain.closeWindow('window', from, to, filled);
    windows += 1;
    if (head.manifest.records === 0) emptyWindows += 1;
    previousQuarantineKeys = seen.quarantineKeys;
  }
  return { windows, emptyWindows, stoppedEarly: false };
}
