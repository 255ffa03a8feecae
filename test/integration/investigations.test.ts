/**
 * The investigation queries (queries/investigations/): parsed like the canned ones, valid Trino,
 * never run by a report pack, and answering what the search core and the simulator's own
 * entries say — on DuckDB and on a mocked Athena that pastes the literals.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import type { QueryEngine } from '../../lambdas/core/ports.ts';
import { INVESTIGATIONS_DIR, loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { bindValues } from '../../lambdas/core/queries/catalog.ts';
import { ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import { search } from '../../lambdas/core/search/search.ts';
import type { RawEntry } from '../../simulator/dataset.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { athenaOnDuckDb, pasteParameters } from '../helpers/athenaOnDuckDb.ts';
import { DAY, runCollector } from '../helpers/collecting.ts';

const SINCE = Date.UTC(2025, 0, 1) / 1000;
const UNTIL = SINCE + 30 * DAY;
const PERIOD = { start_date: '2025-01-01', end_date: '2025-01-30' };
const investigations = loadQueries(INVESTIGATIONS_DIR);
const byName = (name: string) => investigations.find((q) => q.name === name)!;
let sim: RunningSimulator;
let dir: string;
let duck: DuckDbEngine;
let athena: AthenaEngine;
let mock: ReturnType<typeof athenaOnDuckDb>;
let entries: RawEntry[];

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + DAY, dataset: { entriesPerDay: 300 } });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'investigations-'));
  await runCollector(sim, new LocalObjectStore(dir), { since: SINCE, until: UNTIL, windowSeconds: 5 * DAY });
  duck = await DuckDbEngine.open(dir);
  mock = athenaOnDuckDb(duck);
  athena = new AthenaEngine(new AthenaClient({ region: 'eu-west-1' }), { workgroup: 'wg', database: 'db', sleep: async () => undefined });
  entries = sim.workspace.entriesBetween(SINCE, UNTIL - 1);
}, 60_000);
afterAll(async () => {
  mock.athena.restore();
  await duck.close();
  await sim.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const ids = (rows: unknown[][], columns: string[]) => rows.map((r) => r[columns.indexOf('id')]);

describe('investigation queries', () => {
  it('are the three investigations, with the comment block, and no report pack runs them', () => {
    expect(investigations.map((q) => q.name)).toEqual(['entity_history', 'settings_change_history', 'teammate_activity']);
    for (const q of investigations) expect(q.question).toMatch(/\?$/);
    expect(byName('teammate_activity').parameters).toEqual(['start_date', 'end_date', 'teammate', 'teammate']);
    expect(loadQueries().map((q) => q.name)).not.toContain('teammate_activity');
  });

  it.each(investigations.map((q) => [q.name, q] as const))('%s parses as Trino SQL with the literals Athena pastes', (_n, q) => {
    const literals = q.parameters.map(() => "'2025-01-01'");
    expect(new TrinoSQL().validate(pasteParameters(q.sql, literals))).toEqual([]);
  });

  it.each(['duckdb', 'athena'] as const)('teammate_activity and entity_history answer what search() answers, on %s', async (which) => {
    const engine: QueryEngine = which === 'duckdb' ? duck : athena;
    const teammate = entries[40]!.performed_by;
    const from = SINCE;
    const to = SINCE + 30 * DAY;
    const activity = await engine.run(
      byName('teammate_activity').sql,
      bindValues(byName('teammate_activity'), { ...PERIOD, teammate: teammate.email }),
    );
    const searched = await search(duck, { filter: { from, to, teammate: teammate.email }, limit: 10_000 });
    expect(ids(activity.rows, activity.columns)).toEqual(searched.hits.map((h) => h.id));
    expect(searched.hits.length).toBe(entries.filter((e) => e.performed_by.id === teammate.id).length);

    const entity = (entries.find((e) => e.activity_type === 'admin_permission_change')!.metadata as { teammate: { id: string } }).teammate
      .id;
    const history = await engine.run(byName('entity_history').sql, bindValues(byName('entity_history'), { ...PERIOD, entity_id: entity }));
    const mentions = await search(duck, { filter: { from, to, mentions: entity }, limit: 10_000 });
    expect(ids(history.rows, history.columns)).toEqual(mentions.hits.map((h) => h.id));
    expect(history.rows.length).toBeGreaterThan(0);
  });

  it.each(['duckdb', 'athena'] as const)(
    'settings_change_history lists changes outside the compliance groups, with before → after, on %s',
    async (which) => {
      const engine: QueryEngine = which === 'duckdb' ? duck : athena;
      const q = byName('settings_change_history');
      const result = await engine.run(q.sql, bindValues(q, PERIOD));
      const col = (name: string) => result.columns.indexOf(name);
      const types = new Set(result.rows.map((r) => String(r[col('activity_type')])));
      const grouped = new Set<string>(Object.values(ACTIVITY_GROUPS).flat());
      expect([...types].filter((t) => !grouped.has(t)).length).toBeGreaterThan(3);
      expect(types.has('admin_away_mode_change')).toBe(false);
      const role = result.rows.find((r) => r[col('activity_type')] === 'role_change')!;
      expect([role[col('before_value')], role[col('after_value')]]).toEqual([expect.any(String), expect.any(String)]);
      const expected = entries.filter(
        (e) =>
          (/change|setting/.test(e.activity_type) || (e.metadata !== null && ('before' in e.metadata || 'after' in e.metadata))) &&
          !['admin_away_mode_change', 'admin_occupancy_state_change'].includes(e.activity_type),
      );
      expect(result.rows.length).toBe(expected.length);
    },
  );
});
