/**
 * A deterministic synthetic Intercom workspace.
 *
 * History is a pure function of (seed, hour): every hour since `historyStart` has its own
 * seeded generator, so any run — today or next week — sees the same past plus whatever is
 * new, and tests can compute the ground truth for any range without a server.
 */
import { KNOWN_ACTIVITY_TYPES } from '../lambdas/core/intercom/activityTypes.ts';
import { FIRST_NAMES, LAST_NAMES, ROSTER_ONLY_TYPES, TYPE_WEIGHTS, UNKNOWN_TYPES } from './datasetTables.ts';
import { hash32, mulberry32, uuidFrom } from './seeded.ts';
import { metadataFor } from './entryMetadata.ts';

export { UNKNOWN_TYPES } from './datasetTables.ts';
export { idFraction, mulberry32 } from './seeded.ts';

export type RawEntry = {
  id: string;
  performed_by: { type: string; id: string; email: string; ip: string };
  metadata: Record<string, unknown> | null;
  created_at: number;
  activity_type: string;
  activity_description: string;
};

export interface DatasetOptions {
  /** @default 1 */
  readonly seed?: number;
  /** First second with activity. @default 2025-01-01T00:00:00Z */
  readonly historyStart?: number;
  /** Average entries per day (weekday office hours are busier). @default 400 */
  readonly entriesPerDay?: number;
  /** @default 'sim-acme' */
  readonly workspaceId?: string;
  /** Teammates on the roster over the years: veterans plus one joiner every 11 days. @default 200 */
  readonly teammates?: number;
  /** Teammates already there when history starts. @default 30 */
  readonly veterans?: number;
  /** Entries in the weekly bulk-update second (over 250 tests pagination inside one second). @default 300 */
  readonly burstSize?: number;
  /** Hours between bulk updates, counted from history start (first at hour 37). @default 168 */
  readonly burstEveryHours?: number;
}

export interface Teammate {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly ips: readonly string[];
  /** When they joined (may be before history starts). */
  readonly joinedAt: number;
  readonly leftAt?: number;
  readonly joinedVia: 'invite' | 'scim';
}

const HOUR = 3600;
const DAY = 86_400;
export class SimulatedWorkspace {
  readonly seed: number;
  readonly historyStart: number;
  readonly entriesPerDay: number;
  readonly workspaceId: string;
  readonly burstSize: number;
  readonly burstEveryHours: number;
  readonly teammates: readonly Teammate[];
  private readonly scheduled: RawEntry[];
  private readonly typeTable: { type: string; cumulative: number }[];
  private readonly hourCache = new Map<number, RawEntry[]>();

  constructor(options: DatasetOptions = {}) {
    this.seed = options.seed ?? 1;
    this.historyStart = options.historyStart ?? Date.UTC(2025, 0, 1) / 1000;
    this.entriesPerDay = options.entriesPerDay ?? 400;
    this.workspaceId = options.workspaceId ?? 'sim-acme';
    this.burstSize = options.burstSize ?? 300;
    this.burstEveryHours = Math.max(38, options.burstEveryHours ?? 168);
    this.teammates = this.buildRoster(Math.min(240, options.teammates ?? 200), options.veterans ?? 30);
    this.scheduled = this.buildLifecycleEvents();
    let total = 0;
    this.typeTable = [...KNOWN_ACTIVITY_TYPES, ...UNKNOWN_TYPES]
      .filter((type) => !ROSTER_ONLY_TYPES.has(type))
      .map((type) => {
        total += TYPE_WEIGHTS[type] ?? (UNKNOWN_TYPES.includes(type) ? 0.05 : 0.12);
        return { type, cumulative: total };
      });
    for (const row of this.typeTable) row.cumulative /= total;
  }

  /** Every entry with `from <= created_at <= to` (inclusive, like the simulated API), ordered by time then id. */
  entriesBetween(from: number, to: number): RawEntry[] {
    const out: RawEntry[] = [];
    if (to < from) return out;
    const firstHour = Math.floor(Math.max(from, this.historyStart) / HOUR);
    const lastHour = Math.floor(to / HOUR);
    for (let hour = firstHour; hour <= lastHour; hour++) {
      for (const entry of this.hour(hour)) {
        if (entry.created_at >= from && entry.created_at <= to) out.push(entry);
      }
    }
    return out;
  }

