/** After a collect run: evaluate what it archived and deliver the alerts (the same evaluator as backtests). */
import type { ObjectStore } from '../ports.ts';
import type { CollectResult } from '../collect/collect.ts';
import { type Alert, evaluateArchive } from './evaluate.ts';
import { type AlertSink, deliverAlerts } from './deliver.ts';
import type { RuleSet } from './ruleset.ts';

export interface LiveAlertOptions {
  readonly lookbackSeconds: number;
  /** Entries older than this (by their own time) are left to backtests: a backfill raises no storm. */
  readonly maxAgeSeconds: number;
  readonly now?: () => Date;
}

export async function alertOnCollected(store: ObjectStore, ruleSet: RuleSet, result: CollectResult, sinks: readonly AlertSink[], options: LiveAlertOptions) {
  const now = options.now ?? (() => new Date());
  const nowSeconds = Math.floor(now().getTime() / 1000);
  const from = Math.max(result.checkpointBefore - options.lookbackSeconds, nowSeconds - options.maxAgeSeconds, result.origin);
  const to = result.checkpoint;
  const alerts: Alert[] = [];
  const evaluated = from < to ? await evaluateArchive(store, result.workspaceId, ruleSet, from, to, (a) => void alerts.push(a)) : undefined;
  const delivered = await deliverAlerts(store, alerts, sinks, now());
  return { from, to, matches: alerts.length, ...delivered, ruleFailures: evaluated?.failures ?? [], ruleFailureCount: evaluated?.failureCount ?? 0 };
}
