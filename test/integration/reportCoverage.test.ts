/**
 * Report packs say what they cover: coverage of the period, the population the queries were
 * drawn from, the exceptions the CSVs leave out, and an access review that includes dormant
 * accounts — built with the real collector over a scripted Intercom and DuckDB.
 */
import { promises as fs } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { sha256Hex } from '../../lambdas/core/archive/manifest.ts';
import { ConfigurationError, PartialPeriodError } from '../../lambdas/core/errors.ts';
import type { QueryEngine } from '../../lambdas/core/ports.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { buildReportPack } from '../../lambdas/core/reports/buildReportPack.ts';
import { barChart, topWithTies } from '../../lambdas/core/reports/summaryHtml.ts';
import { ScriptedSource, entry } from '../helpers/scriptedSource.ts';

const WS = 'ws-test';
const alice = { id: '101', email: 'alice@example.test' };
const bob = { id: '102', email: 'bob@example.test' };
const carol = { id: '103', email: 'carol@example.test' };
const NOW = new Date('2026-04-02T06:00:00Z');

/** The archive starts 2025-12-01 and is collected up to 2026-04-01: 2026-Q1 whole, 2025-Q4 one month. */
const ENTRIES = [
  entry('e-dec-1', '2025-12-03T10:00:00Z', 'admin_login_success', bob),
  entry('e-dec-2', '2025-12-04T10:00:00Z', 'admin_login_success', carol),
  entry('e-dec-3', '2025-12-10T10:00:00Z', 'admin_deprovisioned', alice, { teammate: carol }),
  entry('e-jan-1', '2026-01-05T09:00:00Z', 'admin_login_success', alice),
  entry('e-jan-2', '2026-01-05T09:30:00Z', 'app_data_export', alice, { export_type: 'users', scope: 'all', record_count: 120 }),
  entry('e-feb-1', '2026-02-11T12:00:00Z', 'workspace_sso_enforcement_change', alice, { before: false, after: true }),
  entry('e-feb-2', '2026-02-12T12:00:00Z', 'admin_two_factor_auth_change', alice, { before: 'off', after: 'on' }),
  // Two entries that fail validation: one without a type, one whose time is text.
  { id: 'q-1', created_at: Date.parse('2026-02-20T08:00:00Z') / 1000, performed_by: { type: 'admin', id: alice.id }, metadata: null },
  {
    id: 'q-2',
    created_at: String(Date.parse('2026-03-02T08:00:00Z') / 1000),
    activity_type: 'app_data_export',
    performed_by: { type: 'admin', id: alice.id },
  },
  entry('e-mar-1', '2026-03-15T16:00:00Z', 'app_data_export', alice, { export_type: 'conversations', record_count: 5 }),
];
const PLANTED = `activity_logs/workspace=${WS}/dt=2026-02-10/zzz.jsonl.gz`;

