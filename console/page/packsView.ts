/** Report packs: the list, each opening its summary.html (served sandboxed: no script runs in it). */
import { getJson } from './api.ts';
import { h, replace } from './dom.ts';
import { t } from './i18n.ts';
import { settings } from './state.ts';

interface Pack {
  name: string;
  quarter: string | null;
  generated_at: string | null;
  engine: string | null;
  lang: string | null;
  files: number;
  has_summary: boolean;
  coverage: { complete?: boolean } | null;
}

export async function renderPacks(target: HTMLElement): Promise<void> {
  const lang = settings.lang;
  const packs = await getJson<Pack[]>('api/packs');
  replace(
    target,
    h('h2', {}, t(lang, 'packs')),
    packs.length === 0
      ? h('p', {}, t(lang, 'no_packs'))
      : h(
          'table',
          { id: 'packs', class: 'results' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [t(lang, 'pack'), t(lang, 'quarter'), t(lang, 'generated'), t(lang, 'engine'), t(lang, 'language'), t(lang, 'files'), ''].map(
                (c) => h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            packs.map((p) =>
              h(
                'tr',
                {},
                h('td', { class: 'mono' }, p.name),
                h('td', {}, p.quarter ?? ''),
                h('td', {}, p.generated_at ?? ''),
                h('td', {}, p.engine ?? ''),
                h('td', {}, p.lang ?? ''),
                h('td', {}, p.files),
                h(
                  'td',
                  {},
                  p.has_summary &&
                    h(
                      'a',
                      {
                        href: `api/pack-summary?${new URLSearchParams({ name: p.name }).toString()}`,
                        target: '_blank',
                        rel: 'noopener noreferrer',
                      },
                      t(lang, 'open_summary'),
                    ),
                ),
              ),
            ),
          ),
        ),
  );
}
