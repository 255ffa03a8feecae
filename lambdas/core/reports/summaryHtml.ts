/**
 * summary.html: what an auditor reads first. One self-contained file — inline CSS and SVG
 * charts, no script, no CDN — so it renders offline and can be archived as evidence.
 */
import type { Cell, QueryResult } from '../ports.ts';
import type { CannedQuery } from '../queries/catalog.ts';

export type Lang = 'en' | 'ja';

const TEXT = {
  en: {
    title: 'Intercom teammate activity — compliance report',
    period: 'Period',
    generated: 'Generated',
    engine: 'Query engine',
    archive: 'Archive evidence',
    workspace: 'Workspace',
    head: 'Manifest chain head',
    coveredUntil: 'Collected up to',
    queries: 'Canned queries',
    query: 'Query',
    control: 'Control',
    rows: 'Rows',
    file: 'File',
    activitySection: 'Activity',
    exportsSection: 'Data exports',
    lifecycleSection: 'Teammate lifecycle',
    activity: 'Activity over time (events per month)',
    exports: 'Data exports per teammate',
    lifecycle: 'Teammate lifecycle events',
    topTypes: 'Most frequent activity types',
    none: 'No rows in this period.',
    reperform:
      'Every CSV was produced by the SQL shown in manifest.json, with the parameters listed there, from the archive whose manifest chain heads are listed above. An assessor can re-run each query and compare the SHA-256 of each file.',
  },
  ja: {
    title: 'Intercom チームメイト操作ログ — コンプライアンスレポート',
    period: '対象期間',
    generated: '作成日時',
    engine: 'クエリエンジン',
    archive: 'アーカイブの証跡',
    workspace: 'ワークスペース',
    head: 'マニフェストチェーンの先頭',
    coveredUntil: '収集済みの時点',
    queries: '定型クエリ',
    query: 'クエリ',
    control: '統制',
    rows: '行数',
    file: 'ファイル',
    activitySection: '操作の概要',
    exportsSection: 'データエクスポート',
    lifecycleSection: 'チームメイトのライフサイクル',
    activity: '月別の操作件数',
    exports: 'チームメイト別のデータエクスポート件数',
    lifecycle: 'チームメイトのライフサイクルイベント',
    topTypes: '件数の多い操作種別',
    none: 'この期間に該当する行はありません。',
    reperform:
      '各 CSV は manifest.json に記載された SQL とパラメータにより、上記のマニフェストチェーン先頭が示すアーカイブから作成されました。監査人は各クエリを再実行し、各ファイルの SHA-256 を照合できます。',
  },
} as const;

export interface SummaryInput {
  readonly lang: Lang;
  readonly quarter: string;
  readonly period: { start_date: string; end_date: string };
  readonly generatedAt: string;
  readonly engine: string;
  readonly heads: readonly { workspaceId: string; seq: number; sha256: string; checkpoint: string }[];
  readonly results: readonly { query: CannedQuery; result: QueryResult; file: string; sha256: string }[];
  /** Objects in the period the chain does not list as data (never read), and conflicting versions. */
  readonly disclosures?: readonly { kind: string; key: string; reason: string }[];
}

const escape = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A horizontal bar chart as inline SVG. */
export function barChart(title: string, bars: readonly { label: string; value: number }[], emptyText: string): string {
  if (bars.length === 0) return `<figure><figcaption>${escape(title)}</figcaption><p class="empty">${escape(emptyText)}</p></figure>`;
  const rowHeight = 22;
  const labelWidth = 260;
  const width = 720;
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
  return `<figure><figcaption>${escape(title)}</figcaption><svg role="img" aria-label="${escape(title)}" width="${width}" height="${bars.length * rowHeight}" viewBox="0 0 ${width} ${bars.length * rowHeight}">${rows}</svg></figure>`;
}

function column(result: QueryResult | undefined, name: string): Cell[] {
  if (!result) return [];
  const i = result.columns.indexOf(name);
  return i < 0 ? [] : result.rows.map((r) => r[i] ?? null);
}

function countBy(values: Cell[]): { label: string; value: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(String(v ?? '—'), (counts.get(String(v ?? '—')) ?? 0) + 1);
  return [...counts].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : 1));
}

