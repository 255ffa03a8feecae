/**
 * The console in a real Chromium (Debian's, driven by playwright-core): open it on a simulator
 * archive, filter by teammate and type, open an event and see its proof verify, export CSV,
 * switch to Japanese, tab through the filter bar, and check what a browser can do without the
 * cookie or under a rebinding host name. Screenshots of the main pages go to test-output/console/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { search } from '../../lambdas/core/search/search.ts';
import { listedLines } from '../helpers/archive.ts';
import { type ConsoleFixture, SINCE, startConsoleFixture, treeHashes } from '../helpers/consoleFixture.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../test-output/console');
const CHROMIUM = '/usr/bin/chromium';
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
const RANGE = { from: day(SINCE), to: day(SINCE + 13 * 86_400) };

let fx: ConsoleFixture;
let browser: Browser;
let page: Page;
let before: Record<string, string>;
let lines: Record<string, unknown>[];

async function ready(p: Page = page): Promise<void> {
  await p.waitForSelector('#view[data-ready="true"]');
  await p.waitForSelector('#coverage .coverage-statement');
}

/** Navigates inside the page (hash routes) and waits for the view. */
async function route(hash: string): Promise<void> {
  await page.evaluate((h) => {
    if (location.hash === h) return;
    document.getElementById('view')?.removeAttribute('data-ready');
    location.hash = h;
  }, hash);
  await ready();
}

async function noHorizontalScroll(p: Page = page): Promise<void> {
  const widths = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
}

beforeAll(async () => {
  fx = await startConsoleFixture();
  before = treeHashes(fx.archive);
  lines = await listedLines(fx.store);
  mkdirSync(SHOTS, { recursive: true });
  // launch() gives the browser a fresh, temporary user-data dir of its own (removed on close).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A rebinding attacker's name that resolves to this machine.
      '--host-resolver-rules=MAP rebind.test 127.0.0.1',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, locale: 'en-GB' });
  page = await context.newPage();
  await page.goto(fx.console.url);
  await ready();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fx?.close();
});

