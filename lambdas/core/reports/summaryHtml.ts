/**
 * summary.html: what an auditor reads first. One self-contained file — inline CSS and SVG
 * charts, no script, no CDN — so it renders offline and can be archived as evidence.
 * Its first line of text says whether the archive covers the whole period.
 */
import { KNOWN_ACTIVITY_TYPES } from '../intercom/activityTypes.ts';
import type { Cell, QueryResult } from '../ports.ts';
import type { CannedQuery } from '../queries/catalog.ts';
import { ACTIVITY_GROUPS } from '../queries/groups.ts';
import { activityTypeLabel } from '../queries/labels.ts';
import type { Coverage } from './coverage.ts';
import type { Exceptions } from './exceptions.ts';
import type { Population } from './population.ts';
import { withLocalTime } from './timezone.ts';

export type Lang = 'en' | 'ja';

/** How the access review's population was drawn (a roster snapshot, or the archive's history). */
export interface AccessReviewBasis {
  readonly method: 'roster' | 'history';
  /** Per workspace: the roster snapshot day used (roster method). */
  readonly snapshots: readonly { workspace_id: string; date: string }[];
  /** Workspaces without a snapshot at period end (they fall back to history). */
  readonly withoutSnapshot: readonly string[];
}

const TEXT = {
  en: {
    title: 'Intercom teammate activity — compliance report',
    period: 'Period',
    generated: 'Generated',
    engine: 'Query engine',
    coverage: 'Coverage',
    origin: 'Archive starts',
    windows: 'Windows in the period',
    uncovered: 'Not held',
    nothingMissing: 'nothing',
    noChain: 'no archive',
    archive: 'Archive evidence',
    workspace: 'Workspace',
    head: 'Manifest chain head',
    coveredUntil: 'Collection complete up to',
    populationSection: 'Population and exceptions',
    population: (n: string) => `The queries were drawn from ${n} archived entries in the period.`,
    quarantinedTitle: 'Quarantined entries (failed validation; kept verbatim under quarantine/, in no CSV)',
    conflictsTitle: 'Conflicts (Intercom served an archived id again with different content)',
    rejectedTitle: 'Rejected parts (not read by any query)',
    unlistedTitle: 'Objects no manifest lists (never read by any query)',
    ungroupedTitle: 'Activity types in no query group (counted in the activity summary only)',
    lookbackTitle: 'Look-backs that reach before the archive starts',
    lookbackText: (q: string, from: string, origin: string) =>
      `${q} looks back to ${from}, but the archive starts at ${origin}: earlier history is missing, so its first sightings in the period may be flagged as new.`,
    noneFound: 'None.',
    time: 'Time',
    reason: 'Reason',
    id: 'Id',
    part: 'Part',
    key: 'Object',
    count: 'Entries',
    notInEnum: 'not in the documented type list',
    accessSection: 'Access review method',
    accessRoster: (s: string) =>
      `The access review lists every teammate in the roster snapshot saved at the end of the period (${s}) or active in the period. A dormant account has no activity in the period but still appears in the roster.`,
    accessHistory:
      'No roster snapshot covers the end of the period, so the access review falls back to the archive\u2019s whole history: every teammate who acted or was the subject of a lifecycle or permission event up to the period end, minus those removed before it began. Accounts that never appear in the archived history are missing from it; a dormant account has no activity in the period.',
    accessMixed: (ws: string) => `These workspaces have no roster snapshot and use the archive\u2019s history instead: ${ws}.`,
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
    total: (n: string) => `total ${n}`,
    topOf: (n: number, m: number, shown: number) =>
      shown > n ? `top ${n} of ${m} (${shown} shown: ties at the cut are kept)` : `top ${n} of ${m}`,
    allOf: (m: number) => `all ${m}`,
    none: 'No rows in this period.',
    typesSection: 'Activity types in this period',
    label: 'Label',
    identifier: 'Identifier',
    group: 'Query group',
    noGroup: 'none',
    reperform:
      'Every CSV was produced by the SQL shown in manifest.json, with the parameters listed there, from the archive whose manifest chain heads are listed above. An assessor can re-run each query and compare the SHA-256 of each file. Times in the CSVs are UTC.',
    signOff: 'Review sign-off',
    preparedBy: 'Prepared by',
    reviewedBy: 'Reviewed by',
    date: 'Date',
  },
  ja: {
    title: 'Intercom チームメイト操作ログ — コンプライアンスレポート',
    period: '対象期間',
    generated: '作成日時',
    engine: 'クエリエンジン',
    coverage: '網羅範囲',
    origin: 'アーカイブの開始',
    windows: '期間内のウィンドウ',
    uncovered: '保持していない範囲',
    nothingMissing: 'なし',
    noChain: 'アーカイブなし',
    archive: 'アーカイブの証跡',
    workspace: 'ワークスペース',
    head: 'マニフェストチェーンの先頭',
    coveredUntil: '収集完了時点',
    populationSection: '母集団と例外',
    population: (n: string) => `各クエリは対象期間にアーカイブされた ${n} 件の操作ログから抽出されました。`,
    quarantinedTitle: '隔離されたエントリ(検証に失敗したもの。quarantine/ に原文のまま保存され、どの CSV にも含まれません)',
    conflictsTitle: '競合(アーカイブ済みの ID が異なる内容で再び提供されたもの)',
    rejectedTitle: '却下されたパート(どのクエリも読みません)',
    unlistedTitle: 'どのマニフェストにも記載されていないオブジェクト(どのクエリも読みません)',
    ungroupedTitle: 'どのクエリグループにも属さない操作種別(操作の概要にのみ計上)',
    lookbackTitle: 'アーカイブ開始前に及ぶ遡り',
    lookbackText: (q: string, from: string, origin: string) =>
      `${q} は ${from} まで遡りますが、アーカイブの開始は ${origin} です。それ以前の履歴がないため、期間内で初めて見えたものが新規として扱われることがあります。`,
    noneFound: 'なし。',
    time: '日時',
    reason: '理由',
    id: 'ID',
    part: 'パート',
    key: 'オブジェクト',
    count: '件数',
    notInEnum: '文書化された種別一覧にない',
    accessSection: 'アクセスレビューの方法',
    accessRoster: (s: string) =>
      `アクセスレビューには、期間末に保存されたチームメイト一覧のスナップショット(${s})に含まれる全員と、期間内に操作した全員が含まれます。休眠アカウントとは、期間内に操作がなく、一覧には残っているアカウントです。`,
    accessHistory:
      '期間末を含むチームメイト一覧のスナップショットがないため、アクセスレビューはアーカイブの全履歴に基づきます。期間末までに操作した、またはライフサイクル・権限イベントの対象になったチームメイト全員から、期間開始前に削除された者を除いたものです。アーカイブの履歴に一度も現れないアカウントは含まれません。休眠アカウントとは、期間内に操作がないアカウントです。',
    accessMixed: (ws: string) => `次のワークスペースにはスナップショットがなく、アーカイブの履歴を使っています: ${ws}。`,
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
    total: (n: string) => `合計 ${n} 件`,
    topOf: (n: number, m: number, shown: number) =>
      shown > n ? `${m} 件中の上位 ${n} 件(同数のため ${shown} 件を表示)` : `${m} 件中の上位 ${n} 件`,
    allOf: (m: number) => `全 ${m} 件`,
    none: 'この期間に該当する行はありません。',
    typesSection: 'この期間の操作種別',
    label: '名称',
    identifier: '識別子',
    group: 'クエリグループ',
    noGroup: 'なし',
    reperform:
      '各 CSV は manifest.json に記載された SQL とパラメータにより、上記のマニフェストチェーン先頭が示すアーカイブから作成されました。監査人は各クエリを再実行し、各ファイルの SHA-256 を照合できます。CSV の日時は UTC です。',
    signOff: 'レビューの承認',
    preparedBy: '作成者',
    reviewedBy: 'レビュー者',
    date: '日付',
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
  /** The completeness line the summary opens with. */
  readonly statement: string;
  readonly coverage: Coverage;
  readonly population: Population;
  readonly exceptions: Exceptions;
  readonly accessReview: AccessReviewBasis;
  /** IANA zone shown beside UTC. */
  readonly timezone?: string;
}

// biome-ignore lint/suspicious/noShadowRestrictedNames: the file's HTML escape; the deprecated global escape() is never used
const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const code = (text: unknown) => `<code>${escape(text)}</code>`;

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

function column(result: QueryResult | undefined, name: string): Cell[] {
  if (!result) return [];
  const i = result.columns.indexOf(name);
  return i < 0 ? [] : result.rows.map((r) => r[i] ?? null);
}

function countBy(values: Cell[]): Bar[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(String(v ?? '—'), (counts.get(String(v ?? '—')) ?? 0) + 1);
  return [...counts].map(([label, value]) => ({ label, value }));
}

const GROUP_OF = new Map<string, string[]>();
for (const [group, types] of Object.entries(ACTIVITY_GROUPS)) for (const t of types) GROUP_OF.set(t, [...(GROUP_OF.get(t) ?? []), group]);

/** A type's label for charts: the table's label, else (English) its words, else (Japanese) the identifier. */
export function typeLabel(type: string, lang: Lang): string {
  return activityTypeLabel(type, lang) ?? (lang === 'en' ? `${type.charAt(0).toUpperCase()}${type.slice(1).replace(/_/g, ' ')}` : type);
}

export function renderSummary(input: SummaryInput): string {
  const t = TEXT[input.lang];
  const lang = input.lang;
  const n = (x: number) => x.toLocaleString('en-US');
  const time = (isoTime: string | null | undefined) => (isoTime ? withLocalTime(isoTime, input.timezone) : '—');
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
  const chart = (title: string, bars: Bar[], top: number | undefined, unit: (m: number) => string) => {
    const shown = top === undefined ? [...bars].sort((a, b) => (a.label < b.label ? -1 : 1)) : topWithTies(bars, top);
    const note =
      bars.length === 0
        ? ''
        : `${top !== undefined && bars.length > top ? t.topOf(top, bars.length, shown.length) : t.allOf(bars.length)} ${unit(bars.length)}, ${t.total(n(sum(bars)))}`.replace(
            /\s+,/,
            ',',
          );
    return barChart(title, shown, t.none, note);
  };
  const noUnit = () => '';
  const activity = chart(
    t.activity,
    [...perMonth].map(([label, value]) => ({ label, value })),
    undefined,
    noUnit,
  );
  const typeBars = [...perType].map(([type, value]) => ({ label: typeLabel(type, lang), value }));
  const topTypes = chart(t.topTypes, typeBars, 15, noUnit);
  const exports = chart(t.exports, countBy(column(byName.get('gdpr_data_exports'), 'teammate_email')), 20, noUnit);
  const lifecycle = chart(
    t.lifecycle,
    countBy(column(byName.get('soc2_teammate_lifecycle'), 'activity_type')).map((b) => ({
      label: typeLabel(b.label, lang),
      value: b.value,
    })),
    undefined,
    noUnit,
  );

  const coverageRows = input.coverage.workspaces
    .map(
      (w) =>
        `<tr><td>${code(w.workspace_id)}</td><td>${w.origin ? escape(time(w.origin)) : escape(t.noChain)}</td><td>${w.first_seq === null ? '—' : `#${w.first_seq} – #${w.last_seq}`}</td>` +
        `<td>${w.uncovered.length ? w.uncovered.map((u) => `${escape(time(u.from))} – ${escape(time(u.to))}`).join('<br>') : escape(t.nothingMissing)}</td></tr>`,
    )
    .join('');
  const heads = input.heads
    .map(
      (h) =>
        `<tr><td>${code(h.workspaceId)}</td><td>#${h.seq} ${code(`${h.sha256.slice(0, 16)}…`)}</td><td>${escape(time(h.checkpoint))}</td></tr>`,
    )
    .join('');
  const queries = input.results
    .map((r) => {
      const text = lang === 'ja' && r.query.ja ? r.query.ja : r.query;
      return (
        `<tr><td><strong>${escape(text.title)}</strong><br><span class="q">${escape(text.question)}</span></td><td>${escape(text.control)}</td>` +
        `<td class="n">${n(r.result.rows.length)}</td><td><a href="${escape(r.file)}">${code(r.file)}</a><br>${code(`${r.sha256.slice(0, 16)}…`)}</td></tr>`
      );
    })
    .join('');

  const ex = input.exceptions;
  const table = (title: string, count: number, head: string[], rows: string[][]) =>
    `<h3>${escape(title)}: ${n(count)}</h3>` +
    (rows.length === 0
      ? `<p class="empty">${escape(t.noneFound)}</p>`
      : `<table><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`);
  const str = (v: unknown) => code(typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v ?? null));
  const exceptionsHtml = [
    table(
      t.quarantinedTitle,
      ex.quarantined.length,
      [t.time, t.workspace, t.reason, t.id, t.part],
      ex.quarantined.map((q) => [escape(time(q.time)), code(q.workspace_id), code(q.reason), code(q.id ?? '—'), code(q.part)]),
    ),
    table(
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
      t.rejectedTitle,
      ex.rejected_parts.length,
      [t.workspace, t.key, t.reason],
      ex.rejected_parts.map((r) => [str(r.workspace_id), str(r.key), str(r.reason)]),
    ),
    table(
      t.unlistedTitle,
      ex.unlisted_objects.length,
      [t.key],
      ex.unlisted_objects.map((o) => [code(o.key)]),
    ),
    table(
      t.ungroupedTitle,
      ex.ungrouped_types.length,
      [t.label, t.identifier, t.count],
      ex.ungrouped_types.map((u) => [
        escape(typeLabel(u.activity_type, lang)),
        `${code(u.activity_type)}${KNOWN_ACTIVITY_TYPES.includes(u.activity_type) ? '' : ` <span class="q">(${escape(t.notInEnum)})</span>`}`,
        `<span class="n">${n(u.count)}</span>`,
      ]),
    ),
    `<h3>${escape(t.lookbackTitle)}: ${n(ex.lookback_before_origin.length)}</h3>` +
      (ex.lookback_before_origin.length === 0
        ? `<p class="empty">${escape(t.noneFound)}</p>`
        : `<ul>${ex.lookback_before_origin.map((l) => `<li>${code(l.workspace_id)}: ${t.lookbackText(code(l.query), escape(time(l.needs_from)), escape(time(l.origin)))}</li>`).join('')}</ul>`),
  ].join('\n');

  const access = input.accessReview;
  const accessHtml =
    access.method === 'roster'
      ? `<p>${escape(t.accessRoster(access.snapshots.map((s) => `${s.workspace_id} ${s.date}`).join(', ')))}</p>${access.withoutSnapshot.length ? `<p>${escape(t.accessMixed(access.withoutSnapshot.join(', ')))}</p>` : ''}`
      : `<p>${escape(t.accessHistory)}</p>`;

  const typeRows = [...perType]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([type, count]) =>
        `<tr><td>${escape(typeLabel(type, lang))}</td><td>${code(type)}</td><td>${(GROUP_OF.get(type) ?? []).map(code).join(' ') || escape(t.noGroup)}</td><td class="n">${n(count)}</td></tr>`,
    )
    .join('');

  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(t.title)} ${escape(input.quarter)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;margin:2rem auto;max-width:980px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}h3{font-size:1rem;margin-top:1.25rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #eaeef2;padding:.4rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.n{text-align:right}.q{color:#57606a;font-size:.85rem}code{font-size:.8rem;word-break:break-all}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.5rem}svg text{font-size:12px;fill:#1b1f24}svg rect{fill:#0969da}
.meta td:first-child{width:12rem;color:#57606a}.empty{color:#57606a}footer{margin-top:2rem;color:#57606a;font-size:.85rem}
.completeness{font-size:1.1rem;font-weight:700;padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem}.complete{background:#dafbe1}.partial{background:#ffebe9}
.signoff td{height:2.2rem}.signoff td:first-child{width:12rem;color:#57606a}
</style>
</head>
<body>
<p class="completeness ${input.coverage.complete ? 'complete' : 'partial'}">${escape(input.statement)}</p>
<h1>${escape(t.title)}</h1>
<p><strong>${escape(input.quarter)}</strong></p>
<table class="meta">
<tr><td>${escape(t.period)}</td><td>${escape(input.period.start_date)} – ${escape(input.period.end_date)} (UTC)${input.timezone ? `<br>${escape(time(`${input.period.start_date}T00:00:00Z`))} – ${escape(time(new Date(Date.parse(`${input.period.end_date}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', 'Z')))}` : ''}</td></tr>
<tr><td>${escape(t.generated)}</td><td>${escape(time(input.generatedAt))}</td></tr>
<tr><td>${escape(t.engine)}</td><td>${code(input.engine)}</td></tr>
</table>
<h2>${escape(t.coverage)}</h2>
<table><tr><th>${escape(t.workspace)}</th><th>${escape(t.origin)}</th><th>${escape(t.windows)}</th><th>${escape(t.uncovered)}</th></tr>${coverageRows}</table>
<h2>${escape(t.archive)}</h2>
<table><tr><th>${escape(t.workspace)}</th><th>${escape(t.head)}</th><th>${escape(t.coveredUntil)}</th></tr>${heads}</table>
<h2>${escape(t.populationSection)}</h2>
<p>${escape(t.population(n(input.population.entries)))}</p>
${exceptionsHtml}
<h2>${escape(t.accessSection)}</h2>
${accessHtml}
<h2>${escape(t.activitySection)}</h2>
${activity}
${topTypes}
<h2>${escape(t.exportsSection)}</h2>
${exports}
<h2>${escape(t.lifecycleSection)}</h2>
${lifecycle}
<h2>${escape(t.queries)}</h2>
<table><tr><th>${escape(t.query)}</th><th>${escape(t.control)}</th><th class="n">${escape(t.rows)}</th><th>${escape(t.file)}</th></tr>${queries}</table>
<h2>${escape(t.typesSection)}</h2>
<table><tr><th>${escape(t.label)}</th><th>${escape(t.identifier)}</th><th>${escape(t.group)}</th><th class="n">${escape(t.count)}</th></tr>${typeRows}</table>
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
