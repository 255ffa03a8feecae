/**
 * The roster snapshots a pack or a query may read: only those a `roster` manifest in the walked
 * chain lists, and only while their bytes still hash to what that manifest says. Anything else
 * under rosters/ is never read (the pack discloses it).
 */
import { sha256Hex } from '../archive/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import type { PeriodChain } from './periodChains.ts';

export interface RosterSnapshot {
  readonly workspace_id: string;
  readonly dt: string;
  readonly key: string;
  readonly teammates: number;
  readonly manifest_seq: number;
}

export interface ChainRosters {
  /** Chain-listed snapshots whose bytes match their manifest, oldest first. */
  readonly snapshots: RosterSnapshot[];
  /** Listed snapshots whose bytes no longer match (or that are gone): never read. */
  readonly altered: { workspace_id: string; manifest_seq: number; key: string; sha256: string | null; reason: string }[];
}

export async function chainRosters(store: ObjectStore, chains: readonly PeriodChain[]): Promise<ChainRosters> {
  const snapshots: RosterSnapshot[] = [];
  const altered: ChainRosters['altered'] = [];
  for (const chain of chains) {
    for (const { manifest } of chain.manifests) {
      const roster = manifest.roster;
      if (manifest.kind !== 'roster' || !roster || chain.superseded.has(manifest.seq)) continue;
      const body = await store.get(roster.key).catch(() => undefined);
      const sha = body ? sha256Hex(body) : null;
      if (sha !== roster.sha256) {
        altered.push({
          workspace_id: chain.workspaceId,
          manifest_seq: manifest.seq,
          key: roster.key,
          sha256: sha,
          reason: body
            ? `roster changed after manifest ${manifest.seq} listed it (SHA-256 ${roster.sha256}); not read`
            : `roster listed by manifest ${manifest.seq} is missing`,
        });
        continue;
      }
      snapshots.push({
        workspace_id: chain.workspaceId,
        dt: roster.dt,
        key: roster.key,
        teammates: roster.teammates,
        manifest_seq: manifest.seq,
      });
    }
  }
  return { snapshots, altered };
}

/** Per workspace, the newest snapshot inside the period (what the access review SQL reads). */
export function snapshotsAtPeriodEnd(
  rosters: ChainRosters,
  workspaceIds: readonly string[],
  period: { start_date: string; end_date: string },
) {
  const latest = new Map<string, RosterSnapshot>();
  for (const s of rosters.snapshots) {
    if (s.dt < period.start_date || s.dt > period.end_date) continue;
    const current = latest.get(s.workspace_id);
    if (!current || s.dt > current.dt) latest.set(s.workspace_id, s);
  }
  return {
    snapshots: [...latest.values()].map((s) => ({ workspace_id: s.workspace_id, date: s.dt })),
    withoutSnapshot: workspaceIds.filter((w) => !latest.has(w)),
  };
}
