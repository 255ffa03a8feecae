/**
 * ConsoleApi over one archive: search through the query layer, coverage and exceptions from the
 * manifest chains (the same code as report packs), proofs from the trace core, report packs,
 * and rule backtests. Reads only; the archive is never written.
 */
import { ARCHIVE_COLUMNS } from '../../lambdas/core/archive/columns.ts';
import { utcDate } from '../../lambdas/core/archive/keys.ts';
import { type ArchiveScope, inPeriod } from '../../lambdas/core/archive/scope.ts';
import type { ResultPage, SearchFilters } from '../../lambdas/core/console/filters.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import { ACTIVITY_TYPE_LABELS } from '../../lambdas/core/queries/labels.ts';
import { computeCoverage, coverageStatement } from '../../lambdas/core/reports/coverage.ts';
import { collectExceptions } from '../../lambdas/core/reports/exceptions.ts';
import { type PeriodRange, readPeriodChains } from '../../lambdas/core/reports/periodChains.ts';
import { runBacktest } from '../commands/rules.ts';
import type { ConsoleApi, Range } from './api.ts';
import type { PackSource } from './packs.ts';
import { type OperatorKey, eventProof, traceCommands } from './proof.ts';
import type { ConsoleSearch } from './search.ts';

export interface ConsoleDataOptions {
  /** As the user gave it: shown, and used in the commands the page offers to copy. */
  readonly location: string;
  readonly store: ObjectStore;
  readonly search: ConsoleSearch;
  readonly scope: ArchiveScope;
  readonly key?: OperatorKey;
  /** The path of the public key, for the `trace verify` command to copy. */
  readonly publicKeyPath?: string;
  readonly packs?: PackSource;
  readonly rulesFile: string;
  /** Where the archive starts (the earliest genesis window), UNIX seconds. */
  readonly origin?: number;
}

const DAY = 86_400;
/** Quarantined entries listed per answer; the count is always whole. */
const LIST_LIMIT = 200;
const PROVENANCE = ['run_id', 'collector_version', 'api_host', 'api_version', 'ingested_at', 'late'] as const;

export class ConsoleData implements ConsoleApi {
  readonly #o: ConsoleDataOptions;
  readonly #coverage = new Map<string, Promise<Record<string, unknown>>>();

  constructor(options: ConsoleDataOptions) {
    this.#o = options;
  }

  /** The 30 days up to the newest checkpoint (not before the archive starts), whole UTC days. */
  defaultRange(): Range {
    const head = Math.max(0, ...this.#o.scope.heads.map((h) => h.checkpoint));
    const to = Math.max(DAY, Math.ceil(head / DAY) * DAY);
    const origin = Math.floor((this.#o.origin ?? 0) / DAY) * DAY;
    return { from: Math.max(to - 30 * DAY, Math.min(origin, to - DAY)), to };
  }

  async meta(): Promise<Record<string, unknown>> {
    const { scope, key, packs } = this.#o;
    return {
      archive: this.#o.location,
      engine: this.#o.search.engine,
      trust: scope.trust,
      key: key ? { fingerprint: key.verifier.fingerprint, source: key.source } : null,
      heads: scope.heads.map((h) => ({ workspace_id: h.workspaceId, seq: h.seq, sha256: h.sha256, checkpoint: h.checkpoint })),
      default_range: this.defaultRange(),
      groups: ACTIVITY_GROUPS,
      labels: ACTIVITY_TYPE_LABELS,
      packs: packs !== undefined,
      rules: this.#o.rulesFile,
    };
  }

  async facets(range: Range): Promise<Record<string, unknown>> {
    const { types, teammates } = await this.#o.search.facets(range);
    return {
      types: types.rows.map(([type, events]) => ({ activity_type: type, events: Number(events) })),
      teammates: teammates.rows.map(([id, email, events]) => ({ id, email, events: Number(events) })),
    };
  }

  results(filters: SearchFilters, page: ResultPage) {
    return this.#o.search.results(filters, page);
  }

  timeline(filters: SearchFilters) {
    return this.#o.search.timeline(filters);
  }

  csv(filters: SearchFilters) {
    return this.#o.search.csv(filters);
  }

  async event(id: string, createdAt: number): Promise<Record<string, unknown> | undefined> {
    const row = await this.#o.search.event(id, createdAt);
    if (!row) return undefined;
    const workspace = String(row.workspace_id ?? row.workspace);
    let verbatim: unknown = row.source;
    try {
      verbatim = JSON.parse(String(row.source));
    } catch {
      // shown as the text it is
    }
    const flat = ARCHIVE_COLUMNS.map((c) => c.name).filter((n) => n !== 'source' && !(PROVENANCE as readonly string[]).includes(n));
    return {
      columns: Object.fromEntries([...flat.map((n) => [n, row[n] ?? null]), ['actor_kind', row.actor_kind ?? null]]),
      verbatim,
      provenance: Object.fromEntries(PROVENANCE.map((n) => [n, row[n] ?? null])),
      proof: (await eventProof(this.#o.store, id, workspace, this.#o.key)) ?? null,
      trace_command: traceCommands(id, this.#o.location, this.#o.publicKeyPath),
    };
  }

  coverage(range: Range): Promise<Record<string, unknown>> {
    const cacheKey = `${range.from}-${range.to}`;
    let answer = this.#coverage.get(cacheKey);
    if (!answer) {
      answer = this.#computeCoverage(range);
      answer.catch(() => this.#coverage.delete(cacheKey));
      if (this.#coverage.size > 50) this.#coverage.clear();
      this.#coverage.set(cacheKey, answer);
    }
    return answer;
  }

  async packs(): Promise<Record<string, unknown>[]> {
    return this.#o.packs ? ((await this.#o.packs.list()) as unknown as Record<string, unknown>[]) : [];
  }

  async packSummary(name: string): Promise<Buffer | undefined> {
    return this.#o.packs?.summaryHtml(name);
  }

  async backtest(range: Range): Promise<Record<string, unknown>> {
    const result = await runBacktest({
      archive: this.#o.location,
      rules: this.#o.rulesFile,
      from: utcDate(range.from),
      to: utcDate(range.to - 1),
      examples: 3,
    });
    return { from: utcDate(range.from), to: utcDate(range.to - 1), entries: result.entries, rules: result.results, text: result.text };
  }

  async #computeCoverage(range: Range): Promise<Record<string, unknown>> {
    const { store, scope } = this.#o;
    const period: PeriodRange = { start_date: utcDate(range.from), end_date: utcDate(range.to - 1), ...range };
    const workspaceIds = scope.heads.map((h) => h.workspaceId);
    const chains = await readPeriodChains(store, workspaceIds, range.from);
    const coverage = computeCoverage(chains, period);
    const exceptions = await collectExceptions({
      store,
      chains,
      period,
      readFrom: range.from,
      queries: [],
      population: { entries: 0, by_workspace: [], by_activity_type: [] },
    });
    const unsigned = inPeriod(scope.exceptions, period.start_date, period.end_date).filter((e) => e.kind !== 'unlisted');
    return {
      complete: coverage.complete,
      statement: { en: coverageStatement(coverage, 'en'), ja: coverageStatement(coverage, 'ja') },
      workspaces: coverage.workspaces,
      exceptions: {
        quarantined: exceptions.quarantined.length,
        quarantined_list: exceptions.quarantined.slice(0, LIST_LIMIT),
        conflicts: exceptions.conflicts,
        rejected_parts: exceptions.rejected_parts,
        unlisted_objects: exceptions.unlisted_objects,
        not_read: unsigned,
      },
    };
  }
}
