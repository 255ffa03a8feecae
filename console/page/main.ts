/** The console page: header (language, time zone), coverage of the chosen range, and the routed view. */
import { getJson } from './api.ts';
import { renderCoverage } from './coverageView.ts';
import { h, replace } from './dom.ts';
import { renderEvent } from './eventView.ts';
import { t } from './i18n.ts';
import { renderPacks } from './packsView.ts';
import { renderRules } from './rulesView.ts';
import { renderSearch } from './searchView.ts';
import { type Meta, currentRoute, rangeOf, saveSettings, settings } from './state.ts';

let meta: Meta;
/** The range chosen last on the search or rules page: the coverage of every page is over it. */
let lastRange: { from: string; to: string } | undefined;

function zones(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [...new Set(['UTC', local, 'Asia/Tokyo', ...all])];
}

function header(): HTMLElement {
  const lang = settings.lang;
  const { route } = currentRoute();
  const link = (name: string, key: 'nav_search' | 'nav_packs' | 'nav_rules') =>
    h('a', { href: `#/${name}`, 'aria-current': route === name ? 'page' : undefined }, t(lang, key));
  const langSelect = h(
    'select',
    { id: 'lang' },
    h('option', { value: 'en', selected: lang === 'en' }, 'English'),
    h('option', { value: 'ja', selected: lang === 'ja' }, '日本語'),
  );
  langSelect.addEventListener('change', () => {
    settings.lang = langSelect.value === 'ja' ? 'ja' : 'en';
    saveSettings();
    void render();
  });
  const zoneSelect = h(
    'select',
    { id: 'zone' },
    zones().map((z) => h('option', { value: z, selected: z === settings.zone }, z)),
  );
  zoneSelect.addEventListener('change', () => {
    settings.zone = zoneSelect.value;
    saveSettings();
    void render();
  });
  return h(
    'header',
    { class: 'top' },
    h('h1', {}, t(lang, 'title'), ' ', h('span', { class: 'badge' }, t(lang, 'readonly'))),
    h('nav', { 'aria-label': 'main' }, link('search', 'nav_search'), link('packs', 'nav_packs'), link('rules', 'nav_rules')),
    h('label', { for: 'lang' }, t(lang, 'language'), ' ', langSelect),
    h('label', { for: 'zone' }, t(lang, 'timezone'), ' ', zoneSelect),
    h(
      'p',
      { class: 'archive muted' },
      `${t(lang, 'archive')}: ${meta.archive} · ${meta.engine} · ${t(lang, meta.trust === 'signatures' ? 'trust_signatures' : 'trust_chain')}`,
    ),
  );
}

async function render(): Promise<void> {
  const root = document.getElementById('app')!;
  const { route, params } = currentRoute();
  document.documentElement.lang = settings.lang;
  document.title = t(settings.lang, 'title');
  if (route === 'search' || route === 'rules' || !lastRange) lastRange = rangeOf(params, meta);
  const coverage = h('section', { id: 'coverage', class: 'coverage', 'aria-live': 'polite' });
  const view = h('main', { id: 'view' }, t(settings.lang, 'loading'));
  replace(root, header(), coverage, view);
  const show = (error: unknown) =>
    replace(
      view,
      h('p', { class: 'bad', role: 'alert' }, t(settings.lang, 'error', { message: String((error as Error).message ?? error) })),
    );
  renderCoverage(coverage, lastRange).catch((error) => replace(coverage, h('p', { class: 'bad' }, String((error as Error).message))));
  try {
    if (route === 'event') await renderEvent(view, meta, params);
    else if (route === 'packs') await renderPacks(view);
    else if (route === 'rules') await renderRules(view, meta, params);
    else await renderSearch(view, meta, params);
    view.setAttribute('data-ready', 'true');
  } catch (error) {
    show(error);
    view.setAttribute('data-ready', 'error');
  }
}

async function start(): Promise<void> {
  meta = await getJson<Meta>('api/meta');
  window.addEventListener('hashchange', () => void render());
  await render();
}

void start();
