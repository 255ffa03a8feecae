/**
 * The columnar (Parquet) cache answers exactly what the JSON parts answer — every canned query's
 * CSV byte for byte, on an archive with late, quarantined and conflicting entries — and someone
 * who can write into the cache folder cannot change an answer.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { ParquetPartCache } from '../../lambdas/adapters/local/ParquetPartCache.ts';
import { archiveScope } from '../../lambdas/core/archive/scope.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import type { ActivityLogSource } from '../../lambdas/core/ports.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { bindValues } from '../../lambdas/core/queries/catalog.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { DAY, runCollector, simClient } from '../helpers/collecting.ts';

const SINCE = Date.UTC(2025, 0, 1) / 1000;
const PERIODS = [
  { start_date: '2025-01-01', end_date: '2025-01-31' },
  { start_date: '2025-01-20', end_date: '2025-02-08' },
];
let sim: RunningSimulator;
let clock = SINCE;
let dir: string;
let tmp: string;
let plain: DuckDbEngine;
const warnings: string[] = [];
const progress: string[] = [];

const openCache = (cacheDir = path.join(tmp, 'cache')) =>
  ParquetPartCache.open({
    dir: cacheDir,
    keyFile: path.join(tmp, 'config', 'cache.key'),
    onWarning: (line) => warnings.push(line),
    onProgress: (line) => progress.push(line),
  });

async function cachedEngine(cache?: ParquetPartCache) {
  const scope = await archiveScope(new LocalObjectStore(dir));
  return DuckDbEngine.open(dir, { parts: scope.parts, partCache: cache ?? (await openCache()) });
}

/** Every canned query over every period, as CSV bytes. */
async function answers(engine: DuckDbEngine): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const query of loadQueries())
    for (const period of PERIODS)
      out.set(`${query.name} ${period.start_date}`, toCsv(await engine.run(query.sql, bindValues(query, period))));
  return out;
}

function expectSame(a: Map<string, Buffer>, b: Map<string, Buffer>) {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, csv] of a) expect(csv.equals(b.get(name)!), name).toBe(true);
}

