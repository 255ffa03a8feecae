/**
 * The evaluator's history, kept compact enough to snapshot: what the predicates need and no
 * more — per teammate the addresses seen with their last times (new_ip), the join time
 * (export_by_new_joiner), and the recent times of each burst group's events (burst), each
 * pruned to the longest horizon a rule asks of it.
 *
 * The state is a function of the *set* of entries observed (maxima and sorted time lists), not
 * of the order they came in, so a state restored from a snapshot and one rebuilt from the
 * archive are equal, and so are the alerts computed from them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RuleSet } from './ruleset.ts';

/** What the rules make the state track, and for how long (seconds). */
export interface Tracking {
  /** Longest `new_ip` horizon; 0 = addresses are not tracked. */
  readonly ipSeconds: number;
  /** Longest `export_by_new_joiner` horizon; 0 = joins are not tracked. */
  readonly joinSeconds: number;
  /** Burst group → [longest `hours` of a burst on it, seconds; its activity types]. */
  readonly bursts: ReadonlyMap<string, { readonly seconds: number; readonly types: ReadonlySet<string> }>;
}

export function trackingOf(ruleSet: RuleSet): Tracking {
  let ipSeconds = 0;
  let joinSeconds = 0;
  const bursts = new Map<string, { seconds: number; types: ReadonlySet<string> }>();
  for (const rule of ruleSet.rules) {
    for (const p of rule.when) {
      if ('new_ip' in p) ipSeconds = Math.max(ipSeconds, p.new_ip.days * 86_400);
      if ('export_by_new_joiner' in p) joinSeconds = Math.max(joinSeconds, p.export_by_new_joiner.days * 86_400);
      if ('burst' in p) {
        const seconds = Math.max(bursts.get(p.burst.group)?.seconds ?? 0, p.burst.hours * 3600);
        bursts.set(p.burst.group, { seconds, types: ruleSet.groups.get(p.burst.group) ?? new Set<string>() });
      }
    }
  }
  return { ipSeconds, joinSeconds, bursts };
}

