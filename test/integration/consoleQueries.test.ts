/**
 * The console's query layer on both engines: DuckDB over a simulator archive, and a mocked
 * Athena that pastes ExecutionParameters as Athena does and runs the result on the same data.
 * Results, counts, timeline, event lookup and CSV agree with each other and with the
 * simulator's own entries; a hostile filter value never reaches the SQL text.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { ACTOR_KIND_SQL } from '../../lambdas/core/console/consoleSql.ts';
import type { SearchFilters } from '../../lambdas/core/console/filters.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { search } from '../../lambdas/core/search/search.ts';
import type { RawEntry } from '../../simulator/dataset.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { EngineSearch } from '../../cli/console/search.ts';
import { athenaOnDuckDb } from '../helpers/athenaOnDuckDb.ts';
import { DAY, runCollector } from '../helpers/collecting.ts';

/** A Wednesday: the first week bucket must start on the Monday before it. */
const SINCE = Date.UTC(2025, 0, 1) / 1000;
const UNTIL = SINCE + 20 * DAY;
let sim: RunningSimulator;
let dir: string;
let duck: DuckDbEngine;
let entries: RawEntry[];
let athenaMock: ReturnType<typeof athenaOnDuckDb>;
let engines: [string, EngineSearch][];

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + DAY, dataset: { entriesPerDay: 150 } });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'console-queries-'));
  await runCollector(sim, new LocalObjectStore(dir), { since: SINCE, until: UNTIL, windowSeconds: 5 * DAY });
  duck = await DuckDbEngine.open(dir);
  entries = sim.workspace.entriesBetween(SINCE, UNTIL - 1);
  athenaMock = athenaOnDuckDb(duck);
  const athena = new AthenaEngine(new AthenaClient({ region: 'eu-west-1' }), {
    workgroup: 'wg',
    database: 'db',
    sleep: async () => undefined,
  });
  engines = [
    ['DuckDB', new EngineSearch(duck)],
    ['Athena (mocked)', new EngineSearch(athena)],
  ];
}, 60_000);
afterAll(async () => {
  athenaMock?.athena.restore();
  await duck?.close();
  await sim?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const newestFirst = (a: RawEntry, b: RawEntry) => b.created_at - a.created_at || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
const kindOf = (e: RawEntry) =>
  e.performed_by.email?.endsWith('@intercom.io') || ['admin_impersonation_start', 'admin_impersonation_end'].includes(e.activity_type)
    ? 'staff'
    : 'teammate';

describe.each([['DuckDB'], ['Athena (mocked)']])('console queries on %s', (name) => {
  const engine = () => engines.find(([n]) => n === name)![1];

  it('pages through every matching event newest first, with the whole count and a "more" flag', async () => {
    const teammate = entries[11]!.performed_by;
    const filter: SearchFilters = { from: SINCE, to: UNTIL, teammate: teammate.email };
    const expected = entries.filter((e) => e.performed_by.email === teammate.email).sort(newestFirst);
    const seen: string[] = [];
    for (let page = 0; ; page++) {
      const answer = await engine().results(filter, { sort: 'created_at', descending: true, page, size: 7 });
      expect(answer.matches).toBe(expected.length);
      seen.push(...answer.rows.map((r) => String(r[answer.columns.indexOf('id')])));
      if (!answer.more) break;
    }
    expect(seen).toEqual(expected.map((e) => e.id));
  });

  it('sorts by activity type ascending, ties newest first', async () => {
    const filter: SearchFilters = { from: SINCE, to: SINCE + DAY };
    const answer = await engine().results(filter, { sort: 'activity_type', descending: false, page: 0, size: 500 });
    const expected = entries
      .filter((e) => e.created_at < SINCE + DAY)
      .sort((a, b) => (a.activity_type < b.activity_type ? -1 : a.activity_type > b.activity_type ? 1 : newestFirst(a, b)));
    expect(answer.rows.map((r) => r[answer.columns.indexOf('id')])).toEqual(expected.map((e) => e.id));
  });

  it('counts the timeline per week (from Monday) and actor kind, adding up to the matches', async () => {
    const filter: SearchFilters = { from: SINCE, to: SINCE + 19 * DAY, types: ['admin_impersonation_start', 'admin_login_success'] };
    const timeline = await engine().timeline(filter);
    expect(timeline.bucket).toBe('day');
    const weekly = await engine().timeline({ ...filter, from: SINCE - 200 * DAY });
    expect(weekly.bucket).toBe('week');
    expect(new Date(weekly.points[0]!.start * 1000).getUTCDay()).toBe(1);
    const matching = entries.filter((e) => e.created_at < SINCE + 19 * DAY && filter.types!.includes(e.activity_type));
    const total = (t: typeof timeline) => t.points.reduce((sum, p) => sum + p.teammate + p.bot + p.staff, 0);
    expect(total(timeline)).toBe(matching.length);
    expect(total(weekly)).toBe(matching.length);
    expect(timeline.points.reduce((sum, p) => sum + p.staff, 0)).toBe(matching.filter((e) => kindOf(e) === 'staff').length);
    expect(timeline.points.reduce((sum, p) => sum + p.staff, 0)).toBeGreaterThan(0);
  });

  it('finds one event by id and time with every column, and nothing for an id the time does not hold', async () => {
    const entry = entries[42]!;
    const event = await engine().event(entry.id, entry.created_at);
    expect(event).toMatchObject({ id: entry.id, activity_type: entry.activity_type, performed_by_email: entry.performed_by.email });
    expect(JSON.parse(String(event!.source))).toEqual(entry);
    expect(await engine().event(entry.id, entry.created_at + 1)).toBeUndefined();
  });

  it('exports the CSV the search core writes for the same filter', async () => {
    const filter: SearchFilters = { from: SINCE, to: UNTIL, group: 'data_exports' };
    const csv = await engine().csv(filter);
    expect(csv.equals(toCsv((await search(duck, { filter, limit: 10_000 })).table))).toBe(true);
    expect(csv.toString('utf8').split('\r\n').length - 2).toBe(entries.filter((e) => e.activity_type.endsWith('export')).length);
  });
});

describe('console queries', () => {
  it('sends hostile filter values to Athena as ExecutionParameters, never in the query text', async () => {
    athenaMock.athena.resetHistory();
    const hostile = "x' OR '1'='1";
    const athena = engines[1]![1];
    const answer = await athena.results(
      { from: SINCE, to: UNTIL, text: hostile, mentions: hostile, ip: hostile },
      { sort: 'created_at', descending: true, page: 0, size: 10 },
    );
    expect(answer.matches).toBe(0);
    const calls = athenaMock.athena.commandCalls(StartQueryExecutionCommand);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.args[0].input.QueryString).not.toContain("'1'='1");
      expect(call.args[0].input.ExecutionParameters).toContain("'x'' OR ''1''=''1'");
    }
  });

  it.each([
    ['admin', 'ada@example.com', 'admin_login_success', 'teammate'],
    ['admin', 'support@intercom.io', 'admin_login_success', 'staff'],
    ['admin', 'ada@example.com', 'admin_impersonation_start', 'staff'],
    ['bot', 'fin@example.com', 'conversation_assignment', 'bot'],
    ['admin', null, 'workflow_update', 'bot'],
    [null, null, 'ai_agent_setting_change', 'bot'],
  ])('classifies the actor %s / %s / %s as %s', async (type, email, activity, kind) => {
    const literal = (v: string | null) => (v === null ? 'NULL' : `'${v}'`);
    const sql = `SELECT ${ACTOR_KIND_SQL} AS kind FROM (SELECT ${literal(type)} AS performed_by_type, ${literal(email)} AS performed_by_email, ${literal(activity)} AS activity_type)`;
    expect((await duck.run(sql, [])).rows[0]![0]).toBe(kind);
  });
});
