/**
 * summary.html: what an auditor reads first. One self-contained file — inline CSS and SVG
 * charts, no script, no CDN — so it renders offline and can be archived as evidence.
 * Its first line of text says whether the archive covers the whole period.
 */
import type { QueryResult } from '../ports.ts';
import type { CannedQuery } from '../queries/catalog.ts';
import type { Coverage } from './coverage.ts';
import type { Exceptions } from './exceptions.ts';
import type { Population } from './population.ts';
import { type Bar, GROUP_OF, barChart, code, column, countBy, escape, topWithTies, typeLabel } from './summaryCharts.ts';
import { renderExceptions } from './summaryExceptions.ts';
import { type Lang, type SummaryText, TEXT } from './summaryText.ts';
import { withLocalTime } from './timezone.ts';

export type { Lang } from './summaryText.ts';
export { type Bar, barChart, topWithTies, typeLabel } from './summaryCharts.ts';

/** How the access review's population was drawn (a roster snapshot, or the archive's history). */
export interface AccessReviewBasis {
  readonly method: 'roster' | 'history';
  /** Per workspace: the roster snapshot day used (roster method). */
  readonly snapshots: readonly { workspace_id: string; date: string }[];
  /** Workspaces without a snapshot at period end (they fall back to history). */
  readonly withoutSnapshot: readonly string[];
}

export interface SummaryInput {
  readonly lang: Lang;
  readonly quarter: string;
  readonly period: { start_date: string; end_date: string };
  readonly generatedAt: string;
  readonly engine: string;
  readonly heads: readonly { workspaceId: string; seq: number; sha256: string; checkpoint: string }[];
  readonly results: readonly { query: CannedQuery; result: QueryResult; file: string; sha256: string }[];
  /** The completeness line the summary opens with. */
  readonly statement: string;
  readonly coverage: Coverage;
  readonly population: Population;
  readonly exceptions: Exceptions;
  readonly accessReview: AccessReviewBasis;
  /** IANA zone shown beside UTC. */
  readonly timezone?: string;
}

const n = (x: number) => x.toLocaleString('en-US');
type Time = (isoTime: string | null | undefined) => string;

/** The four charts, and the per-type counts the types table shows. */
function charts(input: SummaryInput, t: SummaryText) {
  const lang = input.lang;
  const byName = new Map(input.results.map((r) => [r.query.name, r.result]));
  const byType = byName.get('activity_summary_by_type');
  const perMonth = new Map<string, number>();
  const perType = new Map<string, number>();
  const months = column(byType, 'month');
  const types = column(byType, 'activity_type');
  column(byType, 'events').forEach((e, i) => {
    const count = Number(e ?? 0);
    perMonth.set(String(months[i]), (perMonth.get(String(months[i])) ?? 0) + count);
    perType.set(String(types[i]), (perType.get(String(types[i])) ?? 0) + count);
  });
  const sum = (bars: readonly Bar[]) => bars.reduce((s, b) => s + b.value, 0);
  const chart = (title: string, bars: Bar[], top: number | undefined) => {
    const shown = top === undefined ? [...bars].sort((a, b) => (a.label < b.label ? -1 : 1)) : topWithTies(bars, top);
    const note =
      bars.length === 0
        ? ''
        : `${top !== undefined && bars.length > top ? t.topOf(top, bars.length, shown.length) : t.allOf(bars.length)} , ${t.total(n(sum(bars)))}`.replace(
            /\s+,/,
            ',',
          );
    return barChart(title, shown, t.none, note);
  };
  const lifecycleBars = countBy(column(byName.get('soc2_teammate_lifecycle'), 'activity_type')).map((b) => ({
    label: typeLabel(b.label, lang),
    value: b.value,
  }));
  return {
    perType,
    activity: chart(
      t.activity,
      [...perMonth].map(([label, value]) => ({ label, value })),
      undefined,
    ),
    topTypes: chart(
      t.topTypes,
      [...perType].map(([type, value]) => ({ label: typeLabel(type, lang), value })),
      15,
    ),
    exports: chart(t.exports, countBy(column(byName.get('gdpr_data_exports'), 'teammate_email')), 20),
    lifecycle: chart(t.lifecycle, lifecycleBars, undefined),
  };
}

