/** The search page: the filter bar, the timeline, the results table with paging and sorting, CSV export. */
import { getJson } from './api.ts';
import { h, replace } from './dom.ts';
import { type Key, t } from './i18n.ts';
import { type Meta, formatTime, go, rangeOf, settings, typeLabel } from './state.ts';
import { type Timeline, renderTimeline } from './timeline.ts';

interface Results {
  columns: string[];
  rows: (string | number | null)[][];
  matches: number;
  more: boolean;
}

const FILTERS = ['from', 'to', 'teammate', 'group', 'text', 'mentions', 'ip'] as const;
const SORTABLE: [string, Key][] = [
  ['created_at', 'col_time'],
  ['activity_type', 'col_type'],
  ['performed_by_email', 'col_teammate'],
  ['performed_by_ip', 'col_ip'],
];

function input(id: string, labelKey: Key, value: string, type = 'text', extra: Record<string, string> = {}): HTMLElement {
  return h(
    'label',
    { class: 'field', for: id },
    h('span', {}, t(settings.lang, labelKey)),
    h('input', { id, name: id.slice(2), type, value, autocomplete: 'off', ...extra }),
  );
}

async function filterBar(meta: Meta, params: URLSearchParams): Promise<HTMLFormElement> {
  const lang = settings.lang;
  const range = rangeOf(params, meta);
  const facets = await getJson<{ types: { activity_type: string; events: number }[]; teammates: { id: string; email: string }[] }>(
    'api/facets',
    new URLSearchParams(range),
  );
  const chosen = new Set(params.getAll('type'));
  const types = new Set([...facets.types.map((f) => f.activity_type), ...chosen]);
  const form = h(
    'form',
    { id: 'filters', class: 'filters', role: 'search' },
    input('f-from', 'from', range.from, 'date'),
    input('f-to', 'to', range.to, 'date'),
    input('f-teammate', 'teammate', params.get('teammate') ?? '', 'text', { list: 'teammates' }),
    h(
      'datalist',
      { id: 'teammates' },
      facets.teammates.map((m) => h('option', { value: m.email ?? m.id }, m.id)),
    ),
    h(
      'label',
      { class: 'field types', for: 'f-type' },
      h('span', {}, t(lang, 'types')),
      h(
        'select',
        { id: 'f-type', name: 'type', multiple: true, size: '4' },
        [...types].sort().map((type) => h('option', { value: type, selected: chosen.has(type) }, typeLabel(meta, type))),
      ),
    ),
    h(
      'label',
      { class: 'field', for: 'f-group' },
      h('span', {}, t(lang, 'group')),
      h(
        'select',
        { id: 'f-group', name: 'group' },
        h('option', { value: '' }, t(lang, 'any')),
        Object.keys(meta.groups).map((g) => h('option', { value: g, selected: params.get('group') === g }, g)),
      ),
    ),
    input('f-text', 'text', params.get('text') ?? ''),
    input('f-mentions', 'mentions', params.get('mentions') ?? ''),
    input('f-ip', 'ip', params.get('ip') ?? ''),
    h(
      'div',
      { class: 'actions' },
      h('button', { id: 'f-apply', type: 'submit' }, t(lang, 'apply')),
      h('button', { id: 'f-reset', type: 'button' }, t(lang, 'reset')),
      h(
        'a',
        { id: 'f-export', class: 'button', href: `api/export.csv?${filterParams(params).toString()}`, download: '' },
        t(lang, 'export_csv'),
      ),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    const data = new FormData(form);
    for (const name of FILTERS) {
      const value = String(data.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    for (const type of data.getAll('type')) next.append('type', String(type));
    go('search', next);
  });
  form.querySelector('#f-reset')!.addEventListener('click', () => go('search', new URLSearchParams()));
  return form;
}

/** Only the filter parameters (no paging), for the CSV link and the timeline. */
function filterParams(params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name, value] of params) if ((FILTERS as readonly string[]).includes(name) || name === 'type') out.append(name, value);
  return out;
}

