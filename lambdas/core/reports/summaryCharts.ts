/** The building blocks of summary.html: HTML escaping, inline SVG bar charts, activity-type labels. */
import type { Cell, QueryResult } from '../ports.ts';
import { ACTIVITY_GROUPS } from '../queries/groups.ts';
import { activityTypeLabel } from '../queries/labels.ts';
import type { Lang } from './summaryText.ts';

// biome-ignore lint/suspicious/noShadowRestrictedNames: the file's HTML escape; the deprecated global escape() is never used
const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** HTML-escapes text for summary.html. */
export const escapeHtml = escape;
export const code = (text: unknown) => `<code>${escape(text)}</code>`;

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/**
 * The first `n` bars by value, plus every bar tied with the n-th: a cut never drops a tie
 * silently. Ties are ordered by label so the output is deterministic.
 */
export function topWithTies(bars: readonly Bar[], n: number): Bar[] {
  const sorted = [...bars].sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  if (sorted.length <= n) return sorted;
  const threshold = sorted[n - 1]!.value;
  return sorted.filter((b, i) => i < n || b.value === threshold);
}

/** A horizontal bar chart as inline SVG; `note` says how many of how many are shown and the total. */
export function barChart(title: string, bars: readonly Bar[], emptyText: string, note = ''): string {
  const caption = `${escape(title)}${note ? ` <span class="q">— ${escape(note)}</span>` : ''}`;
  if (bars.length === 0) return `<figure><figcaption>${caption}</figcaption><p class="empty">${escape(emptyText)}</p></figure>`;
  const rowHeight = 22;
  const labelWidth = 300;
  const width = 760;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const rows = bars
    .map((bar, i) => {
      const y = i * rowHeight;
      const w = Math.max(1, Math.round(((width - labelWidth - 60) * bar.value) / max));
      return (
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(bar.label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" rx="2"></rect>` +
        `<text x="${labelWidth + w + 6}" y="${y + 15}">${bar.value.toLocaleString('en-US')}</text>`
      );
    })
    .join('');
  return `<figure><figcaption>${caption}</figcaption><svg role="img" aria-label="${escape(title)}" width="${width}" height="${bars.length * rowHeight}" viewBox="0 0 ${width} ${bars.length * rowHeight}">${rows}</svg></figure>`;
}

export function column(result: QueryResult | undefined, name: string): Cell[] {
  if (!result) return [];
  const i = result.columns.indexOf(name);
  return i < 0 ? [] : result.rows.map((r) => r[i] ?? null);
}

export function countBy(values: Cell[]): Bar[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(String(v ?? '—'), (counts.get(String(v ?? '—')) ?? 0) + 1);
  return [...counts].map(([label, value]) => ({ label, value }));
}

export const GROUP_OF = new Map<string, string[]>();
for (const [group, types] of Object.entries(ACTIVITY_GROUPS)) for (const t of types) GROUP_OF.set(t, [...(GROUP_OF.get(t) ?? []), group]);

/** A type's label for charts: the table's label, else (English) its words, else (Japanese) the identifier. */
export function typeLabel(type: string, lang: Lang): string {
  return activityTypeLabel(type, lang) ?? (lang === 'en' ? `${type.charAt(0).toUpperCase()}${type.slice(1).replace(/_/g, ' ')}` : type);
}