beforeAll(async () => {
  sim = await startSimulator({
    now: () => clock,
    dataset: { entriesPerDay: 120 },
    faults: { lateShare: 0.2, lateDelaySeconds: 6 * 3600, malformed: 0.01 },
  });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pcache-'));
  dir = path.join(tmp, 'archive');
  const store = new LocalObjectStore(dir);
  // Runs that end while late entries are still invisible: the next run's lookback finds them.
  for (let until = SINCE + 10 * DAY; until <= SINCE + 40 * DAY; until += 10 * DAY) {
    clock = until + 600;
    await runCollector(sim, store, { since: SINCE, until, windowSeconds: DAY, lookbackSeconds: 8 * 3600 });
  }
  // Entries served again with other content: quarantined and recorded as a conflict.
  clock = SINCE + 41 * DAY;
  const victims = new Set(
    sim.workspace
      .entriesBetween(SINCE + 40 * DAY - 6 * 3600, SINCE + 40 * DAY - 1)
      .slice(0, 10)
      .map((e) => e.id),
  );
  const client = simClient(sim);
  const source: ActivityLogSource = {
    host: client.host,
    apiVersion: client.apiVersion,
    perPage: client.perPage,
    workspaceId: () => client.workspaceId(),
    async *fetchRange(range, options) {
      for await (const page of client.fetchRange(range, options))
        yield {
          ...page,
          entries: page.entries.map((e) =>
            victims.has((e as { id?: string } | null)?.id ?? '') ? { ...e, activity_description: 'rewritten' } : e,
          ),
        };
    },
  };
  const conflictRun = await collect(source, store, {
    workspaceId: sim.workspace.workspaceId,
    runId: 'run-conflict',
    collectorVersion: '0.0.0-test',
    until: SINCE + 40 * DAY + 3600,
    windowSeconds: DAY,
    lookbackSeconds: 6 * 3600,
  });
  expect(conflictRun.conflicts).toBeGreaterThan(0);
  plain = await DuckDbEngine.open(dir);
}, 60_000);
afterAll(async () => {
  await plain?.close();
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('the Parquet part cache', () => {
  it('holds late, quarantined and conflicting entries (the archive the comparison runs on)', async () => {
    const scope = await archiveScope(new LocalObjectStore(dir));
    expect(scope.parts.some((p) => /-late-\d+\.jsonl\.gz$/.test(p.key))).toBe(true);
    expect(scope.conflicts.length).toBeGreaterThan(0);
    const quarantined = (await plain.run('SELECT count(*) FROM quarantine', [])).rows[0]![0];
    expect(Number(quarantined)).toBeGreaterThan(1);
  });

  it('answers every canned query with the same CSV bytes as the JSON parts, cold and warm', async () => {
    const expected = await answers(plain);
    progress.length = 0;
    const cold = await cachedEngine();
    try {
      expectSame(await answers(cold), expected);
    } finally {
      await cold.close();
    }
    expect(progress[0]).toMatch(/^building the columnar cache: \d+ parts into .*cache \(once per part; safe to delete\)$/);
    progress.length = 0;
    const warm = await cachedEngine();
    try {
      expectSame(await answers(warm), expected);
    } finally {
      await warm.close();
    }
    expect(progress).toEqual([]); // nothing rebuilt on the second use
    expect(warnings).toEqual([]);
  });

  it('builds only the days asked for, and reads the other parts from JSON with the same answers', async () => {
    const cacheDir = path.join(tmp, 'cache-days');
    const cache = await openCache(cacheDir);
    const scope = await archiveScope(new LocalObjectStore(dir));
    const engine = await DuckDbEngine.open(dir, {
      parts: scope.parts,
      partCache: cache,
      cacheDays: { from: '2025-01-10', to: '2025-01-19' },
    });
    try {
      const q = 'SELECT dt, count(*) FROM activity_logs GROUP BY dt ORDER BY dt';
      expect((await engine.run(q, [])).rows).toEqual((await plain.run(q, [])).rows);
      expectSame(await answers(engine), await answers(plain));
    } finally {
      await engine.close();
    }
    const built = (await fs.readdir(cacheDir)).filter((f) => f.endsWith('.parquet'));
    const inDays = scope.parts.filter((p) => p.dt! >= '2025-01-10' && p.dt! <= '2025-01-19');
    expect(built.sort()).toEqual(inDays.map((p) => `${p.sha256}.parquet`).sort());
  });

  it('ignores a planted or altered cache file and its forged sidecar, and rebuilds the entry', async () => {
    const expected = await answers(plain);
    await (await cachedEngine()).close(); // the cache is complete
    const cacheDir = path.join(tmp, 'cache');
    const scope = await archiveScope(new LocalObjectStore(dir));
    const [victim, donor] = [scope.parts[3]!, scope.parts[10]!];
    const victimFile = path.join(cacheDir, `${victim.sha256}.parquet`);
    const victimSidecar = path.join(cacheDir, `${victim.sha256}.json`);
    // An attacker writes another part's rows under the victim's name, with a sidecar whose hashes match.
    const forged = await fs.readFile(path.join(cacheDir, `${donor.sha256}.parquet`));
    const sidecar = JSON.parse(await fs.readFile(victimSidecar, 'utf8'));
    const { createHash } = await import('node:crypto');
    sidecar.parquet_sha256 = createHash('sha256').update(forged).digest('hex');
    sidecar.parquet_bytes = forged.length;
    await fs.writeFile(victimFile, forged);
    await fs.writeFile(victimSidecar, JSON.stringify(sidecar));
    warnings.length = 0;
    const engine = await cachedEngine();
    try {
      expectSame(await answers(engine), expected);
    } finally {
      await engine.close();
    }
    expect(warnings).toEqual([`columnar cache: ${victim.sha256}.parquet does not match its sidecar; rebuilding it from ${victim.key}`]);
    expect((await fs.readFile(victimFile)).equals(forged)).toBe(false);
  });

  it("ignores another part's genuine entry copied under a listed part's name", async () => {
    const cacheDir = path.join(tmp, 'cache');
    const scope = await archiveScope(new LocalObjectStore(dir));
    const [victim, donor] = [scope.parts[5]!, scope.parts[12]!];
    for (const ext of ['parquet', 'json'])
      await fs.copyFile(path.join(cacheDir, `${donor.sha256}.${ext}`), path.join(cacheDir, `${victim.sha256}.${ext}`));
    warnings.length = 0;
    const engine = await cachedEngine();
    try {
      expectSame(await answers(engine), await answers(plain));
    } finally {
      await engine.close();
    }
    expect(warnings).toEqual([`columnar cache: ${victim.sha256}.parquet was built for another part; rebuilding it from ${victim.key}`]);
  });

  it('never reads a cache file whose source is not listed by the chain, nor builds from an altered part', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const scope = await archiveScope(new LocalObjectStore(dir));
    // A planted file named by a hash no manifest lists: nothing asks for it.
    await fs.copyFile(path.join(cacheDir, `${scope.parts[0]!.sha256}.parquet`), path.join(cacheDir, `${'e'.repeat(64)}.parquet`));
    // A part whose bytes no longer match its manifest is read as today (verify names it), never cached.
    const fresh = path.join(tmp, 'cache-altered');
    const altered = scope.parts[7]!;
    const partFile = path.join(dir, altered.key);
    const original = await fs.readFile(partFile);
    await fs.writeFile(partFile, Buffer.concat([original, Buffer.from([0])]));
    warnings.length = 0;
    try {
      const engine = await DuckDbEngine.open(dir, { parts: scope.parts, partCache: await openCache(fresh) });
      await engine.close();
      expect(warnings).toEqual([
        `columnar cache: ${altered.key} does not match the SHA-256 its manifest lists (run verify); read as JSON, not cached`,
      ]);
      expect((await fs.readdir(fresh)).some((f) => f.startsWith(altered.sha256))).toBe(false);
    } finally {
      await fs.writeFile(partFile, original);
    }
  });

  it('refuses a key file inside the cache folder (anyone who can write there could forge entries)', async () => {
    const cacheDir = path.join(tmp, 'cache-key-inside');
    await expect(ParquetPartCache.open({ dir: cacheDir, keyFile: path.join(cacheDir, 'k') })).rejects.toThrow(
      /must not be inside the cache folder/,
    );
  });
});