/** The rows of the coverage, heads, queries and types tables, and the access-review paragraph. */
function tables(input: SummaryInput, t: SummaryText, time: Time, perType: ReadonlyMap<string, number>) {
  const lang = input.lang;
  const access = input.accessReview;
  return {
    coverage: input.coverage.workspaces
      .map(
        (w) =>
          `<tr><td>${code(w.workspace_id)}</td><td>${w.origin ? escape(time(w.origin)) : escape(t.noChain)}</td><td>${w.first_seq === null ? '—' : `#${w.first_seq} – #${w.last_seq}`}</td>` +
          `<td>${w.uncovered.length ? w.uncovered.map((u) => `${escape(time(u.from))} – ${escape(time(u.to))}`).join('<br>') : escape(t.nothingMissing)}</td></tr>`,
      )
      .join(''),
    heads: input.heads
      .map(
        (h) =>
          `<tr><td>${code(h.workspaceId)}</td><td>#${h.seq} ${code(`${h.sha256.slice(0, 16)}…`)}</td><td>${escape(time(h.checkpoint))}</td></tr>`,
      )
      .join(''),
    queries: input.results
      .map((r) => {
        const text = lang === 'ja' && r.query.ja ? r.query.ja : r.query;
        return (
          `<tr><td><strong>${escape(text.title)}</strong><br><span class="q">${escape(text.question)}</span></td><td>${escape(text.control)}</td>` +
          `<td class="n">${n(r.result.rows.length)}</td><td><a href="${escape(r.file)}">${code(r.file)}</a><br>${code(`${r.sha256.slice(0, 16)}…`)}</td></tr>`
        );
      })
      .join(''),
    types: [...perType]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(
        ([type, count]) =>
          `<tr><td>${escape(typeLabel(type, lang))}</td><td>${code(type)}</td><td>${(GROUP_OF.get(type) ?? []).map(code).join(' ') || escape(t.noGroup)}</td><td class="n">${n(count)}</td></tr>`,
      )
      .join(''),
    access:
      access.method === 'roster'
        ? `<p>${escape(t.accessRoster(access.snapshots.map((s) => `${s.workspace_id} ${s.date}`).join(', ')))}</p>${access.withoutSnapshot.length ? `<p>${escape(t.accessMixed(access.withoutSnapshot.join(', ')))}</p>` : ''}`
        : `<p>${escape(t.accessHistory)}</p>`,
  };
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;margin:2rem auto;max-width:980px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}h3{font-size:1rem;margin-top:1.25rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #eaeef2;padding:.4rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.n{text-align:right}.q{color:#57606a;font-size:.85rem}code{font-size:.8rem;word-break:break-all}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.5rem}svg text{font-size:12px;fill:#1b1f24}svg rect{fill:#0969da}
.meta td:first-child{width:12rem;color:#57606a}.empty{color:#57606a}footer{margin-top:2rem;color:#57606a;font-size:.85rem}
.completeness{font-size:1.1rem;font-weight:700;padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem}.complete{background:#dafbe1}.partial{background:#ffebe9}
.signoff td{height:2.2rem}.signoff td:first-child{width:12rem;color:#57606a}`;

function periodCell(input: SummaryInput, time: Time): string {
  const local = input.timezone
    ? `<br>${escape(time(`${input.period.start_date}T00:00:00Z`))} – ${escape(time(new Date(Date.parse(`${input.period.end_date}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', 'Z')))}`
    : '';
  return `${escape(input.period.start_date)} – ${escape(input.period.end_date)} (UTC)${local}`;
}

export function renderSummary(input: SummaryInput): string {
  const t = TEXT[input.lang];
  const time: Time = (isoTime) => (isoTime ? withLocalTime(isoTime, input.timezone) : '—');
  const c = charts(input, t);
  const rows = tables(input, t, time, c.perType);
  const th = (...names: string[]) => `<tr>${names.map((x) => `<th${x === t.rows || x === t.count ? ' class="n"' : ''}>${escape(x)}</th>`).join('')}</tr>`;
  return `<!DOCTYPE html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(t.title)} ${escape(input.quarter)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<p class="completeness ${input.coverage.complete ? 'complete' : 'partial'}">${escape(input.statement)}</p>
<h1>${escape(t.title)}</h1>
<p><strong>${escape(input.quarter)}</strong></p>
<table class="meta">
<tr><td>${escape(t.period)}</td><td>${periodCell(input, time)}</td></tr>
<tr><td>${escape(t.generated)}</td><td>${escape(time(input.generatedAt))}</td></tr>
<tr><td>${escape(t.engine)}</td><td>${code(input.engine)}</td></tr>
</table>
<p class="spreadsheet">${escape(t.spreadsheet).replace('pack.xlsx', code('pack.xlsx'))}</p>
<h2>${escape(t.coverage)}</h2>
<table>${th(t.workspace, t.origin, t.windows, t.uncovered)}${rows.coverage}</table>
<h2>${escape(t.archive)}</h2>
<table>${th(t.workspace, t.head, t.coveredUntil)}${rows.heads}</table>
<h2>${escape(t.populationSection)}</h2>
<p>${escape(t.population(n(input.population.entries)))}</p>
${renderExceptions(input.exceptions, { t, lang: input.lang, time })}
<h2>${escape(t.accessSection)}</h2>
${rows.access}
<h2>${escape(t.activitySection)}</h2>
${c.activity}
${c.topTypes}
<h2>${escape(t.exportsSection)}</h2>
${c.exports}
<h2>${escape(t.lifecycleSection)}</h2>
${c.lifecycle}
<h2>${escape(t.queries)}</h2>
<table>${th(t.query, t.control, t.rows, t.file)}${rows.queries}</table>
<h2>${escape(t.typesSection)}</h2>
<table>${th(t.label, t.identifier, t.group, t.count)}${rows.types}</table>
<footer>${escape(t.reperform).replace('manifest.json', code('manifest.json'))}</footer>
<h2>${escape(t.signOff)}</h2>
<table class="signoff">
<tr><td>${escape(t.preparedBy)}</td><td></td></tr>
<tr><td>${escape(t.reviewedBy)}</td><td></td></tr>
<tr><td>${escape(t.date)}</td><td></td></tr>
</table>
</body>
</html>
`;
}
