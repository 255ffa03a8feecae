/**
 * Each canned query's answer computed independently in TypeScript from the simulator's own
 * entries, so the SQL (on DuckDB, with the Trino macros) can be checked against it row by row.
 */
import type { Cell } from '../../lambdas/core/ports.ts';
import { ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import type { RawEntry } from '../../simulator/dataset.ts';

const DAY = 86_400;
const iso = (t: number) => new Date(t * 1000).toISOString();
const dt = (t: number) => iso(t).slice(0, 10);
const inGroup = (group: keyof typeof ACTIVITY_GROUPS, type: string) => (ACTIVITY_GROUPS[group] as readonly string[]).includes(type);
const dayBefore = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY * 1000).toISOString().slice(0, 10);

function path(meta: unknown, keys: string[]): unknown {
  let value: unknown = meta;
  for (const k of keys)
    value = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[k] : undefined;
  return value;
}
/** Trino's json_extract_scalar: text of a scalar, NULL for objects, arrays and JSON null. */
function scalar(meta: unknown, ...keys: string[]): string | null {
  const v = path(meta, keys);
  if (v === undefined || v === null || typeof v === 'object') return null;
  return String(v);
}
/** COALESCE(json_extract_scalar, json_format(json_extract)). */
function scalarOrJson(meta: unknown, ...keys: string[]): string | null {
  const v = path(meta, keys);
  if (v === undefined || v === null) return null;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
const byTimeThenId = (a: RawEntry, b: RawEntry) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1);
const round1 = (x: number) => Math.round(x * 10) / 10;

export interface Period {
  readonly start_date: string;
  readonly end_date: string;
}