function resultsTable(meta: Meta, params: URLSearchParams, results: Results): HTMLElement {
  const lang = settings.lang;
  const col = (name: string) => results.columns.indexOf(name);
  const sort = params.get('sort') ?? 'created_at';
  const dir = params.get('dir') ?? 'desc';
  const header = (key: Key, sortName?: string) => {
    if (!sortName) return h('th', { scope: 'col' }, t(lang, key));
    const active = sort === sortName;
    const next = new URLSearchParams(params);
    next.set('sort', sortName);
    next.set('dir', active && dir === 'desc' ? 'asc' : 'desc');
    next.delete('page');
    const button = h(
      'button',
      { type: 'button', class: 'sort', 'aria-label': t(lang, 'sort_by', { col: t(lang, key) }) },
      t(lang, key),
      active ? (dir === 'desc' ? ' ▼' : ' ▲') : '',
    );
    button.addEventListener('click', () => go('search', next));
    return h('th', { scope: 'col', 'aria-sort': active ? (dir === 'desc' ? 'descending' : 'ascending') : undefined }, button);
  };
  const sortKeys = Object.fromEntries(SORTABLE.map(([name, key]) => [key, name]));
  return h(
    'table',
    { id: 'results', class: 'results' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        (['col_time', 'col_type', 'col_teammate', 'col_ip', 'col_actor', 'col_description'] as Key[]).map((k) => header(k, sortKeys[k])),
      ),
    ),
    h(
      'tbody',
      {},
      results.rows.map((row) => {
        const id = String(row[col('id')]);
        const at = String(row[col('created_at')]);
        const kind = String(row[col('actor_kind')]) as 'teammate' | 'bot' | 'staff';
        return h(
          'tr',
          { 'data-id': id },
          h(
            'td',
            {},
            h(
              'a',
              { href: `#/event?${new URLSearchParams({ id, at }).toString()}`, 'aria-label': `${t(lang, 'open_event')} ${id}` },
              formatTime(Number(at)),
            ),
          ),
          h('td', {}, typeLabel(meta, String(row[col('activity_type')]))),
          h('td', {}, String(row[col('teammate_email')] ?? row[col('teammate_id')] ?? '')),
          h('td', {}, String(row[col('ip_address')] ?? '')),
          h('td', { class: `kind-${kind}` }, t(lang, `${kind}_kind` as Key)),
          h('td', {}, String(row[col('activity_description')] ?? '')),
        );
      }),
    ),
  );
}

function pager(params: URLSearchParams, results: Results, size: number): HTMLElement {
  const lang = settings.lang;
  const page = Number(params.get('page') ?? '0');
  const to = (n: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(n));
    return () => go('search', next);
  };
  const previous = h('button', { type: 'button', id: 'page-prev', disabled: page === 0 }, t(lang, 'previous'));
  const next = h('button', { type: 'button', id: 'page-next', disabled: !results.more }, t(lang, 'next'));
  previous.addEventListener('click', to(page - 1));
  next.addEventListener('click', to(page + 1));
  const a = results.rows.length === 0 ? 0 : page * size + 1;
  return h(
    'nav',
    { class: 'pager', 'aria-label': t(lang, 'results') },
    previous,
    h('span', { id: 'page-status' }, t(lang, 'rows', { a, b: page * size + results.rows.length, n: results.matches })),
    next,
  );
}

export async function renderSearch(target: HTMLElement, meta: Meta, params: URLSearchParams): Promise<void> {
  const lang = settings.lang;
  const range = rangeOf(params, meta);
  const query = new URLSearchParams(params);
  query.set('from', range.from);
  query.set('to', range.to);
  const size = 50;
  query.set('size', String(size));
  const [form, timeline, results] = await Promise.all([
    filterBar(meta, params),
    getJson<Timeline>('api/timeline', filterParams(query)),
    getJson<Results>('api/results', query),
  ]);
  const canvas = h('canvas', {
    id: 'timeline-chart',
    role: 'img',
    'aria-label': t(lang, 'timeline', { bucket: t(lang, timeline.bucket) }),
  });
  replace(
    target,
    form,
    h(
      'section',
      { class: 'timeline' },
      h('h2', {}, t(lang, 'timeline', { bucket: t(lang, timeline.bucket) })),
      h('div', { class: 'chart-box' }, canvas),
    ),
    h(
      'section',
      { class: 'results-box' },
      h('h2', {}, t(lang, 'results'), ' ', h('span', { id: 'matches', class: 'muted' }, t(lang, 'matches', { n: results.matches }))),
      results.rows.length === 0 ? h('p', { id: 'no-results' }, t(lang, 'no_results')) : resultsTable(meta, params, results),
      pager(params, results, size),
    ),
  );
  renderTimeline(canvas, timeline);
}
