/** The "Population and exceptions" tables of summary.html: everything the CSVs leave out, named. */
import { KNOWN_ACTIVITY_TYPES } from '../intercom/activityTypes.ts';
import type { Exceptions } from './exceptions.ts';
import { code, escapeHtml as esc, typeLabel } from './summaryCharts.ts';
import type { Lang, SummaryText } from './summaryText.ts';

export interface ExceptionsView {
  readonly t: SummaryText;
  readonly lang: Lang;
  /** UTC (and local) time for display. */
  readonly time: (isoTime: string | null | undefined) => string;
}

const n = (x: number) => x.toLocaleString('en-US');
const str = (v: unknown) => code(typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v ?? null));

function table(t: SummaryText, title: string, count: number, head: string[], rows: string[][]): string {
  return (
    `<h3>${esc(title)}: ${n(count)}</h3>` +
    (rows.length === 0
      ? `<p class="empty">${esc(t.noneFound)}</p>`
      : `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`)
  );
}

function lookbacks(ex: Exceptions, { t, time }: ExceptionsView): string {
  return (
    `<h3>${esc(t.lookbackTitle)}: ${n(ex.lookback_before_origin.length)}</h3>` +
    (ex.lookback_before_origin.length === 0
      ? `<p class="empty">${esc(t.noneFound)}</p>`
      : `<ul>${ex.lookback_before_origin.map((l) => `<li>${code(l.workspace_id)}: ${t.lookbackText(code(l.query), esc(time(l.needs_from)), esc(time(l.origin)))}</li>`).join('')}</ul>`)
  );
}

export function renderExceptions(ex: Exceptions, view: ExceptionsView): string {
  const { t, lang, time } = view;
  return [
    table(
      t,
      t.quarantinedTitle,
      ex.quarantined.length,
      [t.time, t.workspace, t.reason, t.id, t.part],
      ex.quarantined.map((q) => [esc(time(q.time)), code(q.workspace_id), code(q.reason), code(q.id ?? '—'), code(q.part)]),
    ),
    table(
      t,
      t.conflictsTitle,
      ex.conflicts.length,
      [t.workspace, t.id, 'archived_sha256', 'served_sha256', t.part],
      ex.conflicts.map((c) => [
        str(c.workspace_id),
        str(c.id),
        str(c.archived_sha256),
        str(c.served_sha256),
        `${str(c.archived_part)}<br>${str(c.quarantine_part)}`,
      ]),
    ),
    table(
      t,
      t.rejectedTitle,
      ex.rejected_parts.length,
      [t.workspace, t.key, t.reason],
      ex.rejected_parts.map((r) => [str(r.workspace_id), str(r.key), str(r.reason)]),
    ),
    table(
      t,
      t.unlistedTitle,
      ex.unlisted_objects.length,
      [t.key],
      ex.unlisted_objects.map((o) => [code(o.key)]),
    ),
    table(
      t,
      t.ungroupedTitle,
      ex.ungrouped_types.length,
      [t.label, t.identifier, t.count],
      ex.ungrouped_types.map((u) => [
        esc(typeLabel(u.activity_type, lang)),
        `${code(u.activity_type)}${KNOWN_ACTIVITY_TYPES.includes(u.activity_type) ? '' : ` <span class="q">(${esc(t.notInEnum)})</span>`}`,
        `<span class="n">${n(u.count)}</span>`,
      ]),
    ),
    lookbacks(ex, view),
  ].join('\n');
}