/** `roster`: the teammates of the roster snapshot at period end, when the archive holds one. */
export function groundTruth(
  all: RawEntry[],
  workspace: string,
  period: Period,
  roster?: readonly { id: string; email: string }[],
): Record<string, Cell[][]> {
  const within = (e: RawEntry, from: string, to: string) => dt(e.created_at) >= from && dt(e.created_at) <= to;
  const inPeriod = all.filter((e) => within(e, period.start_date, period.end_date)).sort(byTimeThenId);
  const history = all.filter((e) => within(e, dayBefore(period.start_date, 90), period.end_date)).sort(byTimeThenId);
  const metaText = (e: RawEntry) => (e.metadata === null ? null : JSON.stringify(e.metadata));
  const out: Record<string, Cell[][]> = {};

  out.gdpr_data_exports = inPeriod
    .filter((e) => inGroup('data_exports', e.activity_type))
    .map((e) => [
      iso(e.created_at),
      workspace,
      e.performed_by.id,
      e.performed_by.email,
      e.performed_by.ip,
      e.activity_type,
      scalar(e.metadata, 'export_type') ?? scalar(e.metadata, 'type'),
      scalar(e.metadata, 'scope') ?? scalar(e.metadata, 'export_scope'),
      scalar(e.metadata, 'record_count') ?? scalar(e.metadata, 'count'),
      metaText(e),
      e.activity_description,
      e.id,
    ]);

  out.gdpr_erasure_and_retention = inPeriod
    .filter((e) => inGroup('erasure_and_retention', e.activity_type))
    .map((e) => [
      iso(e.created_at),
      workspace,
      e.performed_by.id,
      e.performed_by.email,
      e.activity_type,
      e.activity_description,
      metaText(e),
      e.id,
    ]);

  out.soc2_permission_changes = inPeriod
    .filter((e) => inGroup('permission_changes', e.activity_type))
    .map((e) => [
      iso(e.created_at),
      workspace,
      e.activity_type,
      e.performed_by.id,
      e.performed_by.email,
      scalar(e.metadata, 'teammate', 'id'),
      scalar(e.metadata, 'teammate', 'email'),
      scalarOrJson(e.metadata, 'before'),
      scalarOrJson(e.metadata, 'after'),
      e.activity_description,
      e.id,
    ]);

  out.security_settings_changes = inPeriod
    .filter((e) => inGroup('security_settings', e.activity_type))
    .map((e) => [
      iso(e.created_at),
      workspace,
      e.activity_type,
      e.performed_by.id,
      e.performed_by.email,
      e.performed_by.ip,
      scalarOrJson(e.metadata, 'before'),
      scalarOrJson(e.metadata, 'after'),
      e.activity_description,
      e.id,
    ]);

  out.intercom_staff_impersonation = inPeriod
    .filter((e) => inGroup('staff_impersonation', e.activity_type))
    .map((e) => [
      iso(e.created_at),
      workspace,
      e.activity_type,
      e.performed_by.id,
      e.performed_by.email,
      e.performed_by.ip,
      scalar(e.metadata, 'consent_id'),
      scalar(e.metadata, 'reason'),
      scalar(e.metadata, 'expired_at'),
      e.activity_description,
      e.id,
    ]);

  out.credentials_and_integrations = inPeriod
    .filter((e) => inGroup('credentials_and_integrations', e.activity_type))
    .map((e) => [
      iso(e.created_at),
      workspace,
      e.activity_type,
      e.performed_by.id,
      e.performed_by.email,
      e.performed_by.ip,
      metaText(e),
      e.activity_description,
      e.id,
    ]);

  // Lifecycle: subject, last invite before a join, hours since the subject's last own activity.
  const subjectOf = (e: RawEntry) =>
    (
      scalar(e.metadata, 'invitee_email') ??
      scalar(e.metadata, 'teammate', 'email') ??
      (e.activity_type === 'app_admin_join' ? e.performed_by.email : null)
    )?.toLowerCase() ?? null;
  out.soc2_teammate_lifecycle = inPeriod
    .filter((e) => inGroup('teammate_lifecycle', e.activity_type))
    .map((e) => {
      const subject = subjectOf(e);
      const before = history.filter((h) => byTimeThenId(h, e) < 0);
      let inviteToJoin: number | null = null;
      if (e.activity_type === 'app_admin_join') {
        const invites = before.filter((h) => h.activity_type === 'admin_invite_creation' && subjectOf(h) === subject);
        if (invites.length) inviteToJoin = round1((e.created_at - invites[invites.length - 1]!.created_at) / 3600);
      }
      let sinceLast: number | null = null;
      if (inGroup('deprovisioning', e.activity_type)) {
        const own = history.filter((h) => h.performed_by.email.toLowerCase() === subject && h.created_at < e.created_at);
        sinceLast = own.length ? round1((e.created_at - Math.max(...own.map((h) => h.created_at))) / 3600) : null;
      }
      return [
        iso(e.created_at),
        workspace,
        e.activity_type,
        subject,
        e.performed_by.id,
        e.performed_by.email,
        inviteToJoin,
        sinceLast,
        e.activity_description,
        e.id,
      ];
    });

  // Sign-in anomalies: failures, and sign-ins from an address unseen for 90 days.
  out.sign_in_anomalies = inPeriod
    .filter((e) => {
      if (inGroup('failed_sign_ins', e.activity_type)) return true;
      if (!inGroup('sign_ins', e.activity_type)) return false;
      return !history.some(
        (h) =>
          h.performed_by.id === e.performed_by.id &&
          h.performed_by.ip === e.performed_by.ip &&
          h.created_at < e.created_at &&
          h.created_at >= e.created_at - 90 * DAY,
      );
    })
    .map((e) => [
      iso(e.created_at),
      workspace,
      inGroup('failed_sign_ins', e.activity_type) ? 'failed_sign_in' : 'new_ip_address',
      e.performed_by.id,
      e.performed_by.email,
      e.performed_by.ip,
      e.activity_type,
      e.id,
    ]);

  // Access review: the roster at period end (when given) or everyone the history up to the period
  // end knows and did not see removed before it, plus everyone who acted or had access changed.
  type Row = {
    id: string;
    mentionEmails: string[];
    anyEmails: string[];
    actor: RawEntry[];
    lastSeen: number | null;
    perm: number;
    deprov: number;
    twoFactor: number;
    mentions: number;
    removedAt: number | null;
    presentAt: number | null;
  };
  const people = new Map<string, Row>();
  const person = (id: string) => {
    let row = people.get(id);
    if (!row) {
      row = {
        id,
        mentionEmails: [],
        anyEmails: [],
        actor: [],
        lastSeen: null,
        perm: 0,
        deprov: 0,
        twoFactor: 0,
        mentions: 0,
        removedAt: null,
        presentAt: null,
      };
      people.set(id, row);
    }
    return row;
  };
  const maxN = (a: number | null, b: number) => (a === null ? b : Math.max(a, b));
  for (const e of all.filter((x) => dt(x.created_at) <= period.end_date)) {
    const inP = within(e, period.start_date, period.end_date);
    const actor = person(e.performed_by.id);
    actor.anyEmails.push(e.performed_by.email);
    actor.lastSeen = maxN(actor.lastSeen, e.created_at);
    if (e.activity_type === 'admin_two_factor_auth_change' && inP) actor.twoFactor += 1;
    if (inP) {
      actor.actor.push(e);
      actor.mentionEmails.push(e.performed_by.email);
      actor.mentions += 1;
    } else actor.presentAt = maxN(actor.presentAt, e.created_at);
    const subjectId = scalar(e.metadata, 'teammate', 'id');
    const groups = ['permission_changes', 'deprovisioning', 'teammate_lifecycle', 'security_settings'] as const;
    if (subjectId === null || !groups.some((g) => inGroup(g, e.activity_type))) continue;
    const subject = person(subjectId);
    const email = scalar(e.metadata, 'teammate', 'email');
    if (email !== null) subject.anyEmails.push(email);
    const perm = inGroup('permission_changes', e.activity_type);
    const deprov = inGroup('deprovisioning', e.activity_type);
    if (e.activity_type === 'admin_two_factor_auth_change' && inP) subject.twoFactor += 1;
    if (inP && (perm || deprov)) {
      subject.mentions += 1;
      if (email !== null) subject.mentionEmails.push(email);
      if (perm) subject.perm += 1;
      if (deprov) subject.deprov += 1;
    }
    if (!inP && deprov) subject.removedAt = maxN(subject.removedAt, e.created_at);
    if (!inP && (e.activity_type === 'app_admin_join' || e.activity_type === 'admin_provisioned'))
      subject.presentAt = maxN(subject.presentAt, e.created_at);
  }
  const rosterById = new Map((roster ?? []).map((r) => [r.id, r]));
  for (const r of roster ?? []) person(r.id);
  const maxOrNull = (xs: number[]) => (xs.length ? iso(Math.max(...xs)) : null);
  const maxText = (xs: string[]) => (xs.length ? xs.reduce((a, b) => (b > a ? b : a)) : null);
  out.soc2_access_review = [...people.values()]
    .filter(
      (p) =>
        p.mentions > 0 ||
        rosterById.has(p.id) ||
        (roster === undefined && (p.removedAt === null || (p.presentAt !== null && p.presentAt > p.removedAt))),
    )
    .map((p) => {
      const times = p.actor.map((e) => e.created_at);
      const inRoster = rosterById.get(p.id);
      return [
        workspace,
        p.id,
        maxText(p.mentionEmails) ?? inRoster?.email ?? maxText(p.anyEmails),
        times.length ? iso(Math.min(...times)) : null,
        maxOrNull(times),
        maxOrNull(p.actor.filter((e) => inGroup('sign_ins', e.activity_type)).map((e) => e.created_at)),
        p.actor.length,
        p.perm,
        p.deprov > 0 ? 'deprovisioned' : 'active',
        p.actor.length === 0 ? 'yes' : 'no',
        p.lastSeen === null ? null : iso(p.lastSeen),
        p.twoFactor,
        inRoster ? 'roster' : p.mentions > 0 ? 'period activity' : 'archive history',
      ] as Cell[];
    })
    .sort((a, b) => compare(a[2], b[2]) || compare(a[1], b[1]));

  // Two files, one dimension each, so no column sums twice.
  for (const [name, dimension] of [
    ['activity_summary_by_type', (e: RawEntry) => e.activity_type],
    ['activity_summary_by_actor', (e: RawEntry) => e.performed_by.type],
  ] as const) {
    const counts = new Map<string, number>();
    for (const e of inPeriod) {
      const key = `${dt(e.created_at).slice(0, 7)}|${dimension(e)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    out[name] = [...counts]
      .map(([key, n]) => {
        const [month, value] = key.split('|') as [string, string];
        return [month, workspace, value, n] as Cell[];
      })
      .sort((a, b) => compare(a[0], b[0]) || compare(a[2], b[2]));
  }
  return out;
}

/** NULLs last, as Trino and DuckDB order ascending by default. */
function compare(a: Cell | undefined, b: Cell | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return a < b ? -1 : 1;
}
