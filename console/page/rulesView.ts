/** Rules: run the live evaluator over the chosen range (the `rules backtest` core). */
import { getJson } from './api.ts';
import { h, replace } from './dom.ts';
import { t } from './i18n.ts';
import { type Meta, go, rangeOf, settings } from './state.ts';

interface Backtest {
  from: string;
  to: string;
  entries: number;
  rules: {
    rule: string;
    severity: string;
    total: number;
    perWeek: Record<string, number>;
    examples: { time_utc: string; teammate_email?: string; teammate_id?: string; activity_type: string; reasons: string[] }[];
  }[];
}

export async function renderRules(target: HTMLElement, meta: Meta, params: URLSearchParams): Promise<void> {
  const lang = settings.lang;
  const range = rangeOf(params, meta);
  const form = h(
    'form',
    { class: 'filters', id: 'rules-form' },
    h(
      'label',
      { class: 'field', for: 'r-from' },
      h('span', {}, t(lang, 'from')),
      h('input', { id: 'r-from', name: 'from', type: 'date', value: range.from }),
    ),
    h(
      'label',
      { class: 'field', for: 'r-to' },
      h('span', {}, t(lang, 'to')),
      h('input', { id: 'r-to', name: 'to', type: 'date', value: range.to }),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'r-run' }, t(lang, 'run_backtest'))),
  );
  const out = h('section', { id: 'backtest', 'aria-live': 'polite' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    go('rules', new URLSearchParams({ from: String(data.get('from')), to: String(data.get('to')), run: '1' }));
  });
  replace(target, h('h2', {}, t(lang, 'rules'), ' ', h('span', { class: 'muted mono' }, meta.rules)), form, out);
  if (params.get('run') !== '1') return;
  replace(out, t(lang, 'loading'));
  const result = await getJson<Backtest>('api/backtest', new URLSearchParams(range));
  replace(
    out,
    h('p', {}, t(lang, 'backtest_of', { rules: result.rules.length, entries: result.entries, from: result.from, to: result.to })),
    h(
      'table',
      { class: 'results', id: 'backtest-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t(lang, 'rule'), t(lang, 'severity'), t(lang, 'alerts'), t(lang, 'per_week'), t(lang, 'examples')].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        result.rules.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, r.rule),
            h('td', {}, r.severity),
            h('td', {}, r.total),
            h(
              'td',
              { class: 'mono' },
              Object.entries(r.perWeek)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([w, n]) => `${w} ${n}`)
                .join(', '),
            ),
            h(
              'td',
              {},
              h(
                'ul',
                {},
                r.examples.map((e) =>
                  h('li', {}, `${e.time_utc} ${e.teammate_email ?? e.teammate_id ?? '?'} ${e.activity_type} — ${e.reasons.join('; ')}`),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