/** SHA-256 of what the state tracks: a snapshot is only reusable under the same tracking. */
export function trackingFingerprint(tracking: Tracking): string {
  const canonical = {
    ip_seconds: tracking.ipSeconds,
    join_seconds: tracking.joinSeconds,
    bursts: [...tracking.bursts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([group, b]) => [group, b.seconds, [...b.types].sort()]),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

const time = z.number().int();
/** Teammate ids, addresses and group names as they appear in entries: arrays, never object keys (no `__proto__` surprises). */
export const serializedStateSchema = z.strictObject({
  max_time: time.nullable(),
  /** [teammate, [[address, last time, last time before that | null], …]] */
  ips: z.array(z.tuple([z.string(), z.array(z.tuple([z.string(), time, time.nullable()]))])),
  /** [teammate, latest join time] */
  joined: z.array(z.tuple([z.string(), time])),
  /** [group, [[teammate, ascending times], …]] */
  bursts: z.array(z.tuple([z.string(), z.array(z.tuple([z.string(), z.array(time)]))])),
});
export type SerializedState = z.infer<typeof serializedStateSchema>;

const byKey = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class CompactState {
  private maxTime: number | null = null;
  /** teammate → address → [last, the last before it] */
  private readonly ips = new Map<string, Map<string, [number, number | null]>>();
  private readonly joined = new Map<string, number>();
  /** group → teammate → ascending times */
  private readonly bursts = new Map<string, Map<string, number[]>>();
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly tracking: Tracking,
    from?: SerializedState,
  ) {
    if (!from) return;
    this.maxTime = from.max_time;
    for (const [who, list] of from.ips) this.ips.set(who, new Map(list.map(([ip, last, before]) => [ip, [last, before]])));
    for (const [who, t] of from.joined) this.joined.set(who, t);
    for (const [group, list] of from.bursts)
      if (tracking.bursts.has(group)) this.bursts.set(group, new Map(list.map(([who, times]) => [who, [...times]])));
    this.prune();
  }

  observe(who: string, t: number, type: string, ip: string | null, provisioned?: string): void {
    this.maxTime = this.maxTime === null ? t : Math.max(this.maxTime, t);
    if (this.tracking.ipSeconds > 0 && ip) {
      const mine = this.ips.get(who) ?? new Map<string, [number, number | null]>();
      const seen = mine.get(ip);
      if (!seen) mine.set(ip, [t, null]);
      else if (t > seen[0]) mine.set(ip, [t, seen[0]]);
      else if (t < seen[0] && (seen[1] === null || t > seen[1])) seen[1] = t;
      this.ips.set(who, mine);
    }
    if (this.tracking.joinSeconds > 0) {
      if (type === 'app_admin_join') this.joined.set(who, Math.max(this.joined.get(who) ?? t, t));
      if (provisioned !== undefined) this.joined.set(provisioned, Math.max(this.joined.get(provisioned) ?? t, t));
    }
    for (const [group, b] of this.tracking.bursts) {
      if (!b.types.has(type)) continue;
      const byWho = this.bursts.get(group) ?? new Map<string, number[]>();
      const times = byWho.get(who) ?? [];
      let i = times.length;
      while (i > 0 && times[i - 1]! > t) i -= 1;
      times.splice(i, 0, t);
      byWho.set(who, times);
      this.bursts.set(group, byWho);
    }
    // Memory stays bounded in long backtests; predicates filter by time, so pruning never changes an answer.
    if (this.maxTime - this.prunedAt > 6 * 3600) this.prune();
  }

  /** Whether `ip` was seen for `who` at a time in [since, before). */
  ipSeen(who: string, ip: string, since: number, before: number): boolean {
    const seen = this.ips.get(who)?.get(ip);
    if (!seen) return false;
    return [seen[0], seen[1]].some((t) => t !== null && t >= since && t < before);
  }

  joinedAt(who: string): number | undefined {
    return this.joined.get(who);
  }

  /** Events of `group` by `who` already observed with a time in (after, upTo]. */
  burstCount(group: string, who: string, after: number, upTo: number): number {
    const times = this.bursts.get(group)?.get(who);
    if (!times) return 0;
    let n = 0;
    for (let i = times.length - 1; i >= 0 && times[i]! > after; i -= 1) if (times[i]! <= upTo) n += 1;
    return n;
  }

  /** Drops what no rule can look back to from the newest entry observed. */
  private prune(): void {
    if (this.maxTime === null) return;
    this.prunedAt = this.maxTime;
    const ipOldest = this.maxTime - this.tracking.ipSeconds;
    for (const [who, mine] of this.ips) {
      for (const [ip, seen] of mine) {
        if (seen[0] < ipOldest) mine.delete(ip);
        else if (seen[1] !== null && seen[1] < ipOldest) seen[1] = null;
      }
      if (mine.size === 0) this.ips.delete(who);
    }
    const joinOldest = this.maxTime - this.tracking.joinSeconds;
    for (const [who, t] of this.joined) if (t < joinOldest) this.joined.delete(who);
    for (const [group, byWho] of this.bursts) {
      const oldest = this.maxTime - (this.tracking.bursts.get(group)?.seconds ?? 0);
      for (const [who, times] of byWho) {
        let drop = 0;
        while (drop < times.length && times[drop]! <= oldest) drop += 1;
        if (drop === times.length) byWho.delete(who);
        else if (drop > 0) times.splice(0, drop);
      }
      if (byWho.size === 0) this.bursts.delete(group);
    }
  }

  /** Canonical form: pruned, every list sorted, so equal histories give byte-identical snapshots. */
  serialize(): SerializedState {
    this.prune();
    return {
      max_time: this.maxTime,
      ips: [...this.ips]
        .map(([who, mine]): [string, [string, number, number | null][]] => [
          who,
          [...mine]
            .map(([ip, [last, before]]): [string, number, number | null] => [ip, last, before])
            .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
        ])
        .sort(byKey),
      joined: [...this.joined].sort(byKey),
      bursts: [...this.bursts]
        .map(([group, byWho]): [string, [string, number[]][]] => [
          group,
          [...byWho].map(([who, times]): [string, number[]] => [who, [...times]]).sort(byKey),
        ])
        .sort(byKey),
    };
  }
}

/**
 * What `current` holds that `base` does not (or holds with other values). Entries only ever leave
 * the state by pruning, which `applyDelta` followed by a load repeats, so
 * `applyDelta(base, stateDelta(base, current))` loads as `current`.
 */
export function stateDelta(base: SerializedState, current: SerializedState): SerializedState {
  const baseIps = new Map(base.ips.map(([who, list]) => [who, new Map(list.map((t) => [t[0], t]))]));
  const baseJoined = new Map(base.joined);
  const baseBursts = new Map(base.bursts.map(([group, list]) => [group, new Map(list)]));
  const sameTimes = (a: number[] | undefined, b: number[]) => a !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);
  return {
    max_time: current.max_time,
    ips: current.ips
      .map(([who, list]): [string, [string, number, number | null][]] => [
        who,
        list.filter(([ip, last, before]) => {
          const was = baseIps.get(who)?.get(ip);
          return !was || was[1] !== last || was[2] !== before;
        }),
      ])
      .filter(([, list]) => list.length > 0),
    joined: current.joined.filter(([who, t]) => baseJoined.get(who) !== t),
    bursts: current.bursts
      .map(([group, list]): [string, [string, number[]][]] => [
        group,
        list.filter(([who, times]) => !sameTimes(baseBursts.get(group)?.get(who), times)),
      ])
      .filter(([, list]) => list.length > 0),
  };
}

/** `base` with `delta`'s entries laid over it (load the result into a CompactState: loading prunes). */
export function applyDelta(base: SerializedState, delta: SerializedState): SerializedState {
  const ips = new Map(base.ips.map(([who, list]) => [who, new Map(list.map((t) => [t[0], t]))]));
  for (const [who, list] of delta.ips) {
    const mine = ips.get(who) ?? new Map<string, [string, number, number | null]>();
    for (const t of list) mine.set(t[0], t);
    ips.set(who, mine);
  }
  const joined = new Map(base.joined);
  for (const [who, t] of delta.joined) joined.set(who, t);
  const bursts = new Map(base.bursts.map(([group, list]) => [group, new Map(list)]));
  for (const [group, list] of delta.bursts) {
    const byWho = bursts.get(group) ?? new Map<string, number[]>();
    for (const [who, times] of list) byWho.set(who, times);
    bursts.set(group, byWho);
  }
  const maxTime =
    base.max_time === null ? delta.max_time : delta.max_time === null ? base.max_time : Math.max(base.max_time, delta.max_time);
  return {
    max_time: maxTime,
    ips: [...ips].map(([who, mine]) => [who, [...mine.values()]]),
    joined: [...joined],
    bursts: [...bursts].map(([group, byWho]) => [group, [...byWho]]),
  };
}
