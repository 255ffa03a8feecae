/**
 * The population a pack's queries were drawn from: every archived entry in the period, by
 * workspace and by activity type. Taken from `activity_summary_by_type` (the same SQL, the same
 * engine, the same read), so it always agrees with that CSV.
 */
import type { QueryResult } from '../ports.ts';

export interface Population {
  readonly entries: number;
  readonly by_workspace: { workspace_id: string; count: number }[];
  readonly by_activity_type: { activity_type: string; count: number }[];
}

/** Sums a `(month, workspace, activity_type, events)` result; Athena returns counts as text. */
export function populationFrom(result: QueryResult | undefined): Population {
  const col = (name: string) => result?.columns.indexOf(name) ?? -1;
  const [ws, type, events] = [col('workspace'), col('activity_type'), col('events')];
  const byWorkspace = new Map<string, number>();
  const byType = new Map<string, number>();
  let entries = 0;
  if (result && ws >= 0 && type >= 0 && events >= 0) {
    for (const row of result.rows) {
      const n = Number(row[events] ?? 0);
      if (!Number.isFinite(n)) continue;
      entries += n;
      byWorkspace.set(String(row[ws]), (byWorkspace.get(String(row[ws])) ?? 0) + n);
      byType.set(String(row[type]), (byType.get(String(row[type])) ?? 0) + n);
    }
  }
  const sorted = <K extends string>(map: Map<string, number>, key: K) =>
    [...map]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, count]) => ({ [key]: k, count }) as { [P in K]: string } & { count: number });
  return { entries, by_workspace: sorted(byWorkspace, 'workspace_id'), by_activity_type: sorted(byType, 'activity_type') };
}

/** The query the population comes from (when the pack's queries do not include it). */
export const POPULATION_SQL = `SELECT substr(dt, 1, 7) AS month, workspace, activity_type, count(*) AS events
FROM activity_logs
WHERE dt BETWEEN ? AND ?
GROUP BY substr(dt, 1, 7), workspace, activity_type
ORDER BY month, workspace, activity_type`;
