/**
 * `audit-archive search` as a user runs it: the four everyday investigations as one command each,
 * table / --csv / --json, the coverage of the range, the "more results" hint, the columnar cache.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import type { RawEntry } from '../../simulator/dataset.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { DAY, runCollector } from '../helpers/collecting.ts';

const SINCE = Date.UTC(2025, 2, 1) / 1000;
const UNTIL = SINCE + 14 * DAY;
let sim: RunningSimulator;
let tmp: string;
let archive: string;
let entries: RawEntry[];

const cli = (...args: string[]) => runCli(['search', '--archive', archive, ...args], { sim, keyDir: path.join(tmp, 'keys') });
const json = (stdout: string) => JSON.parse(stdout) as { hits: { id: string; activity_type: string }[]; more: boolean; coverage: string[] };
const newestFirst = (list: RawEntry[]) => [...list].sort((a, b) => b.created_at - a.created_at || (b.id < a.id ? -1 : 1)).map((e) => e.id);

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + DAY, dataset: { entriesPerDay: 150 } });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-search-'));
  archive = path.join(tmp, 'archive');
  await runCollector(sim, new LocalObjectStore(archive), { since: SINCE, until: UNTIL, windowSeconds: 5 * DAY });
  entries = sim.workspace.entriesBetween(SINCE, UNTIL - 1);
}, 60_000);
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('audit-archive search', () => {
  it('"who exported data in March": one command, with the coverage of the range', async () => {
    const run = await cli('--group', 'data_exports', '--from', '2025-03-01', '--to', '2025-03-31', '--json', '--limit', '1000');
    expect(run.stderr).toMatch(/building the columnar cache: \d+ parts/);
    expect(run.stderr).toMatch(/^coverage: /m);
    expect(run.stderr).toMatch(/warning: the archive does not hold all of 2025-03-01 – 2025-03-31/);
    expect(run.code).toBe(0);
    const exports = entries.filter((e) => (ACTIVITY_GROUPS.data_exports as readonly string[]).includes(e.activity_type));
    expect(json(run.stdout).hits.map((h) => h.id)).toEqual(newestFirst(exports));
  });

  it('"who last changed setting X", for a type outside every compliance group', async () => {
    const grouped = new Set<string>(Object.values(ACTIVITY_GROUPS).flat());
    const type = entries.map((e) => e.activity_type).find((t) => t.endsWith('_change') && !grouped.has(t))!;
    const run = await cli('--type', type, '--from', '2025-03-01', '--to', '2025-03-14', '--limit', '1', '--json');
    expect(run.code).toBe(0);
    const changes = newestFirst(entries.filter((e) => e.activity_type === type));
    expect(json(run.stdout).hits.map((h) => h.id)).toEqual(changes.slice(0, 1));
    expect(json(run.stdout).more).toBe(changes.length > 1);
  });

  it('"everything teammate Y did last week", as a table with a "more results" hint', async () => {
    const who = entries[10]!.performed_by;
    const week = entries.filter((e) => e.performed_by.id === who.id && e.created_at >= SINCE + 7 * DAY);
    const run = await cli('--teammate', who.email, '--from', '2025-03-08', '--to', '2025-03-14', '--limit', '2');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^time_utc\s+activity_type\s+actor_email\s+ip_address\s+activity_description\s+id$/);
    expect(run.stdout).toContain(newestFirst(week)[0]);
    expect(run.stdout).toContain('(2 rows)');
    expect(run.stdout).toContain('more results: showing the newest 2; narrow the filters or raise --limit');
    expect(run.stdout).toContain('read the parts listed by the manifest chain');
    expect(run.stderr).not.toMatch(/building the columnar cache/); // built by the first search
  });

  it('"everything that touched id Z" (in metadata), as CSV', async () => {
    const entity = (entries.find((e) => e.activity_type === 'admin_permission_change')!.metadata as { teammate: { id: string } }).teammate
      .id;
    const run = await cli('--mentions', entity, '--from', '2025-03-01', '--to', '2025-03-14', '--csv', '--limit', '1000');
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.trim().split('\r\n');
    expect(header).toBe('time_utc,workspace,activity_type,actor_id,actor_email,ip_address,activity_description,metadata,id');
    expect(rows.map((r) => r.slice(r.lastIndexOf(',') + 1))).toEqual(
      newestFirst(entries.filter((e) => JSON.stringify(e.metadata ?? '').includes(entity))),
    );
    expect(run.stderr).toMatch(/^coverage: /m);
  });

  it('answers the same without the columnar cache', async () => {
    const args = ['--text', 'google', '--from', '2025-03-02', '--to', '2025-03-09', '--json', '--limit', '500'];
    const [cached, plain] = [await cli(...args), await cli(...args, '--no-cache')];
    expect(plain.code).toBe(0);
    expect(json(plain.stdout).hits).toEqual(json(cached.stdout).hits);
    expect(json(plain.stdout).hits.length).toBeGreaterThan(0);
  });

  it('refuses bad flags with exit 2 and says what to do', async () => {
    const bad = await cli('--group', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/group 'nope' is not one of data_exports/);
    const inside = await cli('--cache-dir', path.join(archive, 'cache'));
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/is inside the archive/);
    // A link outside the archive that leads into it is still inside it (the cache would write strays there).
    const link = path.join(tmp, 'cache-link');
    await fs.mkdir(path.join(archive, 'linked-cache'), { recursive: true });
    await fs.symlink(path.join(archive, 'linked-cache'), link);
    const linked = await cli('--cache-dir', path.join(link, 'sub'));
    expect(linked.code).toBe(2);
    expect(linked.stderr).toMatch(/is inside the archive/);
    await fs.rm(path.join(archive, 'linked-cache'), { recursive: true, force: true });
    // The cache's HMAC key inside the archive: whoever reads the archive could forge entries.
    const keyInside = await runCli(['search', '--archive', archive, '--cache-dir', path.join(tmp, 'cache-k')], {
      sim,
      keyDir: path.join(archive, 'keys'),
    });
    expect(keyInside.code).toBe(2);
    expect(keyInside.stderr).toMatch(/the cache key .* is inside the archive/);
    await expect(fs.stat(path.join(archive, 'keys', 'parquet-cache.key'))).rejects.toThrow(/ENOENT/);
    const athenaLocal = await cli('--athena');
    expect(athenaLocal.code).toBe(2);
    expect(athenaLocal.stderr).toMatch(/with --athena give the archive as s3:\/\//);
  });
});
