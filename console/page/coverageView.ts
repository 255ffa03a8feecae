/** The coverage of the chosen range and its exceptions, shown on every page. */
import { getJson } from './api.ts';
import { h, replace } from './dom.ts';
import { t } from './i18n.ts';
import { settings } from './state.ts';

interface CoverageAnswer {
  complete: boolean;
  statement: { en: string; ja: string };
  exceptions: {
    quarantined: number;
    quarantined_list: { time: string | null; reason: string; id: string | null; part: string }[];
    conflicts: Record<string, unknown>[];
    rejected_parts: Record<string, unknown>[];
    unlisted_objects: { key: string }[];
    not_read: { key: string; reason: string }[];
  };
}

export async function renderCoverage(target: HTMLElement, range: { from: string; to: string }): Promise<void> {
  const lang = settings.lang;
  replace(target, t(lang, 'loading'));
  const answer = await getJson<CoverageAnswer>('api/coverage', new URLSearchParams(range));
  const e = answer.exceptions;
  const counts: [string, number, string[]][] = [
    [t(lang, 'quarantined'), e.quarantined, e.quarantined_list.map((q) => `${q.time ?? '?'} ${q.id ?? ''} — ${q.reason} (${q.part})`)],
    [t(lang, 'conflicts'), e.conflicts.length, e.conflicts.map((c) => JSON.stringify(c))],
    [t(lang, 'rejected'), e.rejected_parts.length, e.rejected_parts.map((r) => `${String(r.key)} — ${String(r.reason ?? '')}`)],
    [t(lang, 'unlisted'), e.unlisted_objects.length, e.unlisted_objects.map((u) => u.key)],
    [t(lang, 'not_read'), e.not_read.length, e.not_read.map((n) => `${n.key} — ${n.reason}`)],
  ];
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  target.classList.toggle('incomplete', !answer.complete);
  replace(
    target,
    h('h2', { class: 'coverage-title' }, t(lang, 'coverage', range)),
    h('p', { class: 'coverage-statement', 'data-complete': String(answer.complete) }, answer.statement[lang]),
    h(
      'details',
      { class: 'exceptions' },
      h(
        'summary',
        {},
        `${t(lang, 'exceptions')}: ${total === 0 ? t(lang, 'none') : counts.map(([label, n]) => `${n} ${label}`).join(', ')}`,
      ),
      h(
        'ul',
        {},
        counts.map(([label, n, items]) =>
          h(
            'li',
            {},
            `${label}: ${n}`,
            items.length > 0 &&
              h(
                'ul',
                {},
                items.map((i) => h('li', { class: 'mono' }, i)),
              ),
          ),
        ),
      ),
    ),
  );
}
