/**
 * What a pack's CSVs do not show, stated beside them: quarantined entries (from the quarantine
 * parts the chain lists), conflicting and rejected parts recorded by manifests, objects in the
 * period no manifest lists (never read, disclosed), activity types outside every query group,
 * and look-backs that reach before the archive's origin.
 */
import { DATA_ROOT, QUARANTINE_ROOT, ROSTER_ROOT, parsePartKey, utcDate } from '../archive/keys.ts';
import { readGzipLines } from '../archive/lines.ts';
import { iso } from '../archive/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import type { CannedQuery } from '../queries/catalog.ts';
import { ACTIVITY_GROUPS } from '../queries/groups.ts';
import { COVERING_KINDS, type PeriodChain, type PeriodRange, manifestExtras } from './periodChains.ts';
import type { Population } from './population.ts';
import type { ChainRosters } from './rosters.ts';
import { webhookUnmatchedInPeriod } from '../webhook/reconcile.ts';

export interface QuarantinedException {
  readonly time: string | null;
  readonly workspace_id: string;
  readonly reason: string;
  readonly id: string | null;
  readonly part: string;
}

export interface Exceptions {
  readonly quarantined: QuarantinedException[];
  /** As the manifests record them (`{ id, archived_sha256, served_sha256, archived_part, quarantine_part }`), plus where. */
  readonly conflicts: Record<string, unknown>[];
  /** As the manifests record them (`{ key, sha256, lines, confirmed, unconfirmed, reason }`), plus where. */
  readonly rejected_parts: Record<string, unknown>[];
  readonly unlisted_objects: { key: string }[];
  readonly ungrouped_types: { activity_type: string; count: number }[];
  readonly lookback_before_origin: { query: string; needs_from: string; origin: string; workspace_id: string }[];
  /** Ids the webhook received in the period that the poll never archived (webhook/reconcile.ts): gaps in what the API served. */
  readonly webhook_unmatched: { id: string; received_at: string; workspace_id: string }[];
}

const GROUPED: ReadonlySet<string> = new Set(Object.values(ACTIVITY_GROUPS).flat());

const overlaps = (m: { from: number; to: number }, from: number, to: number) =>
  m.from < to && (m.to > from || (m.to === m.from && m.from >= from));

/** Objects in the days the pack reads that no manifest lists are never read: disclosed here. */
async function unlistedObjects(
  store: ObjectStore,
  workspaceId: string,
  listed: ReadonlySet<string>,
  readFrom: number,
  endDate: string,
): Promise<{ key: string }[]> {
  const unlisted: { key: string }[] = [];
  for (const root of [DATA_ROOT, QUARANTINE_ROOT, ROSTER_ROOT]) {
    const prefix = `${root}workspace=${workspaceId}/`;
    for await (const object of store.list(prefix, { startAfter: `${prefix}dt=${utcDate(readFrom)}/` })) {
      const dt = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(object.key)?.[1];
      if (dt !== undefined && dt > endDate) break;
      if (!listed.has(object.key)) unlisted.push({ key: object.key });
    }
  }
  return unlisted;
}

/** Queries whose look-back reaches before the chain's first day. */
function lookbackGaps(queries: readonly CannedQuery[], chain: PeriodChain, from: number): Exceptions['lookback_before_origin'] {
  const gaps: Exceptions['lookback_before_origin'] = [];
  for (const query of queries) {
    if (!query.lookbackDays || chain.origin === undefined) continue;
    const needsFrom = from - query.lookbackDays * 86_400;
    if (needsFrom < chain.origin)
      gaps.push({ query: query.name, needs_from: iso(needsFrom), origin: iso(chain.origin), workspace_id: chain.workspaceId });
  }
  return gaps;
}

