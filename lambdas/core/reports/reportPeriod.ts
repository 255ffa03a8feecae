/**
 * What a pack's period is and whether a pack of it may be built: the days it reads, the checks
 * before any query (period begun, destination empty, archive holds the period unless partial
 * packs are allowed), and the source system the period's manifests were fetched from.
 */
import { ConfigurationError, PartialPeriodError } from '../errors.ts';
import type { ObjectStore, ReportSink } from '../ports.ts';
import { type CannedQuery, quarterRange } from '../queries/catalog.ts';
import { type Coverage, computeCoverage, coverageStatement } from './coverage.ts';
import { type PeriodChain, periodRange, readPeriodChains } from './periodChains.ts';
import { type ChainRosters, chainRosters } from './rosters.ts';
import type { Lang } from './summaryText.ts';
import { withLocalTime } from './timezone.ts';

/** Days a quarter's pack reads: the quarter and the 90 days some queries look back. */
export function reportDays(quarter: string): { from: string; to: string } {
  const { start_date, end_date } = quarterRange(quarter);
  const from = new Date(Date.parse(`${start_date}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
  return { from, to: end_date };
}

/** The options of a pack that decide whether it may be built. */
export interface PeriodCheckOptions {
  readonly quarter: string;
  readonly queries: readonly CannedQuery[];
  readonly archive: ObjectStore;
  readonly workspaceIds: readonly string[];
  readonly sink: ReportSink;
  readonly lang?: Lang;
  readonly now?: () => Date;
  readonly allowPartial?: boolean;
  readonly timezone?: string;
}

/** Refuses a period that has not started yet (a pack of it could only be empty). */
export function assertPeriodStarted(period: { start_date: string }, now: Date): void {
  if (period.start_date > now.toISOString().slice(0, 10)) {
    throw new ConfigurationError(
      `the period starting ${period.start_date} has not begun yet (today is ${now.toISOString().slice(0, 10)} UTC); choose a quarter that has started`,
    );
  }
}

export interface PeriodCheck {
  readonly chains: PeriodChain[];
  readonly coverage: Coverage;
  /** The completeness line, in the pack's language. */
  readonly statement: string;
  readonly readFrom: number;
  /** The chain-listed, hash-checked roster snapshots the engine may read (`teammate_rosters`). */
  readonly rosters: ChainRosters;
}

/**
 * Everything a pack is refused for, checked before any query: a period that has not begun
 * (ConfigurationError, exit 2), a destination that is not empty, and — unless `allowPartial` —
 * a period the archive does not fully hold (PartialPeriodError, exit 1).
 */
export async function checkReportPeriod(options: PeriodCheckOptions): Promise<PeriodCheck> {
  const period = quarterRange(options.quarter);
  assertPeriodStarted(period, (options.now ?? (() => new Date()))());
  await options.sink.assertEmpty?.();
  const range = periodRange(period);
  const lookbackDays = Math.max(0, ...options.queries.map((q) => q.lookbackDays ?? 0));
  const readFrom = range.from - lookbackDays * 86_400;
  const chains = await readPeriodChains(options.archive, options.workspaceIds, readFrom);
  const coverage = computeCoverage(chains, range);
  const statement = coverageStatement(coverage, options.lang ?? 'en', (t) => withLocalTime(t, options.timezone));
  if (!coverage.complete && !options.allowPartial) throw new PartialPeriodError(statement);
  return { chains, coverage, statement, readFrom, rosters: await chainRosters(options.archive, chains) };
}

/** The Intercom hosts and API versions the period's manifests were fetched from. */
export function sourceSystem(chains: readonly PeriodChain[]) {
  const seen = new Map<string, { workspace_id: string; api_host: string; api_version: string }>();
  for (const chain of chains) {
    for (const { manifest } of chain.manifests) {
      if (manifest.kind === 'genesis') continue;
      const key = `${chain.workspaceId}|${manifest.api.host}|${manifest.api.version}`;
      if (!seen.has(key))
        seen.set(key, { workspace_id: chain.workspaceId, api_host: manifest.api.host, api_version: manifest.api.version });
    }
  }
  return { system: 'Intercom admin activity logs (GET /admins/activity_logs)', endpoints: [...seen.values()] };
}
