/**
 * One evaluator for live alerts and backtests: entries are fed in time order, each teammate's
 * recent history is kept for the rules' horizon only (a compact state, state.ts), and every
 * (entry, rule) match becomes an alert with a deterministic id, so consumers can drop repeats.
 * History comes from the archive itself, never from a second store: backtests read it here
 * (archivedEntries), live alerts from a snapshot of the state plus the parts the chain lists
 * after it (liveAlerts.ts).
 */
import { listedKeysSince } from '../archive/scope.ts';
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../ports.ts';
import { dataPrefix, utcDate } from '../archive/keys.ts';
import { failureText, readGzipLines } from '../archive/lines.ts';
import type { Predicate, Rule, RuleSet } from './ruleset.ts';
import { CompactState, type SerializedState, trackingOf } from './state.ts';

export interface AlertEntry {
  readonly id: string;
  readonly workspace_id: string;
  readonly created_at: number;
  readonly activity_type: string;
  readonly performed_by_id: string | null;
  readonly performed_by_email: string | null;
  readonly performed_by_ip: string | null;
  readonly metadata: string | null;
}

export interface Alert {
  readonly alert_id: string;
  readonly rule: string;
  readonly severity: Rule['severity'];
  readonly workspace_id: string;
  readonly entry_id: string;
  readonly activity_type: string;
  readonly time_utc: string;
  readonly teammate_id: string | null;
  readonly teammate_email: string | null;
  readonly ip_address: string | null;
  readonly reasons: string[];
  readonly notify: Rule['notify'];
}