  /** GET /admins at `at`: every teammate who has joined and is not deprovisioned, as Intercom shapes an admin. */
  adminsAt(at: number): Record<string, unknown>[] {
    return this.teammates
      .filter((t) => t.joinedAt <= at && (t.leftAt === undefined || t.leftAt > at))
      .map((t) => ({
        type: 'admin',
        id: t.id,
        name: t.name,
        email: t.email,
        email_verified: true,
        job_title: null,
        away_mode_enabled: false,
        away_mode_reassign: false,
        has_inbox_seat: t.index % 5 !== 4,
        team_ids: [],
      }));
  }

  /** The seconds that hold a bulk update (more than 250 entries) in [from, to). */
  burstSeconds(from: number, to: number): number[] {
    const first = Math.floor(this.historyStart / HOUR) + 37;
    const out: number[] = [];
    for (let hour = first; hour * HOUR < to; hour += this.burstEveryHours) {
      const second = hour * HOUR + 1234;
      if (second >= from && second < to) out.push(second);
    }
    return out;
  }

  /** Entries of one UTC hour, cached briefly (a small FIFO keeps memory flat over long backfills). */
  hour(hour: number): RawEntry[] {
    const cached = this.hourCache.get(hour);
    if (cached) return cached;
    const entries = this.generateHour(hour);
    this.hourCache.set(hour, entries);
    if (this.hourCache.size > 48) this.hourCache.delete(this.hourCache.keys().next().value as number);
    return entries;
  }

  private generateHour(hour: number): RawEntry[] {
    const start = hour * HOUR;
    if (start + HOUR <= this.historyStart) return [];
    const rng = mulberry32(hash32(this.seed, 'hour', hour));
    const date = new Date(start * 1000);
    const weekday = date.getUTCDay() >= 1 && date.getUTCDay() <= 5;
    const office = weekday && date.getUTCHours() >= 8 && date.getUTCHours() < 18;
    const weight = (office ? 2 : 0.4) / 0.876;
    const mean = (this.entriesPerDay / 24) * weight;
    const count = Math.floor(mean * (0.5 + rng()));
    const entries: RawEntry[] = [];
    const active = this.teammates.filter((t) => t.joinedAt <= start && (t.leftAt === undefined || t.leftAt > start + HOUR));
    for (let i = 0; i < count && active.length > 0; i++) {
      const createdAt = start + Math.floor(rng() * HOUR);
      if (createdAt < this.historyStart) continue;
      const teammate = active[Math.floor(rng() * active.length)]!;
      const type = this.pickType(rng());
      entries.push(this.makeEntry(uuidFrom(this.seed, hour, i), createdAt, type, teammate, rng, active));
    }
    // A weekly bulk team update puts more than 250 entries into a single second.
    const weekHour = hour - Math.floor(this.historyStart / HOUR);
    if (weekHour % this.burstEveryHours === 37) {
      const second = start + 1234;
      const owner = this.teammates[0]!;
      for (let i = 0; i < this.burstSize; i++) {
        const subject = active.length ? active[i % active.length]! : owner;
        entries.push({
          ...this.makeEntry(uuidFrom(this.seed, hour, 'burst', i), second, 'app_team_membership_modification', owner, rng),
          metadata: {
            team: { id: 4000 + (i % 7), name: `Team ${i % 7}` },
            teammate: { id: subject.id, email: subject.email },
            change: 'added',
          },
        });
      }
    }
    // About once a month somebody exports in a hurry: eight exports within half an hour.
    if (weekHour % 701 === 300 && active.length > 0) {
      const spree = active[Math.floor(rng() * active.length)]!;
      for (let i = 0; i < 8; i++)
        entries.push(this.makeEntry(uuidFrom(this.seed, hour, 'spree', i), start + 600 + i * 180, 'bulk_export', spree, rng, active));
    }
    for (const entry of this.scheduled) {
      if (entry.created_at >= start && entry.created_at < start + HOUR) entries.push(entry);
    }
    entries.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return entries;
  }