describe('console in Chromium', () => {
  it('opens on the printed URL, drops the token from the address bar and shows coverage and results', async () => {
    expect(page.url()).toBe(fx.base);
    expect(await page.textContent('#coverage .coverage-statement')).toContain('covers the whole period');
    expect(await page.locator('#results tbody tr').count()).toBe(50);
    await noHorizontalScroll();
    await page.screenshot({ path: path.join(SHOTS, 'search.png') });
  });

  it('filters by teammate and type: exactly the archived events of that teammate and type', async () => {
    const target = lines.find((l) => l.activity_type === 'admin_login_success')!;
    const email = String(target.performed_by_email);
    const expected = lines.filter((l) => l.performed_by_email === email && l.activity_type === 'admin_login_success');
    await route(`#/search?${new URLSearchParams(RANGE)}`);
    await page.fill('#f-teammate', email);
    await page.selectOption('#f-type', ['admin_login_success']);
    await page.evaluate(() => document.getElementById('view')?.removeAttribute('data-ready'));
    await page.click('#f-apply');
    await ready();
    expect(await page.textContent('#matches')).toBe(`${expected.length} matching events`);
    const rows = page.locator('#results tbody tr');
    expect(await rows.count()).toBe(Math.min(50, expected.length));
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    const newestFirst = [...expected].sort((a, b) => Number(b.created_at) - Number(a.created_at) || (String(a.id) < String(b.id) ? 1 : -1));
    expect(ids).toEqual(newestFirst.slice(0, 50).map((l) => l.id));
    await noHorizontalScroll();
    await page.screenshot({ path: path.join(SHOTS, 'search-filtered.png') });
  });

  it('exports the current filter as CSV: the same bytes as the search core writes for `search --csv`, every matching line', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#f-export')]);
    const csv = readFileSync((await download.path())!);
    const email = await page.inputValue('#f-teammate');
    // Independently of the console: a fresh engine over the JSON parts (no columnar cache), the search core, its CSV.
    const engine = await DuckDbEngine.open(fx.archive);
    try {
      const filter = { from: SINCE, to: SINCE + 14 * 86_400, teammate: email, types: ['admin_login_success'] };
      const searched = await search(engine, { filter, limit: 10_000 });
      expect(csv.equals(toCsv(searched.table))).toBe(true);
      const expected = lines.filter((l) => l.performed_by_email === email && l.activity_type === 'admin_login_success');
      expect(searched.hits.map((h) => h.id).sort()).toEqual(expected.map((l) => String(l.id)).sort());
    } finally {
      await engine.close();
    }
    expect(download.suggestedFilename()).toBe(`search-${RANGE.from}-${RANGE.to}.csv`);
  });

  it('opens an event and shows its proof verified with the operator key, the verbatim entry and the trace command', async () => {
    const first = page.locator('#results tbody tr a').first();
    const id = await page.locator('#results tbody tr').first().getAttribute('data-id');
    await page.evaluate(() => document.getElementById('view')?.removeAttribute('data-ready'));
    await first.click();
    await ready();
    expect(await page.getAttribute('#proof-status', 'class')).toBe('ok');
    expect(await page.textContent('#proof')).toContain(fx.publicKey);
    const line = lines.find((l) => l.id === id)!;
    expect(JSON.parse((await page.textContent('#verbatim'))!)).toEqual(JSON.parse(String(line.source)));
    expect(await page.textContent('#trace-command')).toContain(`npx audit-archive trace ${id} --archive ${fx.archive}`);
    await noHorizontalScroll();
    await page.screenshot({ path: path.join(SHOTS, 'event.png'), fullPage: true });
  });

  it('switches to Japanese and to a chosen time zone', async () => {
    await route(`#/search?${new URLSearchParams(RANGE)}`);
    await page.evaluate(() => document.getElementById('view')?.removeAttribute('data-ready'));
    await page.selectOption('#lang', 'ja');
    await ready();
    expect(await page.textContent('h1')).toContain('監査アーカイブ コンソール');
    expect(await page.textContent('#coverage .coverage-statement')).toContain('アーカイブは対象期間全体を網羅しています');
    await page.evaluate(() => document.getElementById('view')?.removeAttribute('data-ready'));
    await page.selectOption('#zone', 'Asia/Tokyo');
    await ready();
    const firstTime = await page.locator('#results tbody tr td a').first().textContent();
    expect(firstTime).toMatch(/GMT\+9|JST/);
    await noHorizontalScroll();
    await page.screenshot({ path: path.join(SHOTS, 'search-ja.png') });
    await page.evaluate(() => document.getElementById('view')?.removeAttribute('data-ready'));
    await page.selectOption('#lang', 'en');
    await ready();
    await page.evaluate(() => document.getElementById('view')?.removeAttribute('data-ready'));
    await page.selectOption('#zone', 'UTC');
    await ready();
  });

  it('reaches every control of the filter bar with Tab, each with a visible focus ring', async () => {
    await route(`#/search?${new URLSearchParams(RANGE)}`);
    await page.focus('#zone');
    const wanted = ['f-from', 'f-to', 'f-teammate', 'f-type', 'f-group', 'f-text', 'f-mentions', 'f-ip', 'f-apply', 'f-reset', 'f-export'];
    const reached: string[] = [];
    for (let i = 0; i < 60 && reached.length < wanted.length; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        // A form field shows its ring on the labelled field around it; a button or link on itself.
        const ringed = el?.closest('label.field') ?? el;
        const style = ringed ? getComputedStyle(ringed) : undefined;
        return { id: el?.id ?? '', outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '' };
      });
      // A date input takes three Tab stops (day, month, year): one control all the same.
      if (wanted.includes(focused.id) && reached.at(-1) !== focused.id) {
        reached.push(focused.id);
        expect(focused.outline, focused.id).toMatch(/^solid [1-9]/);
      }
    }
    expect(reached).toEqual(wanted);
  });

  it('lists report packs and opens a summary sandboxed (its script does not run)', async () => {
    await route('#/packs');
    expect(await page.textContent('#packs')).toContain('2025-Q1');
    await noHorizontalScroll();
    await page.screenshot({ path: path.join(SHOTS, 'packs.png') });
    const [summary] = await Promise.all([page.context().waitForEvent('page'), page.click('#packs a')]);
    await summary.waitForLoadState();
    expect(await summary.textContent('h1')).toBe('Quarterly summary 2025-Q1');
    expect(await summary.title()).toBe('pack');
    await summary.close();
  });

  it('backtests the rules over the chosen range', async () => {
    await route(`#/rules?${new URLSearchParams({ ...RANGE, run: '1' })}`);
    await page.waitForSelector('#backtest-table');
    expect(await page.locator('#backtest-table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.textContent('#backtest')).toContain(`archived entries, ${RANGE.from} – ${RANGE.to}`);
    await noHorizontalScroll();
    await page.screenshot({ path: path.join(SHOTS, 'rules.png') });
  });

  it('gives 401 to a browser without the cookie, refuses a rebinding host name, and wrote nothing', async () => {
    const stranger = await browser.newContext();
    try {
      const tab = await stranger.newPage();
      expect((await tab.goto(fx.base))?.status()).toBe(401);
      expect((await tab.goto(`${fx.base}api/meta`))?.status()).toBe(401);
      const rebinding = fx.base.replace('127.0.0.1', 'rebind.test');
      expect((await tab.goto(rebinding))?.status()).toBe(421);
      // The signed-in browser under the rebinding name: the Host is refused whatever it sends.
      const victim = await page.context().newPage();
      expect((await victim.goto(`${rebinding}api/meta`))?.status()).toBe(421);
      expect(await victim.textContent('body')).not.toContain('sim-acme');
      await victim.close();
    } finally {
      await stranger.close();
    }
    expect(treeHashes(fx.archive)).toEqual(before);
  });
});
