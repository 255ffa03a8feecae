/** The search figure of `npm run bench`: one teammate, one month of the 5 M-entry year, with the columnar cache warm. */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

async function runSearch(cfg: { archiveDir: string; cacheDir: string; month: string }) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/search-process.ts'), JSON.stringify(cfg)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  await new Promise((resolve) => child.on('close', resolve));
  return JSON.parse(out.trim().split('\n').pop()!) as {
    seconds: number;
    openSeconds: number;
    searchSeconds: number;
    hits: number;
    peakRssMB: number;
  };
}

/** Runs after the pack figures: the cache then holds 2025-Q3 and its look-back, so August is warm. */
export async function printSearchFigures(archiveDir: string): Promise<void> {
  const cacheDir = path.join(ROOT, '.bench', 'parquet-cache');
  const s = await runSearch({ archiveDir, cacheDir, month: '2025-08' });
  console.log(
    `\nSearch, one teammate over 2025-08 of that year (warm columnar cache): ${s.seconds.toFixed(2)} s (target <= 2: ${s.seconds <= 2 ? 'met' : 'MISSED'}) — reading the chain and checking the month's cache files ${s.openSeconds.toFixed(2)} s, the search ${s.searchSeconds.toFixed(2)} s; ${s.hits} hits, peak RSS ${s.peakRssMB.toFixed(0)} MB`,
  );
}