  private pickType(x: number): string {
    let lo = 0;
    let hi = this.typeTable.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.typeTable[mid]!.cumulative < x) lo = mid + 1;
      else hi = mid;
    }
    return this.typeTable[lo]!.type;
  }

  private makeEntry(
    id: string,
    createdAt: number,
    type: string,
    teammate: Teammate,
    rng: () => number,
    colleagues: readonly Teammate[] = this.teammates,
  ): RawEntry {
    // 3% of sessions come from an address the teammate has not used before.
    const ip = rng() < 0.03 ? `203.0.113.${1 + Math.floor(rng() * 250)}` : teammate.ips[Math.floor(rng() * teammate.ips.length)]!;
    return {
      id,
      performed_by: { type: 'admin', id: teammate.id, email: teammate.email, ip },
      metadata: metadataFor(type, rng, colleagues),
      created_at: createdAt,
      activity_type: type,
      activity_description: `${teammate.name} ${type.replace(/_/g, ' ')}.`,
    };
  }

  private buildRoster(size: number, veterans: number): Teammate[] {
    return Array.from({ length: size }, (_, index) => {
      const rng = mulberry32(hash32(this.seed, 'teammate', index));
      const first = FIRST_NAMES[index % FIRST_NAMES.length]!;
      const last = LAST_NAMES[Math.floor(rng() * LAST_NAMES.length)]!;
      const veteran = index < veterans;
      // Hiring goes on for years, so any quarter of history has invites, joins and leavers.
      const joinedAt = veteran
        ? this.historyStart - (30 + index * 20) * DAY
        : this.historyStart + (index - veterans + 1) * 11 * DAY + 9 * HOUR + index * 61;
      const leaves = index % 7 === 3;
      return {
        index,
        id: String(900_000 + index * 37),
        name: `${first} ${last}`,
        email: `${first}.${last}${index}@acme-sim.example`.toLowerCase(),
        // Documentation address ranges (RFC 5737): one usual address, sometimes a second.
        ips: [`192.0.2.${1 + index}`, ...(rng() < 0.5 ? [`198.51.100.${1 + index}`] : [])],
        joinedAt,
        ...(leaves && { leftAt: Math.max(joinedAt, this.historyStart) + (60 + (index % 40) * 3) * DAY + 15 * HOUR }),
        joinedVia: index % 4 === 0 ? 'scim' : 'invite',
      } satisfies Teammate;
    });
  }

  /** Invites, joins, provisioning and departures, derived from the roster. */
  private buildLifecycleEvents(): RawEntry[] {
    const owner = this.teammates[0]!;
    const events: RawEntry[] = [];
    const add = (teammate: Teammate, actor: Teammate, type: string, at: number, metadata: Record<string, unknown>) => {
      if (at < this.historyStart) return;
      const rng = mulberry32(hash32(this.seed, 'lifecycle', teammate.index, type, at));
      events.push({ ...this.makeEntry(uuidFrom(this.seed, 'lifecycle', teammate.index, type, at), at, type, actor, rng), metadata });
    };
    for (const t of this.teammates) {
      const subject = { id: t.id, email: t.email };
      if (t.joinedVia === 'scim') {
        add(t, owner, 'admin_provisioned', t.joinedAt, { teammate: subject, source: 'scim' });
      } else {
        add(t, owner, 'admin_invite_creation', t.joinedAt - 2 * DAY - 3 * HOUR, { invitee_email: t.email, role: 'Support' });
        if (t.index % 5 === 2)
          add(t, owner, 'admin_invite_change', t.joinedAt - DAY, { invitee_email: t.email, before: 'Support', after: 'Admin' });
        add(t, t, 'app_admin_join', t.joinedAt, { teammate: subject });
      }
      if (t.leftAt !== undefined) {
        add(t, owner, 'admin_deprovisioned', t.leftAt, { teammate: subject });
        add(t, owner, 'admin_deletion', t.leftAt + HOUR, { teammate: subject });
      }
      if (t.index % 6 === 5) {
        // An invite to an outside domain that was withdrawn, now and then all year.
        const at = Math.max(this.historyStart, t.joinedAt) + (5 + (t.index % 17)) * DAY + 2 * HOUR;
        add(t, owner, 'admin_invite_creation', at, { invitee_email: `contractor${t.index}@gmail.example`, role: 'Viewer' });
        add(t, owner, 'admin_invite_deletion', at + 6 * HOUR, { invitee_email: `contractor${t.index}@gmail.example` });
      }
    }
    return events;
  }
}
