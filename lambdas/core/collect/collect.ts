/**
 * The collector: moves a workspace's archive from its checkpoint (the chain head) up to
 * `until` in closed half-open windows, exactly once per entry id.
 *
 * - Window boundaries are ours: the API is asked with a second of margin on both sides and
 *   only entries with `from <= created_at < to` are kept, so every entry has one home window
 *   whatever the API does with its (undocumented) bound inclusivity.
 * - Crash recovery adopts only what Intercom confirms: parts are named by window start, so a
 *   rerun lists what a dead run left and re-fetches the window; a found part is listed only if
 *   Intercom serves every one of its entries again, identical (canonical JSON). Anything else is
 *   listed under `rejected_parts`, never as data, and its confirmed entries are written again.
 * - A signing run never signs a manifest it did not write: an unsigned head is superseded by a
 *   signed recovery manifest that re-collects from the last signed checkpoint.
 * - An id served again with different content is quarantined and recorded as a conflict.
 * - Late entries: each run re-reads the lookback horizon behind the checkpoint and archives
 *   ids it had not archived into parts marked late, listed by a late manifest.
 *
 * The parts: `openChain` (head, genesis, signing plan), `ChainWriter` (manifests), `RangeFetcher`
 * (API ranges), `archivedState` / `foundParts` (what the archive holds), `WindowFill` (one window),
 * `phases` (recovery, lookback, windows) and `RunCounters`.
 */
import type { ActivityLogSource, ObjectStore } from '../ports.ts';
import { type OpenedChain, openChain } from './openChain.ts';
import { type Recovered, type RunContext, collectLate, collectWindows, recoverUnsigned } from './phases.ts';
import { RangeFetcher } from './RangeFetcher.ts';
import { RunCounters } from './RunCounters.ts';
import { WindowPlanner } from './WindowPlanner.ts';
import { saveDailyRoster } from './roster.ts';
import { type CollectSettings, resolveSettings } from './settings.ts';
import type { CollectResult } from './types.ts';

export { COLLECT_DEFAULTS, type CollectSettings, DAY_SECONDS } from './settings.ts';
export type { CollectObserver, CollectResult, WindowReport } from './types.ts';

/** Runs the collector for one workspace. */
export async function collect(source: ActivityLogSource, store: ObjectStore, settings: CollectSettings): Promise<CollectResult> {
  const s = resolveSettings(settings);
  // Where the chain stands, and whether an unsigned head must be superseded first.
  const opened = await openChain(source, store, s);
  const { chain, checkpointBefore } = opened;
  const origin = chain.origin;
  s.observer.onStart?.({ workspaceId: s.workspaceId, origin, checkpoint: checkpointBefore, until: s.until, newArchive: opened.newArchive });
  const counters = new RunCounters();
  const planner = WindowPlanner.fromHead(s.timeLeft, s.minRangeSeconds, chain.head);
  const fetcher = new RangeFetcher(
    source,
    s,
    counters,
    (from, rangeStart, pending) => !s.shouldStop() && planner.reaches(from, rangeStart, pending),
    () => planner.density,
  );
  try {
    return await collectFrom(
      {
        source,
        store,
        settings: s,
        provenance: { runId: s.runId, collectorVersion: s.collectorVersion, apiHost: source.host, apiVersion: source.apiVersion },
        chain,
        counters,
        fetcher,
        planner,
        lookbackFrom: Math.max(origin, checkpointBefore - s.lookbackSeconds),
      },
      opened,
    );
  } finally {
    // Nothing keeps reading ahead once the run is over, whatever ended it.
    fetcher.close();
  }
}

/** The phases of one run, in order; the result. */
async function collectFrom(run: RunContext, opened: OpenedChain): Promise<CollectResult> {
  const { source, store, settings: s, chain, counters } = run;
  const { recovery, checkpointBefore } = opened;
  const origin = chain.origin;

  // 0. Recovery: re-collect from the last signed checkpoint into a signed manifest that supersedes the unsigned ones.
  const recovered: Recovered = recovery ? await recoverUnsigned(run, opened, recovery) : { superseded: [], accounted: new Set() };
  // Nothing more while unsigned manifests stand unsuperseded: a signed manifest would chain onto them.
  const blocked = recovery !== undefined && recovered.superseded.length === 0;
  // 1. Lookback: re-read the horizon behind the checkpoint for entries that arrived late.
  const late = blocked
    ? { lateManifests: 0, quarantineKeys: new Set<string>() }
    : await collectLate(run, checkpointBefore, recovered.accounted);
  // 2. Windows from the checkpoint to `until`, each closed by one manifest.
  const windows = blocked
    ? { windows: 0, emptyWindows: 0, stoppedEarly: false }
    : await collectWindows(run, recovered.accounted, late.quarantineKeys);
  // 3. Once a day, when caught up: the teammate roster (GET /admins) for access reviews.
  const roster =
    windows.stoppedEarly || blocked
      ? undefined
      : await saveDailyRoster({
          source,
          store,
          workspaceId: s.workspaceId,
          provenance: run.provenance,
          now: s.now(),
          checkpoint: chain.checkpoint,
          onWarning: (message) => s.observer.onWarning?.(message),
          append: (saved) => chain.appendRoster(saved),
        });

  return {
    workspaceId: s.workspaceId,
    origin,
    checkpointBefore,
    checkpoint: chain.checkpoint,
    headSeq: chain.head.manifest.seq,
    windows: windows.windows,
    emptyWindows: windows.emptyWindows,
    lateManifests: late.lateManifests,
    entries: counters.entries,
    lateEntries: counters.lateEntries,
    quarantined: counters.quarantined,
    duplicatesDropped: counters.duplicates,
    partsWritten: counters.partsWritten,
    partsAdopted: counters.partsAdopted,
    partsRejected: counters.partsRejected,
    conflicts: counters.conflicts,
    superseded: recovered.superseded,
    pages: counters.pages,
    newestCreatedAt: counters.newest,
    stoppedEarly: windows.stoppedEarly,
    ...(roster && { rosterTeammates: roster.teammates }),
  };
}
