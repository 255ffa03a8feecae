/**
 * The manifests a report period depends on, per workspace: walked back from the chain head to
 * the first window that starts at or before the range's start (late manifests after it are
 * the only ones that can list parts inside the range). Coverage, exceptions and the unlisted-
 * object check all read this one list, so they agree with each other.
 */
import { type StoredManifest, findHead, readManifest } from '../archive/chain.ts';
import type { ObjectStore } from '../ports.ts';

/** A period as half-open UNIX seconds, from the pack's inclusive `start_date`/`end_date`. */
export interface PeriodRange {
  readonly start_date: string;
  readonly end_date: string;
  /** First second of start_date, UTC. */
  readonly from: number;
  /** First second after end_date, UTC. */
  readonly to: number;
}

export function periodRange(period: { start_date: string; end_date: string }): PeriodRange {
  return {
    ...period,
    from: Date.parse(`${period.start_date}T00:00:00Z`) / 1000,
    to: Date.parse(`${period.end_date}T00:00:00Z`) / 1000 + 86_400,
  };
}

export interface PeriodChain {
  readonly workspaceId: string;
  readonly head: StoredManifest | undefined;
  /** Where the archive starts (genesis `from`). */
  readonly origin: number | undefined;
  /** Manifests from the stopping window up to the head, in seq order. */
  readonly manifests: readonly StoredManifest[];
  /** Seqs a recovery manifest supersedes: their claims carry no weight. */
  readonly superseded: ReadonlySet<number>;
}

/** Kinds whose `[from, to)` is covered contiguously (window; recovery manifests of manifest v2). */
export const COVERING_KINDS: ReadonlySet<string> = new Set(['window', 'recovery']);

/** Fields a newer manifest format may carry; read loosely so v1 archives read the same. */
export function manifestExtras(stored: StoredManifest): {
  supersedes: { seq: number }[];
  conflicts: Record<string, unknown>[];
  rejected_parts: Record<string, unknown>[];
} {
  const m = stored.manifest as unknown as Record<string, unknown>;
  const list = (value: unknown) =>
    Array.isArray(value) ? value.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
  return {
    supersedes: list(m.supersedes).filter((s) => typeof s.seq === 'number') as unknown as { seq: number }[],
    conflicts: list(m.conflicts),
    rejected_parts: list(m.rejected_parts),
  };
}

/** Reads each workspace's manifests back from its head until a covering window starts at or before `readFrom`. */
export async function readPeriodChains(
  store: ObjectStore,
  workspaceIds: readonly string[],
  readFrom: number,
  /** Start at these heads instead of the chains' current heads (re-performing a pack). */
  upTo?: readonly { readonly workspaceId: string; readonly seq: number }[],
): Promise<PeriodChain[]> {
  const chains: PeriodChain[] = [];
  for (const workspaceId of workspaceIds) {
    const recorded = upTo?.find((h) => h.workspaceId === workspaceId);
    const head = recorded ? await readManifest(store, workspaceId, recorded.seq) : await findHead(store, workspaceId);
    const manifests: StoredManifest[] = [];
    const superseded = new Set<number>();
    let current = head;
    while (current) {
      manifests.push(current);
      for (const s of manifestExtras(current).supersedes) superseded.add(s.seq);
      const m = current.manifest;
      if (m.kind === 'genesis' || (COVERING_KINDS.has(m.kind) && m.from <= readFrom && !superseded.has(m.seq))) break;
      current = m.seq > 0 ? await readManifest(store, workspaceId, m.seq - 1) : undefined;
    }
    manifests.reverse();
    chains.push({ workspaceId, head, origin: head?.manifest.origin, manifests, superseded });
  }
  return chains;
}
