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
import { type Bar, GROUP_OF, barChart, code, column, countBy, escapeHtml as esc, topWithTies, typeLabel } from './summaryCharts.ts';
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
          `<tr><td>${code(w.workspace_id)}</td><td>${w.origin ? esc(time(w.origin)) : esc(t.noChain)}</td><td>${w.first_seq === null ? '—' : `#${w.first_seq} – #${w.last_seq}`}</td>` +
          `<td>${w.uncovered.length ? w.uncovered.map((u) => `${esc(time(u.from))} – ${esc(time(u.to))}`).join('<br>') : esc(t.nothingMissing)}</td></tr>`,
      )
      .join(''),
    heads: input.heads
      .map(
        (h) =>
          `<tr><td>${code(h.workspaceId)}</td><td>#${h.seq} ${code(`${h.sha256.slice(0, 16)}…`)}</td><td>${esc(time(h.checkpoint))}</td></tr>`,
      )
      .join(''),
    queries: input.results
      .map((r) => {
        const text = lang === 'ja' && r.query.ja ? r.query.ja : r.query;
        return (
          `<tr><td><strong>${esc(text.title)}</strong><br><span class="q">${esc(text.question)}</span></td><td>${esc(text.control)}</td>` +
          `<td class="n">${n(r.result.rows.length)}</td><td><a href="${esc(r.file)}">${code(r.file)}</a><br>${code(`${r.sha256.slice(0, 16)}…`)}</td></tr>`
        );
      })
      .join(''),
    types: [...perType]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(
        ([type, count]) =>
          `<tr><td>${esc(typeLabel(type, lang))}</td><td>${code(type)}</td><td>${(GROUP_OF.get(type) ?? []).map(code).join(' ') || esc(t.noGroup)}</td><td class="n">${n(count)}</td></tr>`,
      )
      .join(''),
    access:
      access.method === 'roster'
        ? `<p>${esc(t.accessRoster(access.snapshots.map((s) => `${s.workspace_id} ${s.date}`).join(', ')))}</p>${access.withoutSnapshot.length ? `<p>${esc(t.accessMixed(access.withoutSnapshot.join(', ')))}</p>` : ''}`
        : `<p>${esc(t.accessHistory)}</p>`,
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
    ? `<br>${esc(time(`${input.period.start_date}T00:00:00Z`))} – ${esc(time(new Date(Date.parse(`${input.period.end_date}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', 'Z')))}`
    : '';
  return `${esc(input.period.start_date)} – ${esc(input.period.end_date)} (UTC)${local}`;
}

export function renderSummary(input: SummaryInput): string {
  const t = TEXT[input.lang];
  const time: Time = (isoTime) => (isoTime ? withLocalTime(isoTime, input.timezone) : '—');
  const c = charts(input, t);
  const rows = tables(input, t, time, c.perType);
  const th = (...names: string[]) =>
    `<tr>${names.map((x) => `<th${x === t.rows || x === t.count ? ' class="n"' : ''}>${esc(x)}</th>`).join('')}</tr>`;
  return `<!DOCTYPE html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(t.title)} ${esc(input.quarter)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<p class="completeness ${input.coverage.complete ? 'complete' : 'partial'}">${esc(input.statement)}</p>
<h1>${esc(t.title)}</h1>
<p><strong>${esc(input.quarter)}</strong></p>
<table class="meta">
<tr><td>${esc(t.period)}</td><td>${periodCell(input, time)}</td></tr>
<tr><td>${esc(t.generated)}</td><td>${esc(time(input.generatedAt))}</td></tr>
<tr><td>${esc(t.engine)}</td><td>${code(input.engine)}</td></tr>
</table>
<p class="spreadsheet">${['pack.xlsx', 'report reperform', '--bom'].reduce((text, id) => text.replace(id, code(id)), esc(t.spreadsheet))}</p>
<h2>${esc(t.coverage)}</h2>
<table>${th(t.workspace, t.origin, t.windows, t.uncovered)}${rows.coverage}</table>
<h2>${esc(t.archive)}</h2>
<table>${th(t.workspace, t.head, t.coveredUntil)}${rows.heads}</table>
<h2>${esc(t.populationSection)}</h2>
<p>${esc(t.population(n(input.population.entries)))}</p>
${renderExceptions(input.exceptions, { t, lang: input.lang, time })}
<h2>${esc(t.accessSection)}</h2>
${rows.access}
<h2>${esc(t.activitySection)}</h2>
${c.activity}
${c.topTypes}
<h2>${esc(t.exportsSection)}</h2>
${c.exports}
<h2>${esc(t.lifecycleSection)}</h2>
${c.lifecycle}
<h2>${esc(t.queries)}</h2>
<table>${th(t.query, t.control, t.rows, t.file)}${rows.queries}</table>
<h2>${esc(t.typesSection)}</h2>
<table>${th(t.label, t.identifier, t.group, t.count)}${rows.types}</table>
<footer>${esc(t.reperform).replace('manifest.json', code('manifest.json'))}</footer>
<h2>${esc(t.signOff)}</h2>
<table class="signoff">
<tr><td>${esc(t.preparedBy)}</td><td></td></tr>
<tr><td>${esc(t.reviewedBy)}</td><td></td></tr>
<tr><td>${esc(t.date)}</td><td></td></tr>
</table>
</body>
</html>
`;
}
