/**
 * search(): every filter against the simulator's own entries (the ground truth), newest first,
 * the limit and its "more" flag, on DuckDB (bound values) and on a mocked Athena that pastes the
 * literal parameters the way Athena does.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import type { QueryEngine } from '../../lambdas/core/ports.ts';
import { ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import { type SearchFilter, search } from '../../lambdas/core/search/search.ts';
import type { RawEntry } from '../../simulator/dataset.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { athenaOnDuckDb } from '../helpers/athenaOnDuckDb.ts';
import { DAY, runCollector } from '../helpers/collecting.ts';

const SINCE = Date.UTC(2025, 0, 1) / 1000;
const UNTIL = SINCE + 20 * DAY;
let sim: RunningSimulator;
let dir: string;
let duck: DuckDbEngine;
let entries: RawEntry[];
let athenaMock: ReturnType<typeof athenaOnDuckDb>;
let athena: AthenaEngine;

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + DAY, dataset: { entriesPerDay: 200 } });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'search-'));
  await runCollector(sim, new LocalObjectStore(dir), { since: SINCE, until: UNTIL, windowSeconds: 5 * DAY });
  duck = await DuckDbEngine.open(dir);
  entries = sim.workspace.entriesBetween(SINCE, UNTIL - 1);
  athenaMock = athenaOnDuckDb(duck);
  athena = new AthenaEngine(new AthenaClient({ region: 'eu-west-1' }), { workgroup: 'wg', database: 'db', sleep: async () => undefined });
}, 60_000);
afterAll(async () => {
  athenaMock.athena.restore();
  await duck.close();
  await sim.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const newestFirst = (a: RawEntry, b: RawEntry) => b.created_at - a.created_at || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
const teammate = () => entries[17]!.performed_by;
const admin = () => entries.find((e) => e.activity_type === 'admin_permission_change')!;
const mentioned = () => (admin().metadata as { teammate: { id: string } }).teammate.id;

const cases: [string, () => SearchFilter, (e: RawEntry) => boolean][] = [
  [
    'a time range',
    () => ({ from: SINCE + 3 * DAY + 3600, to: SINCE + 4 * DAY }),
    (e) => e.created_at >= SINCE + 3 * DAY + 3600 && e.created_at < SINCE + 4 * DAY,
  ],
  ['a teammate by id', () => ({ from: SINCE, to: UNTIL, teammate: teammate().id }), (e) => e.performed_by.id === teammate().id],
  [
    'a teammate by e-mail, whatever its case',
    () => ({ from: SINCE, to: UNTIL, teammate: teammate().email.toUpperCase() }),
    (e) => e.performed_by.email === teammate().email,
  ],
  [
    'types (any of them)',
    () => ({ from: SINCE, to: UNTIL, types: ['admin_login_failure', 'role_change'] }),
    (e) => ['admin_login_failure', 'role_change'].includes(e.activity_type),
  ],
  [
    'a group',
    () => ({ from: SINCE, to: UNTIL, group: 'permission_changes' }),
    (e) => (ACTIVITY_GROUPS.permission_changes as readonly string[]).includes(e.activity_type),
  ],
  [
    'words in the description or metadata, without case',
    () => ({ from: SINCE, to: UNTIL, text: 'SAML_sso' }),
    (e) => `${e.activity_description} ${JSON.stringify(e.metadata)}`.toLowerCase().includes('saml_sso'),
  ],
  [
    'an id mentioned in the metadata',
    () => ({ from: SINCE, to: UNTIL, mentions: mentioned() }),
    (e) => JSON.stringify(e.metadata ?? '').includes(mentioned()),
  ],
  ['an IP address', () => ({ from: SINCE, to: UNTIL, ip: teammate().ip }), (e) => e.performed_by.ip === teammate().ip],
  [
    'filters combined',
    () => ({ from: SINCE + 2 * DAY, to: UNTIL, teammate: teammate().id, group: 'sign_ins', text: 'google' }),
    (e) =>
      e.created_at >= SINCE + 2 * DAY &&
      e.performed_by.id === teammate().id &&
      e.activity_type === 'admin_login_success' &&
      `${e.activity_description} ${JSON.stringify(e.metadata)}`.toLowerCase().includes('google'),
  ],
];

describe('search()', () => {
  it.each(['duckdb', 'athena'] as const)('finds exactly the matching entries, newest first, on %s', async (which) => {
    const engine: QueryEngine = which === 'duckdb' ? duck : athena;
    for (const [name, filter, matches] of cases) {
      const expected = entries.filter(matches).sort(newestFirst);
      expect(expected.length, `${name}: the ground truth is not empty`).toBeGreaterThan(0);
      const result = await search(engine, { filter: filter(), limit: 10_000 });
      expect(
        result.hits.map((h) => h.id),
        name,
      ).toEqual(expected.map((e) => e.id));
      expect(result.more).toBe(false);
    }
  });

  it('stops at the limit and says there are more', async () => {
    const result = await search(duck, { filter: { from: SINCE, to: UNTIL }, limit: 5 });
    expect(result.hits.map((h) => h.id)).toEqual(
      [...entries]
        .sort(newestFirst)
        .slice(0, 5)
        .map((e) => e.id),
    );
    expect(result.more).toBe(true);
    expect(result.hits[0]).toMatchObject({ workspace: 'sim-acme', time_utc: expect.stringMatching(/^2025-01-20T/) });
  });

  it('binds every filter value: SQL in a filter is searched for, never run', async () => {
    const hostile = "x' OR '1'='1";
    const result = await search(athena, { filter: { from: SINCE, to: UNTIL, teammate: hostile, text: hostile, ip: hostile }, limit: 10 });
    expect(result.hits).toEqual([]);
    const sent = athenaMock.athena.commandCalls(StartQueryExecutionCommand).at(-1)!.args[0].input;
    expect(sent.QueryString).not.toContain(hostile);
    expect(sent.ExecutionParameters).toContain(`'x'' OR ''1''=''1'`);
    expect((await search(duck, { filter: { from: SINCE, to: UNTIL, mentions: hostile }, limit: 10 })).hits).toEqual([]);
  });

  it('names every bad field at once', async () => {
    await expect(
      search(duck, { filter: { from: UNTIL, to: SINCE, group: 'nope', types: ['DROP TABLE'], text: ' ' }, limit: 0 }),
    ).rejects.toThrow(
      /^search: from \(2025-01-21T00:00:00Z\) must be before to \(2025-01-01T00:00:00Z\); limit must be a whole number from 1 to 10000; group 'nope' is not one of .*; text must be 1–500 characters; type 'DROP TABLE' is not an activity type/,
    );
  });
});