let dir: string;
let tmp: string;
let engine: DuckDbEngine;
let store: LocalObjectStore;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'coverage-'));
  dir = path.join(tmp, 'archive');
  store = new LocalObjectStore(dir);
  await collect(new ScriptedSource(ENTRIES, WS), store, {
    workspaceId: WS,
    since: Date.parse('2025-12-01T00:00:00Z') / 1000,
    until: Date.parse('2026-04-01T00:00:00Z') / 1000,
    windowSeconds: 10 * 86_400,
    runId: 'run-coverage',
    collectorVersion: '0.0.0-test',
    now: () => NOW,
  });
  // Someone with write access drops an object no manifest lists (empty, so no engine reads a row from it).
  const planted = gzipSync(Buffer.alloc(0));
  await store.putIfAbsent(PLANTED, planted, sha256Hex(planted));
  engine = await DuckDbEngine.open(dir);
});
afterAll(async () => {
  await engine.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

let packs = 0;
async function pack(
  quarter: string,
  extra: { allowPartial?: boolean; lang?: 'en' | 'ja'; timezone?: string; engine?: QueryEngine; out?: string } = {},
) {
  const out = extra.out ?? path.join(tmp, `pack-${++packs}`);
  const result = await buildReportPack({
    quarter,
    queries: loadQueries(),
    engine: extra.engine ?? engine,
    sink: new FolderReportSink(out),
    archive: store,
    workspaceIds: [WS],
    now: () => NOW,
    ...(extra.allowPartial && { allowPartial: true }),
    ...(extra.lang && { lang: extra.lang }),
    ...(extra.timezone && { timezone: extra.timezone }),
  });
  const html = await fs.readFile(path.join(out, 'summary.html'), 'utf8');
  const csv = async (name: string) =>
    (await fs.readFile(path.join(out, `${name}.csv`), 'utf8'))
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
  return { out, result, html, manifest: JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8')), csv };
}

/** The visible text of a page, one line per block, without tags. */
function textLines(html: string): string[] {
  const body = html.slice(html.indexOf('<body>'));
  return body
    .replace(/<(p|h1|h2|h3|tr|li|figcaption|footer)\b[^>]*>/g, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

describe('a report pack over a whole quarter', () => {
  it('states full coverage in manifest.json, as the first line of summary.html and to the caller', async () => {
    const { manifest, html, result } = await pack('2026-Q1');
    expect(Object.keys(manifest.coverage)).toEqual(['complete', 'workspaces']);
    expect(manifest.coverage).toEqual({
      complete: true,
      workspaces: [
        {
          workspace_id: WS,
          origin: '2025-12-01T00:00:00Z',
          first_seq: expect.any(Number),
          last_seq: expect.any(Number),
          complete: true,
          uncovered: [],
        },
      ],
    });
    const { first_seq: first, last_seq: last } = manifest.coverage.workspaces[0];
    expect(last).toBeGreaterThan(first);
    const statement = `The archive covers the whole period: windows ${first}–${last}, no gaps`;
    expect(result.statement).toBe(statement);
    expect(textLines(html)[0]).toBe(statement);
  });

  it('states the population and every exception: quarantined entries, unlisted objects, ungrouped types, look-backs before the origin', async () => {
    const { manifest, html } = await pack('2026-Q1');
    expect(manifest.population).toEqual({
      entries: 5,
      by_workspace: [{ workspace_id: WS, count: 5 }],
      by_activity_type: [
        { activity_type: 'admin_login_success', count: 1 },
        { activity_type: 'admin_two_factor_auth_change', count: 1 },
        { activity_type: 'app_data_export', count: 2 },
        { activity_type: 'workspace_sso_enforcement_change', count: 1 },
      ],
    });
    const { exceptions } = manifest;
    expect(Object.keys(exceptions)).toEqual([
      'quarantined',
      'conflicts',
      'rejected_parts',
      'unlisted_objects',
      'ungrouped_types',
      'lookback_before_origin',
    ]);
    expect(exceptions.quarantined).toEqual([
      // The entry whose time is unreadable is placed by the window that holds it (time null).
      {
        time: null,
        workspace_id: WS,
        reason: expect.stringContaining('created_at'),
        id: 'q-2',
        part: expect.stringMatching(/^quarantine\/workspace=ws-test\/dt=2026-03-01\//),
      },
      {
        time: '2026-02-20T08:00:00Z',
        workspace_id: WS,
        reason: expect.stringContaining('activity_type'),
        id: 'q-1',
        part: expect.stringMatching(/^quarantine\/workspace=ws-test\//),
      },
    ]);
    expect(exceptions.conflicts).toEqual([]);
    expect(exceptions.rejected_parts).toEqual([]);
    expect(exceptions.unlisted_objects).toEqual([{ key: PLANTED }]);
    expect(exceptions.ungrouped_types).toEqual([{ activity_type: 'workspace_sso_enforcement_change', count: 1 }]);
    expect(exceptions.lookback_before_origin).toEqual([
      { query: 'sign_in_anomalies', needs_from: '2025-10-03T00:00:00Z', origin: '2025-12-01T00:00:00Z', workspace_id: WS },
      { query: 'soc2_teammate_lifecycle', needs_from: '2025-10-03T00:00:00Z', origin: '2025-12-01T00:00:00Z', workspace_id: WS },
    ]);
    const text = textLines(html).join('\n');
    expect(text).toContain('The queries were drawn from 5 archived entries in the period.');
    expect(text).toMatch(/Quarantined entries .*: 2/);
    expect(text).toContain(PLANTED);
    expect(text).toMatch(/Activity types in no query group .*: 1/);
    expect(text).toMatch(/sign_in_anomalies looks back to 2025-10-03T00:00:00Z, but the archive starts at 2025-12-01T00:00:00Z/);
  });

  it('lists dormant teammates in the access review and leaves out those removed before the period, saying how', async () => {
    const { csv, html, manifest } = await pack('2026-Q1');
    const rows = await csv('soc2_access_review');
    const header = rows[0]!;
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    expect(header).toEqual([
      'workspace',
      'teammate_id',
      'teammate_email',
      'first_activity_utc',
      'last_activity_utc',
      'last_sign_in_utc',
      'events',
      'permission_changes',
      'status',
      'dormant',
      'last_seen_utc',
      'two_factor_changes',
      'basis',
    ]);
    const byId = new Map(rows.slice(1).map((r) => [col(r, 'teammate_id'), r]));
    expect([...byId.keys()].sort()).toEqual([alice.id, bob.id]); // carol was removed in December
    const a = byId.get(alice.id)!;
    expect([col(a, 'dormant'), col(a, 'events'), col(a, 'two_factor_changes'), col(a, 'basis')]).toEqual([
      'no',
      '5',
      '1',
      'period activity',
    ]);
    const b = byId.get(bob.id)!;
    expect([col(b, 'dormant'), col(b, 'events'), col(b, 'last_seen_utc'), col(b, 'basis')]).toEqual([
      'yes',
      '0',
      '2025-12-03T10:00:00.000Z',
      'archive history',
    ]);
    expect(manifest.access_review).toEqual({ method: 'history', roster_snapshots: [] });
    expect(textLines(html).join('\n')).toContain(
      'No roster snapshot covers the end of the period, so the access review falls back to the archive’s whole history',
    );
  });

  it('writes what each export was (type, scope, record count, raw metadata) and one dimension per summary file', async () => {
    const { csv, manifest } = await pack('2026-Q1');
    const exports = await fs.readFile(path.join(tmp, `pack-${packs}`, 'gdpr_data_exports.csv'), 'utf8');
    const [header, first] = exports.split('\r\n');
    expect(header).toBe(
      'time_utc,workspace,teammate_id,teammate_email,ip_address,activity_type,export_type,export_scope,record_count,metadata_json,activity_description,id',
    );
    expect(first).toContain(',users,all,120,"{""export_type"":""users"",""scope"":""all"",""record_count"":120}",');
    const byType = await csv('activity_summary_by_type');
    const byActor = await csv('activity_summary_by_actor');
    expect(byType[0]).toEqual(['month', 'workspace', 'activity_type', 'events']);
    expect(byActor[0]).toEqual(['month', 'workspace', 'performed_by_type', 'events']);
    // Each file sums to the population, once.
    const sum = (rows: string[][]) => rows.slice(1).reduce((n, r) => n + Number(r[3]), 0);
    expect(sum(byType)).toBe(manifest.population.entries);
    expect(sum(byActor)).toBe(manifest.population.entries);
  });

  it('ends with an empty reviewer sign-off block and shows local times beside UTC with --timezone', async () => {
    const { html, manifest } = await pack('2026-Q1', { timezone: 'Asia/Tokyo' });
    const lines = textLines(html);
    expect(lines.slice(-4)).toEqual(['Review sign-off', 'Prepared by', 'Reviewed by', 'Date']);
    expect(html).toMatch(/<tr><td>Prepared by<\/td><td><\/td><\/tr>/);
    expect(lines.join('\n')).toContain('2026-01-01T00:00:00Z (2026-01-01 09:00 Asia/Tokyo)');
    expect(manifest.display_timezone).toBe('Asia/Tokyo');
    expect(manifest.period).toMatchObject({ timezone: 'UTC' });
  });

  it('labels activity types for people and keeps the identifier beside each label', async () => {
    const { html } = await pack('2026-Q1');
    const text = textLines(html).join('\n');
    expect(text).toContain('Workspace data export app_data_export data_exports 2');
    expect(text).toContain('SSO enforcement changed workspace_sso_enforcement_change none 1');
    expect(text).toMatch(/Most frequent activity types — all 4, total 5/);
  });
});

describe('a report pack in Japanese', () => {
  it('has no English sentence outside quoted identifiers: titles, questions, controls, charts, coverage, exceptions', async () => {
    const { html } = await pack('2026-Q1', { lang: 'ja' });
    expect(html).toContain('<html lang="ja">');
    expect(textLines(html)[0]).toMatch(/^アーカイブは対象期間全体を網羅しています: ウィンドウ \d+–\d+、欠落なし$/);
    expect(html).toContain('収集完了時点');
    // Quoted identifiers (code), the document title and attribute values are not prose.
    const visible = html
      .slice(html.indexOf('<body>'))
      .replace(/<code>[\s\S]*?<\/code>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&[a-z#0-9]+;/g, ' ')
      .replace(/\S+@\S+/g, ' '); // e-mail addresses label the export chart
    // Proper nouns and standard names that stay as they are in Japanese documents.
    const names = /\b(SOC 2|GDPR|ISO|Intercom|SCIM|Google SSO|SSO|Messenger API|API|OAuth|Webhook|PDF|SHA-256|CSV|SQL|IP|UTC|ID|JSON)\b/g;
    const english = visible.replace(names, ' ').match(/\b[A-Za-z]{2,}(?:[ ,.'’-]+[A-Za-z]{2,})+\b/g) ?? [];
    expect(english).toEqual([]);
    for (const word of [
      'Activity over time',
      'Canned queries',
      'Data exports per teammate',
      'GDPR data exports',
      'Which teammate',
      'NOT COMPLETE',
      'Quarantined',
      'Prepared by',
    ])
      expect(visible).not.toContain(word);
  });

  it('states a partial period in Japanese', async () => {
    const { html } = await pack('2025-Q4', { lang: 'ja', allowPartial: true });
    expect(textLines(html)[0]).toBe(
      '不完全: ws-test は 2025-10-01T00:00:00Z – 2025-12-01T00:00:00Z を保持していません(この期間の結果は一部のみです)',
    );
  });
});

describe('a report pack over a period the archive does not fully hold', () => {
  it.each([
    ['the quarter in progress', '2026-Q2', [{ from: '2026-04-01T00:00:00Z', to: '2026-07-01T00:00:00Z' }]],
    ['a quarter the archive covers one month of', '2025-Q4', [{ from: '2025-10-01T00:00:00Z', to: '2025-12-01T00:00:00Z' }]],
    ['a quarter before the archive starts', '2025-Q3', [{ from: '2025-07-01T00:00:00Z', to: '2025-10-01T00:00:00Z' }]],
  ])('refuses %s without allowPartial and writes nothing', async (_name, quarter, uncovered) => {
    const out = path.join(tmp, `refused-${quarter}`);
    const error = await pack(quarter, { out }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialPeriodError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^NOT COMPLETE: ws-test does not hold ${uncovered[0]!.from} – ${uncovered[0]!.to} \\(results for this period are partial\\)\\. No pack was written: .*--allow-partial`,
      ),
    );
    await expect(fs.readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('builds a pack that says NOT COMPLETE with allowPartial', async () => {
    const { manifest, html } = await pack('2026-Q2', { allowPartial: true });
    expect(manifest.coverage).toEqual({
      complete: false,
      workspaces: [
        {
          workspace_id: WS,
          origin: '2025-12-01T00:00:00Z',
          first_seq: null,
          last_seq: null,
          complete: false,
          uncovered: [{ from: '2026-04-01T00:00:00Z', to: '2026-07-01T00:00:00Z' }],
        },
      ],
    });
    expect(textLines(html)[0]).toBe(
      'NOT COMPLETE: ws-test does not hold 2026-04-01T00:00:00Z – 2026-07-01T00:00:00Z (results for this period are partial)',
    );
  });

  it('refuses a quarter that has not begun (a configuration error) before any query', async () => {
    let runs = 0;
    const counting: QueryEngine = {
      name: 'counting',
      run: async (sql, values) => {
        runs++;
        return engine.run(sql, values);
      },
      close: async () => undefined,
    };
    const error = await pack('2026-Q3', { engine: counting, allowPartial: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      'the period starting 2026-07-01 has not begun yet (today is 2026-04-02 UTC); choose a quarter that has started',
    );
    expect(runs).toBe(0);
  });

  it('refuses a non-empty folder before any query, and an old pack in words that keep their meaning', async () => {
    let runs = 0;
    const counting: QueryEngine = {
      name: 'counting',
      run: async (sql, values) => {
        runs++;
        return engine.run(sql, values);
      },
      close: async () => undefined,
    };
    const unrelated = path.join(tmp, 'unrelated');
    await fs.mkdir(unrelated);
    await fs.writeFile(path.join(unrelated, 'notes.txt'), 'x');
    await expect(pack('2026-Q1', { engine: counting, out: unrelated })).rejects.toThrow(
      /is not empty \(it holds 1 entries, e\.g\. 'notes\.txt'\); give a missing or empty folder/,
    );
    const old = path.join(tmp, 'old-pack');
    await fs.mkdir(old);
    await fs.writeFile(path.join(old, 'summary.html'), '<p>old</p>');
    await expect(pack('2026-Q1', { engine: counting, out: old })).rejects.toThrow(
      /summary\.html already exists; a report pack is evidence/,
    );
    expect(runs).toBe(0);
    expect(await fs.readdir(old)).toEqual(['summary.html']);
  });
});

describe('charts', () => {
  it('keep every bar tied with the last one shown and say top N of M with the total', () => {
    const bars = [
      { label: 'a', value: 5 },
      { label: 'b', value: 3 },
      { label: 'c', value: 3 },
      { label: 'd', value: 3 },
      { label: 'e', value: 1 },
    ];
    expect(topWithTies(bars, 2).map((b) => b.label)).toEqual(['a', 'b', 'c', 'd']);
    expect(topWithTies(bars, 4).map((b) => b.label)).toEqual(['a', 'b', 'c', 'd']);
    expect(topWithTies(bars, 10)).toHaveLength(5);
    expect(barChart('T', topWithTies(bars, 2), 'none', 'top 2 of 5 (4 shown: ties at the cut are kept), total 15')).toContain(
      'top 2 of 5 (4 shown: ties at the cut are kept), total 15',
    );
  });
});

describe('a report pack with a roster snapshot', () => {
  const dave = { id: '104', email: 'dave@example.test' };
  const admin = (t: { id: string; email: string }, name: string) => ({
    type: 'admin',
    id: t.id,
    name,
    email: t.email,
    has_inbox_seat: true,
    team_ids: [],
  });
  let rosterDir: string;
  let rosterStore: LocalObjectStore;
  let rosterEngine: DuckDbEngine;
  const plantedRoster = `rosters/workspace=${WS}/dt=2026-03-30/roster.jsonl.gz`;

  beforeAll(async () => {
    rosterDir = path.join(tmp, 'roster-archive');
    rosterStore = new LocalObjectStore(rosterDir);
    const run = (until: string, now: string, admins: unknown[] | 'forbidden') =>
      collect(new ScriptedSource(ENTRIES, WS, admins), rosterStore, {
        workspaceId: WS,
        since: Date.parse('2025-12-01T00:00:00Z') / 1000,
        until: Date.parse(until) / 1000,
        windowSeconds: 10 * 86_400,
        runId: `run-${now}`,
        collectorVersion: '0.0.0-test',
        now: () => new Date(now),
      });
    // Carol was removed in December; Dave never acts; Bob last acted in December.
    const roster = [admin(alice, 'Alice'), admin(bob, 'Bob'), admin(dave, 'Dave')];
    await run('2026-03-31T00:00:00Z', '2026-03-31T06:00:00Z', roster);
    await run('2026-03-31T00:00:00Z', '2026-03-31T18:00:00Z', roster); // same day: no second snapshot
    await run('2026-04-01T00:00:00Z', '2026-04-01T06:00:00Z', 'forbidden');
    // A roster object no manifest lists, naming someone who never had access.
    const fake = gzipSync(`${JSON.stringify({ workspace_id: WS, id: '999', email: 'mallory@example.test' })}\n`);
    await rosterStore.putIfAbsent(plantedRoster, fake, sha256Hex(fake));
    const check = await import('../../lambdas/core/reports/buildReportPack.ts').then((m) =>
      m.checkReportPeriod({
        quarter: '2026-Q1',
        queries: loadQueries(),
        archive: rosterStore,
        workspaceIds: [WS],
        now: () => NOW,
        sink: new FolderReportSink(path.join(tmp, 'unused')),
      }),
    );
    rosterEngine = await DuckDbEngine.open(rosterDir, { rosterKeys: check.rosters.snapshots.map((s) => s.key) });
  });
  afterAll(async () => {
    await rosterEngine.close();
  });

  it('saves one roster a day as a create-only object listed by a signed-like roster manifest, and the chain still verifies', async () => {
    const { verifyArchive } = await import('../../lambdas/core/verify/verify.ts');
    expect((await verifyArchive(rosterStore)).problems).toEqual([]);
    const { readPeriodChains } = await import('../../lambdas/core/reports/periodChains.ts');
    const [chain] = await readPeriodChains(rosterStore, [WS], 0);
    const rosters = chain!.manifests.filter((m) => m.manifest.kind === 'roster');
    expect(rosters.map((m) => m.manifest.roster)).toEqual([
      {
        key: `rosters/workspace=${WS}/dt=2026-03-31/roster.jsonl.gz`,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        bytes: expect.any(Number),
        teammates: 3,
        dt: '2026-03-31',
        fetched_at: '2026-03-31T06:00:00.000Z',
      },
    ]);
    const body = await rosterStore.get(rosters[0]!.manifest.roster!.key);
    expect(sha256Hex(body)).toBe(rosters[0]!.manifest.roster!.sha256);
    const { readGzipLines } = await import('../../lambdas/core/archive/lines.ts');
    const lines = [];
    for await (const line of readGzipLines(body)) lines.push(line);
    expect(lines.map((l) => [l.id, l.email, l.has_inbox_seat, l.role, l.two_factor])).toEqual([
      ['101', alice.email, true, null, null],
      ['102', bob.email, true, null, null],
      ['104', dave.email, true, null, null],
    ]);
    expect(JSON.parse(String(lines[2]!.source))).toEqual(admin(dave, 'Dave'));
  });

  it('lists everyone in the snapshot at period end or active in the period, marks the dormant, and never reads an unlisted roster', async () => {
    const out = path.join(tmp, 'roster-pack');
    await buildReportPack({
      quarter: '2026-Q1',
      queries: loadQueries(),
      engine: rosterEngine,
      sink: new FolderReportSink(out),
      archive: rosterStore,
      workspaceIds: [WS],
      now: () => NOW,
    });
    const csv = (await fs.readFile(path.join(out, 'soc2_access_review.csv'), 'utf8'))
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    const header = csv[0]!;
    const pick = (row: string[]) => ['teammate_id', 'teammate_email', 'dormant', 'events', 'basis'].map((c) => row[header.indexOf(c)]);
    expect(csv.slice(1).map(pick)).toEqual([
      [alice.id, alice.email, 'no', '5', 'roster'],
      [bob.id, bob.email, 'yes', '0', 'roster'],
      [dave.id, dave.email, 'yes', '0', 'roster'],
    ]);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.access_review).toEqual({ method: 'roster', roster_snapshots: [{ workspace_id: WS, date: '2026-03-31' }] });
    expect(manifest.exceptions.unlisted_objects).toEqual(expect.arrayContaining([{ key: plantedRoster }]));
    const html = await fs.readFile(path.join(out, 'summary.html'), 'utf8');
    expect(html).toContain(
      'The access review lists every teammate in the roster snapshot saved at the end of the period (ws-test 2026-03-31) or active in the period.',
    );
  });

  it('warns once and saves no roster when the token may not read admins', async () => {
    const warnings: string[] = [];
    const store = new LocalObjectStore(path.join(tmp, 'forbidden-archive'));
    const result = await collect(new ScriptedSource(ENTRIES, WS, 'forbidden'), store, {
      workspaceId: WS,
      since: Date.parse('2026-03-01T00:00:00Z') / 1000,
      until: Date.parse('2026-03-31T00:00:00Z') / 1000,
      runId: 'run-forbidden',
      collectorVersion: '0.0.0-test',
      now: () => new Date('2026-03-31T06:00:00Z'),
      observer: { onWarning: (m) => warnings.push(m) },
    });
    expect(result.rosterTeammates).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringContaining('Intercom refused GET /admins (HTTP 403 token_unauthorized): the token lacks the "Read admins" permission'),
    ]);
    const objects = [];
    for await (const o of store.list('rosters/')) objects.push(o.key);
    expect(objects).toEqual([]);
  });
});