export function alertId(workspaceId: string, rule: string, entryId: string): string {
  return createHash('sha256').update(`${workspaceId}\n${rule}\n${entryId}`).digest('hex').slice(0, 32);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localTime(t: number, timeZone: string): { weekday: number; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(t * 1000)).map((p) => [p.type, p.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
  return { weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}
const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function metadataField(entry: AlertEntry, ...path: string[]): unknown {
  if (!entry.metadata) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(entry.metadata);
  } catch {
    return undefined;
  }
  for (const key of path)
    value = value && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** An entry a rule could not be evaluated on: counted and reported, never the end of the run. */
export interface RuleFailure {
  readonly rule: string;
  readonly entry_id: string;
  readonly reason: string;
}

/** One line about (rule, entry) pairs whose evaluation failed (the entries stay archived; the rest were evaluated). */
export function describeRuleFailures(count: number, first: RuleFailure): string {
  return `${count} rule evaluation${count === 1 ? '' : 's'} failed and were skipped, the other entries were evaluated (first: rule '${first.rule}' on entry ${first.entry_id}: ${first.reason})`;
}

/**
 * One evaluator for live alerts and backtests. Its history is a compact, serialisable state
 * (see state.ts) that depends only on the set of entries observed, so a state restored from a
 * snapshot and a state rebuilt from the archive give the same alerts.
 */
export class RuleEvaluator {
  private readonly state: CompactState;
  /** The first failures (up to 100); `failureCount` counts them all. */
  readonly failures: RuleFailure[] = [];
  failureCount = 0;

  constructor(
    private readonly ruleSet: RuleSet,
    state?: SerializedState,
  ) {
    this.state = new CompactState(trackingOf(ruleSet), state);
  }

  /** Feeds one entry (in time order); returns the alerts it raises when `emit`. */
  observe(entry: AlertEntry, emit = true): Alert[] {
    const who = entry.performed_by_id ?? entry.performed_by_email ?? '(unknown)';
    const alerts: Alert[] = [];
    if (emit) {
      for (const rule of this.ruleSet.rules) {
        const reasons: string[] = [];
        let matched: boolean;
        try {
          matched = rule.when.every((p) => this.holds(p, entry, who, reasons));
        } catch (error) {
          // One entry a predicate cannot handle is set aside with the reason; the others are still evaluated.
          this.failureCount += 1;
          if (this.failures.length < 100) this.failures.push({ rule: rule.name, entry_id: String(entry.id), reason: failureText(error) });
          continue;
        }
        if (matched) {
          alerts.push({
            alert_id: alertId(entry.workspace_id, rule.name, entry.id),
            rule: rule.name,
            severity: rule.severity,
            workspace_id: entry.workspace_id,
            entry_id: entry.id,
            activity_type: entry.activity_type,
            time_utc: new Date(entry.created_at * 1000).toISOString(),
            teammate_id: entry.performed_by_id,
            teammate_email: entry.performed_by_email,
            ip_address: entry.performed_by_ip,
            reasons,
            notify: rule.notify,
          });
        }
      }
    }
    const subject = entry.activity_type === 'admin_provisioned' ? metadataField(entry, 'teammate', 'id') : undefined;
    this.state.observe(
      who,
      entry.created_at,
      entry.activity_type,
      entry.performed_by_ip,
      typeof subject === 'string' ? subject : undefined,
    );
    return alerts;
  }

  /** The evaluator's history as a canonical JSON-able value (pruned to the rules' horizons). */
  exportState(): SerializedState {
    return this.state.serialize();
  }

  private group(name: string): ReadonlySet<string> {
    const group = this.ruleSet.groups.get(name);
    if (!group) throw new Error(`unknown group '${name}'`);
    return group;
  }

  private holds(p: Predicate, entry: AlertEntry, who: string, reasons: string[]): boolean {
    if ('type_in_group' in p) {
      const ok = this.group(p.type_in_group).has(entry.activity_type);
      if (ok) reasons.push(`${entry.activity_type} is in group ${p.type_in_group}`);
      return ok;
    }
    if ('outside_business_hours' in p) {
      const o = p.outside_business_hours;
      const { weekday, minutes } = localTime(entry.created_at, o.timezone);
      const ok = !o.weekdays.includes(weekday) || minutes < toMinutes(o.start) || minutes >= toMinutes(o.end);
      if (ok) reasons.push(`outside business hours in ${o.timezone}`);
      return ok;
    }
    if ('new_ip' in p) {
      if (entry.activity_type !== 'admin_login_success' || !entry.performed_by_ip) return false;
      const since = entry.created_at - p.new_ip.days * 86_400;
      const ok = !this.state.ipSeen(who, entry.performed_by_ip, since, entry.created_at);
      if (ok) reasons.push(`sign-in from ${entry.performed_by_ip}, not seen for this teammate in ${p.new_ip.days} days`);
      return ok;
    }
    if ('invite_outside_domains' in p) {
      if (!entry.activity_type.startsWith('admin_invite_creation')) return false;
      const email = metadataField(entry, 'invitee_email');
      if (typeof email !== 'string' || !email.includes('@')) return false;
      const domain = email.split('@').pop()!.toLowerCase();
      const ok = !p.invite_outside_domains.allow.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`));
      if (ok) reasons.push(`invite to ${domain}, outside ${p.invite_outside_domains.allow.join(', ')}`);
      return ok;
    }
    if ('export_by_new_joiner' in p) {
      if (!this.group('data_exports').has(entry.activity_type)) return false;
      const joined = this.state.joinedAt(who);
      const ok = joined !== undefined && joined <= entry.created_at && entry.created_at - joined < p.export_by_new_joiner.days * 86_400;
      if (ok) reasons.push(`data export ${Math.floor((entry.created_at - joined!) / 86_400)} days after joining`);
      return ok;
    }
    const b = p.burst;
    if (!this.group(b.group).has(entry.activity_type)) return false;
    const count = 1 + this.state.burstCount(b.group, who, entry.created_at - b.hours * 3600, entry.created_at);
    const ok = count > b.more_than;
    if (ok) reasons.push(`${count} ${b.group} events by this teammate within ${b.hours} h`);
    return ok;
  }
}

/**
 * Archived entries of a workspace with `from <= created_at < to`, in time order (then id),
 * read a UTC day at a time from `activity_logs/workspace=<id>/dt=<day>/` — only the parts the
 * manifest chain lists (an object planted there is never evaluated).
 */
export async function* archivedEntries(store: ObjectStore, workspaceId: string, from: number, to: number): AsyncGenerator<AlertEntry> {
  const listed = await listedKeysSince(store, workspaceId, from);
  for (let day = Math.floor(from / 86_400) * 86_400; day < to; day += 86_400) {
    const entries: AlertEntry[] = [];
    const ids = new Set<string>();
    for await (const object of store.list(`${dataPrefix(workspaceId)}dt=${utcDate(day)}/`)) {
      if (!listed.has(object.key)) continue;
      for await (const line of readGzipLines(await store.get(object.key))) {
        const createdAt = line.created_at as number;
        const id = String(line.id);
        if (createdAt < from || createdAt >= to || ids.has(id)) continue;
        ids.add(id);
        entries.push(line as unknown as AlertEntry);
      }
    }
    entries.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    yield* entries;
  }
}

/** Evaluates [from, to) after warming each teammate's history over the rules' horizon. */
export async function evaluateArchive(
  store: ObjectStore,
  workspaceId: string,
  ruleSet: RuleSet,
  from: number,
  to: number,
  onAlert: (alert: Alert) => void | Promise<void>,
): Promise<{ entries: number; failures: RuleFailure[]; failureCount: number }> {
  const evaluator = new RuleEvaluator(ruleSet);
  let entries = 0;
  for await (const entry of archivedEntries(store, workspaceId, from - ruleSet.horizonSeconds, to)) {
    const emit = entry.created_at >= from;
    if (emit) entries += 1;
    for (const alert of evaluator.observe(entry, emit)) await onAlert(alert);
  }
  return { entries, failures: evaluator.failures, failureCount: evaluator.failureCount };
}
