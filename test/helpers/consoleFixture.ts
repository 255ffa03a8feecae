/**
 * A signed simulator archive, a report pack folder and a running console over them, for the
 * console's server and browser tests. Also: every file of the archive with its SHA-256, to show
 * that nothing the console does writes there.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { ParquetPartCache } from '../../lambdas/adapters/local/ParquetPartCache.ts';
import { sha256Hex } from '../../lambdas/core/archive/manifest.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { type RunningConsole, startConsole } from '../../cli/console/startConsole.ts';
import { buildConsolePage } from '../../scripts/buildConsole.mjs';
import { DAY, runCollector } from './collecting.ts';

/** A Monday; two weeks of history are collected from here. */
export const SINCE = Date.UTC(2025, 2, 3) / 1000;
export const UNTIL = SINCE + 14 * DAY;
export const PLANTED_KEY = 'activity_logs/workspace=sim-acme/dt=2025-03-05/20990101T000000Z-part-00001.jsonl.gz';

export interface ConsoleFixture {
  readonly sim: RunningSimulator;
  readonly tmp: string;
  readonly archive: string;
  readonly reports: string;
  readonly publicKey: string;
  readonly store: LocalObjectStore;
  readonly console: RunningConsole;
  /** `http://127.0.0.1:<port><base>` without the token. */
  readonly base: string;
  close(): Promise<void>;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  const sim = await startSimulator({ now: () => UNTIL + DAY, dataset: { entriesPerDay: 120 } });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'console-'));
  const archive = path.join(tmp, 'archive');
  const keys = Ed25519Signer.forArchive(archive, path.join(tmp, 'keys'));
  const store = new LocalObjectStore(archive);
  await runCollector(sim, store, { since: SINCE, until: UNTIL, windowSeconds: 2 * DAY, signer: keys.signer });
  // Someone with write access plants a part no manifest lists: never read, shown as an exception.
  const planted = gzipSync(`${JSON.stringify({ id: 'planted-1', workspace_id: 'sim-acme', created_at: SINCE + 2 * DAY + 60 })}\n`);
  await store.putIfAbsent(PLANTED_KEY, planted, sha256Hex(planted));
  const reports = path.join(tmp, 'reports');
  const pack = path.join(reports, '2025-Q1-20250402T060000Z');
  mkdirSync(pack, { recursive: true });
  writeFileSync(
    path.join(pack, 'manifest.json'),
    JSON.stringify({
      format: 'intercom-audit-archive/report-pack/v1',
      quarter: '2025-Q1',
      generated_at: '2025-04-02T06:00:00Z',
      engine: 'duckdb',
      lang: 'en',
      files: [{}, {}],
    }),
  );
  writeFileSync(
    path.join(pack, 'summary.html'),
    '<!doctype html><title>pack</title><h1>Quarterly summary 2025-Q1</h1><script>document.title="ran"</script>',
  );
  const pageDir = path.join(tmp, 'page');
  await buildConsolePage(pageDir);
  // The columnar cache as `console` uses it locally, in the test's folder (never the home folder).
  const partCache = await ParquetPartCache.open({ dir: path.join(tmp, 'cache'), keyFile: path.join(tmp, 'keys', 'parquet-cache.key') });
  const running = await startConsole({
    partCache,
    archive,
    port: 0,
    publicKey: keys.publicKeyPath,
    reports,
    rules: path.resolve(import.meta.dirname, '../../rules/default-rules.yaml'),
    pageDir,
  });
  const url = new URL(running.url);
  return {
    sim,
    tmp,
    archive,
    reports,
    publicKey: keys.publicKeyPath,
    store,
    console: running,
    base: `${url.origin}${url.pathname}`,
    close: async () => {
      await running.close();
      await sim.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` (lock records included) with its SHA-256. */
export function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}
