/** Backtest: the live evaluator over archived history, summarised per rule and per ISO week. */
import type { ObjectStore } from '../ports.ts';
import { type Alert, type RuleFailure, evaluateArchive } from './evaluate.ts';
import type { RuleSet } from './ruleset.ts';

export interface RuleBacktest {
  readonly rule: string;
  readonly severity: string;
  readonly total: number;
  /** ISO week (`2026-W07`) → alerts. */
  readonly perWeek: Record<string, number>;
  readonly examples: Alert[];
}

export function isoWeek(iso: string): string {
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3);
  const firstThursday = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((d.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export async function backtest(
  store: ObjectStore,
  workspaceIds: readonly string[],
  ruleSet: RuleSet,
  from: number,
  to: number,
  examples = 3,
): Promise<{ rules: RuleBacktest[]; entries: number; alerts: Alert[]; failures: RuleFailure[]; failureCount: number }> {
  const byRule = new Map<string, { severity: string; total: number; perWeek: Record<string, number>; examples: Alert[] }>();
  for (const rule of ruleSet.rules) byRule.set(rule.name, { severity: rule.severity, total: 0, perWeek: {}, examples: [] });
  const alerts: Alert[] = [];
  let entries = 0;
  const failures: RuleFailure[] = [];
  let failureCount = 0;
  for (const workspaceId of workspaceIds) {
    const result = await evaluateArchive(store, workspaceId, ruleSet, from, to, (alert) => {
      alerts.push(alert);
      const r = byRule.get(alert.rule)!;
      r.total += 1;
      const week = isoWeek(alert.time_utc);
      r.perWeek[week] = (r.perWeek[week] ?? 0) + 1;
      if (r.examples.length < examples) r.examples.push(alert);
    });
    entries += result.entries;
    failures.push(...result.failures);
    failureCount += result.failureCount;
  }
  return { rules: [...byRule].map(([rule, r]) => ({ rule, ...r })), entries, alerts, failures, failureCount };
}
