/**
 * Live alerts on one entry as a webhook delivers it: the same evaluator, the same alert ids and
 * the same create-only sent records as the poll path (liveAlerts.ts), so whichever path sends
 * an alert first records it and the other skips it.
 *
 * History: the state the last collector run recorded (trustedState.ts) — the chain up to its
 * head. With no state that verifies, only rules that need no history (type, hours, invite
 * domain) are evaluated here; rules that need history (new_ip, burst, export_by_new_joiner)
 * are left to the poll, which has it. Entries in between the head and this one are not in the
 * history yet: a burst may first be seen by the poll (which then sends it), never the reverse.
 */
import type { CheckpointCache, ObjectStore } from '../ports.ts';
import type { AlertSink } from '../rules/deliver.ts';
import { deliverAlerts } from '../rules/deliver.ts';
import { type AlertEntry, RuleEvaluator } from '../rules/evaluate.ts';
import type { Predicate, RuleSet } from '../rules/ruleset.ts';
import { trustedAlertState } from '../rules/trustedState.ts';

export interface WebhookAlertOptions {
  /** Entries older than this (by their own time) raise nothing live, as on the poll path. */
  readonly maxAgeSeconds: number;
  readonly now: () => Date;
  /** Where the chain head was last found (kept in memory by the receiver): a hint, never trusted. */
  readonly headHint?: CheckpointCache;
}

export interface WebhookAlertResult {
  readonly matches: number;
  readonly sent: number;
  readonly alreadySent: number;
  /** The entry is older than the max age: not evaluated live. */
  readonly tooOld: boolean;
  /** Rules left to the poll because no verified history was available. */
  readonly deferredRules: number;
  readonly alertIds: readonly string[];
  readonly notes: readonly string[];
}

const STATELESS = (p: Predicate) => 'type_in_group' in p || 'outside_business_hours' in p || 'invite_outside_domains' in p;

export async function alertOnWebhookEntry(
  store: ObjectStore,
  ruleSet: RuleSet,
  entry: AlertEntry,
  sinks: readonly AlertSink[],
  options: WebhookAlertOptions,
): Promise<WebhookAlertResult> {
  const cutoff = Math.floor(options.now().getTime() / 1000) - options.maxAgeSeconds;
  const none = { matches: 0, sent: 0, alreadySent: 0, deferredRules: 0, alertIds: [] };
  if (entry.created_at < cutoff) return { ...none, tooOld: true, notes: [] };
  const trusted = await trustedAlertState(store, ruleSet, entry.workspace_id, options.headHint);
  const rules = trusted.state ? ruleSet.rules : ruleSet.rules.filter((r) => r.when.every(STATELESS));
  const evaluator = new RuleEvaluator({ ...ruleSet, rules }, trusted.state);
  const alerts = evaluator.observe(entry, true);
  const delivered = await deliverAlerts(store, alerts, sinks, options.now());
  return {
    matches: alerts.length,
    sent: delivered.sent,
    alreadySent: delivered.alreadySent,
    tooOld: false,
    deferredRules: ruleSet.rules.length - rules.length,
    alertIds: alerts.map((a) => a.alert_id),
    notes: trusted.state ? [] : [...trusted.notes, `${ruleSet.rules.length - rules.length} rules that need history left to the poll`],
  };
}
