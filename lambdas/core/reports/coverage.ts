/**
 * What part of a period the archive actually holds. A pack or a query answer over days the
 * archive never collected would read as "nothing happened": coverage says which days are
 * held (closed, contiguous windows and recovery manifests) and which are not.
 */
import { iso } from '../archive/manifest.ts';
import { COVERING_KINDS, type PeriodChain, type PeriodRange } from './periodChains.ts';

export interface UncoveredRange {
  /** ISO-8601 UTC, inclusive. */
  readonly from: string;
  /** ISO-8601 UTC, exclusive. */
  readonly to: string;
}

export interface WorkspaceCoverage {
  readonly workspace_id: string;
  /** Where the archive starts; null when the workspace has no chain. */
  readonly origin: string | null;
  /** First and last window (or recovery) manifest that overlaps the period. */
  readonly first_seq: number | null;
  readonly last_seq: number | null;
  readonly complete: boolean;
  readonly uncovered: UncoveredRange[];
}

export interface Coverage {
  readonly complete: boolean;
  readonly workspaces: WorkspaceCoverage[];
}

/** Coverage of `[period.from, period.to)` by each chain's closed windows. */
export function computeCoverage(chains: readonly PeriodChain[], period: PeriodRange): Coverage {
  const workspaces = chains.map((chain): WorkspaceCoverage => {
    const windows = chain.manifests
      .filter((s) => COVERING_KINDS.has(s.manifest.kind) && !chain.superseded.has(s.manifest.seq))
      .filter((s) => s.manifest.from < period.to && s.manifest.to > period.from && s.manifest.to > s.manifest.from)
      .sort((a, b) => a.manifest.from - b.manifest.from);
    const uncovered: UncoveredRange[] = [];
    let cursor = period.from;
    for (const { manifest } of windows) {
      if (manifest.from > cursor) uncovered.push({ from: iso(cursor), to: iso(Math.min(manifest.from, period.to)) });
      cursor = Math.max(cursor, manifest.to);
      if (cursor >= period.to) break;
    }
    if (cursor < period.to) uncovered.push({ from: iso(cursor), to: iso(period.to) });
    const seqs = windows.map((w) => w.manifest.seq);
    return {
      workspace_id: chain.workspaceId,
      origin: chain.origin === undefined ? null : iso(chain.origin),
      first_seq: seqs.length ? Math.min(...seqs) : null,
      last_seq: seqs.length ? Math.max(...seqs) : null,
      complete: uncovered.length === 0,
      uncovered,
    };
  });
  // No workspace at all is not "everything covered".
  return { complete: workspaces.length > 0 && workspaces.every((w) => w.complete), workspaces };
}

export type StatementLang = 'en' | 'ja';

/** Local time beside UTC, when a display zone is given. */
export type TimeFormatter = (isoTime: string) => string;

const windowsText = (w: WorkspaceCoverage, lang: StatementLang) =>
  w.first_seq === null
    ? lang === 'ja'
      ? 'ウィンドウなし'
      : 'no windows'
    : lang === 'ja'
      ? `ウィンドウ ${w.first_seq}–${w.last_seq}`
      : `windows ${w.first_seq}–${w.last_seq}`;

/**
 * The one line a pack and a query answer open with, e.g.
 * "The archive covers the whole period: windows 7–25, no gaps" or "NOT COMPLETE: …".
 */
export function coverageStatement(coverage: Coverage, lang: StatementLang = 'en', time: TimeFormatter = (t) => t): string {
  const many = coverage.workspaces.length > 1;
  if (coverage.workspaces.length === 0)
    return lang === 'ja' ? '不完全: アーカイブにワークスペースがありません' : 'NOT COMPLETE: the archive holds no workspace';
  if (coverage.complete) {
    const parts = coverage.workspaces
      .map((w) => (many ? `${w.workspace_id} ${windowsText(w, lang)}` : windowsText(w, lang)))
      .join(lang === 'ja' ? '、' : ', ');
    return lang === 'ja'
      ? `アーカイブは対象期間全体を網羅しています: ${parts}、欠落なし`
      : `The archive covers the whole period: ${parts}, no gaps`;
  }
  const gaps = coverage.workspaces
    .filter((w) => !w.complete)
    .map((w) => {
      const ranges = w.uncovered.map((u) => `${time(u.from)} – ${time(u.to)}`).join(lang === 'ja' ? '、' : ', ');
      if (w.origin === null) return lang === 'ja' ? `${w.workspace_id} はアーカイブがありません` : `${w.workspace_id} has no archive`;
      return lang === 'ja' ? `${w.workspace_id} は ${ranges} を保持していません` : `${w.workspace_id} does not hold ${ranges}`;
    })
    .join(lang === 'ja' ? '。' : '; ');
  return lang === 'ja' ? `不完全: ${gaps}(この期間の結果は一部のみです)` : `NOT COMPLETE: ${gaps} (results for this period are partial)`;
}