export function renderSummary(input: SummaryInput): string {
  const t = TEXT[input.lang];
  const byName = new Map(input.results.map((r) => [r.query.name, r.result]));
  const summary = byName.get('activity_summary');
  const dims = column(summary, 'dimension');
  const months = column(summary, 'month');
  const values = column(summary, 'value');
  const events = column(summary, 'events');
  const perMonth = new Map<string, number>();
  const perType = new Map<string, number>();
  dims.forEach((d, i) => {
    const n = Number(events[i] ?? 0);
    if (d === 'performed_by_type') perMonth.set(String(months[i]), (perMonth.get(String(months[i])) ?? 0) + n);
    if (d === 'activity_type') perType.set(String(values[i]), (perType.get(String(values[i])) ?? 0) + n);
  });
  const activity = [...perMonth].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, value]) => ({ label, value }));
  const topTypes = [...perType].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : 1)).slice(0, 15);
  const exports = countBy(column(byName.get('gdpr_data_exports'), 'teammate_email')).slice(0, 20);
  const lifecycle = countBy(column(byName.get('soc2_teammate_lifecycle'), 'activity_type'));

  const heads = input.heads
    .map((h) => `<tr><td>${escape(h.workspaceId)}</td><td>#${h.seq} <code>${escape(h.sha256.slice(0, 16))}…</code></td><td>${escape(h.checkpoint)}</td></tr>`)
    .join('');
  const disclosures = input.disclosures?.length
    ? `<h2>Exceptions — objects not read as data (${input.disclosures.length})</h2><table><tr><th>kind</th><th>object</th><th>reason</th></tr>${input.disclosures
        .map((d) => `<tr><td>${escape(d.kind)}</td><td><code>${escape(d.key)}</code></td><td>${escape(d.reason)}</td></tr>`)
        .join('')}</table>`
    : '';
  const queries = input.results
    .map(
      (r) =>
        `<tr><td><strong>${escape(r.query.title)}</strong><br><span class="q">${escape(r.query.question)}</span></td><td>${escape(r.query.control)}</td>` +
        `<td class="n">${r.result.rows.length.toLocaleString('en-US')}</td><td><a href="${escape(r.file)}">${escape(r.file)}</a><br><code>${escape(r.sha256.slice(0, 16))}…</code></td></tr>`,
    )
    .join('');

  return `<!DOCTYPE html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(t.title)} ${escape(input.quarter)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;margin:2rem auto;max-width:960px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #eaeef2;padding:.4rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.n{text-align:right}.q{color:#57606a;font-size:.85rem}code{font-size:.8rem}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.5rem}svg text{font-size:12px;fill:#1b1f24}svg rect{fill:#0969da}
.meta td:first-child{width:12rem;color:#57606a}.empty{color:#57606a}footer{margin-top:2rem;color:#57606a;font-size:.85rem}
</style>
</head>
<body>
<h1>${escape(t.title)}</h1>
<p><strong>${escape(input.quarter)}</strong></p>
<table class="meta">
<tr><td>${escape(t.period)}</td><td>${escape(input.period.start_date)} – ${escape(input.period.end_date)} (UTC)</td></tr>
<tr><td>${escape(t.generated)}</td><td>${escape(input.generatedAt)}</td></tr>
<tr><td>${escape(t.engine)}</td><td>${escape(input.engine)}</td></tr>
</table>
<h2>${escape(t.archive)}</h2>
<table><tr><th>${escape(t.workspace)}</th><th>${escape(t.head)}</th><th>${escape(t.coveredUntil)}</th></tr>${heads}</table>
${disclosures}
<h2>${escape(t.activitySection)}</h2>
${barChart(t.activity, activity, t.none)}
${barChart(t.topTypes, topTypes, t.none)}
<h2>${escape(t.exportsSection)}</h2>
${barChart(t.exports, exports, t.none)}
<h2>${escape(t.lifecycleSection)}</h2>
${barChart(t.lifecycle, lifecycle, t.none)}
<h2>${escape(t.queries)}</h2>
<table><tr><th>${escape(t.query)}</th><th>${escape(t.control)}</th><th class="n">${escape(t.rows)}</th><th>${escape(t.file)}</th></tr>${queries}</table>
<footer>${escape(t.reperform)}</footer>
</body>
</html>
`;
}