/** A listed roster whose bytes changed is never read: disclosed in the rejected parts' shape. */
function alteredRosters(rosters: ChainRosters | undefined, readFrom: number): Record<string, unknown>[] {
  return (rosters?.altered ?? [])
    .filter((a) => a.key.slice(a.key.indexOf('/dt=') + 4, a.key.indexOf('/dt=') + 14) >= utcDate(readFrom))
    .map((a) => ({
      key: a.key,
      sha256: a.sha256,
      lines: null,
      confirmed: 0,
      unconfirmed: null,
      reason: a.reason,
      workspace_id: a.workspace_id,
      manifest_seq: a.manifest_seq,
    }));
}

/** Everything the period's CSVs leave out, for the pack's manifest and summary. */
export async function collectExceptions(options: {
  readonly store: ObjectStore;
  readonly chains: readonly PeriodChain[];
  readonly period: PeriodRange;
  /** The days the pack reads (the period and its look-back). */
  readonly readFrom: number;
  readonly queries: readonly CannedQuery[];
  readonly population: Population;
  readonly rosters?: ChainRosters;
}): Promise<Exceptions> {
  const { store, chains, period, readFrom } = options;
  const quarantined: QuarantinedException[] = [];
  const conflicts: Record<string, unknown>[] = [];
  const rejected: Record<string, unknown>[] = [];
  const unlisted: { key: string }[] = [];
  const lookback: Exceptions['lookback_before_origin'] = [];

  for (const chain of chains) {
    const listed = new Set<string>();
    for (const stored of chain.manifests) {
      const m = stored.manifest;
      if (chain.superseded.has(m.seq)) continue;
      const extras = manifestExtras(stored);
      for (const part of [...m.parts, ...m.quarantine]) listed.add(part.key);
      if (m.roster) listed.add(m.roster.key);
      const where = { workspace_id: chain.workspaceId, manifest_seq: m.seq };
      const inPeriod = overlaps(m, period.from, period.to);
      if (inPeriod) for (const c of extras.conflicts) conflicts.push({ ...c, ...where });
      for (const r of extras.rejected_parts) {
        if (typeof r.key === 'string') listed.add(r.key);
        const dt = typeof r.key === 'string' ? parsePartKey(r.key)?.dt : undefined;
        if (dt !== undefined ? dt >= utcDate(readFrom) && dt <= period.end_date : inPeriod || !COVERING_KINDS.has(m.kind))
          rejected.push({ ...r, ...where });
      }
      if (!inPeriod) continue;
      for (const part of m.quarantine) {
        for await (const line of readGzipLines(await store.get(part.key))) {
          const createdAt = typeof line.created_at === 'number' ? line.created_at : null;
          // An entry without a readable time belongs to the window that holds it.
          if (createdAt !== null && (createdAt < period.from || createdAt >= period.to)) continue;
          quarantined.push({
            time: createdAt === null ? null : iso(createdAt),
            workspace_id: chain.workspaceId,
            reason: String(line.reason ?? ''),
            id: typeof line.id === 'string' ? line.id : null,
            part: part.key,
          });
        }
      }
    }
    unlisted.push(...(await unlistedObjects(store, chain.workspaceId, listed, readFrom, period.end_date)));
    lookback.push(...lookbackGaps(options.queries, chain, period.from));
  }
  rejected.push(...alteredRosters(options.rosters, readFrom));
  const ungrouped = options.population.by_activity_type
    .filter((t) => !GROUPED.has(t.activity_type))
    .map((t) => ({ activity_type: t.activity_type, count: t.count }));
  ungrouped.sort((a, b) => b.count - a.count || (a.activity_type < b.activity_type ? -1 : 1));
  quarantined.sort(
    (a, b) =>
      (a.time ?? '').localeCompare(b.time ?? '') ||
      a.workspace_id.localeCompare(b.workspace_id) ||
      (a.id ?? '').localeCompare(b.id ?? '') ||
      a.part.localeCompare(b.part),
  );
  return {
    quarantined,
    conflicts,
    rejected_parts: rejected,
    unlisted_objects: unlisted,
    ungrouped_types: ungrouped,
    lookback_before_origin: lookback,
    webhook_unmatched: await webhookUnmatchedInPeriod(
      store,
      chains.map((c) => c.workspaceId),
      period,
    ),
  };
}
