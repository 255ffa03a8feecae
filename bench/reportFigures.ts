/**
 * The report-pack figures of `npm run bench` over the 5 M-entry year: the pack on the JSON parts
 * (the day table), then cold (empty columnar cache: every part of the quarter and its look-back is
 * converted) and warm (the cache built), each in a fresh process, against the targets.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface PackFigures {
  seconds: number;
  openSeconds: number;
  querySeconds: number;
  peakRssMB: number;
  filesRead: number;
  totalFiles: number;
  perQuery: Record<string, number>;
}

export async function runPack(cfg: { archiveDir: string; quarter: string; cacheDir?: string }): Promise<PackFigures> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/report-process.ts'), JSON.stringify(cfg)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`report-process failed with exit code ${String(code)}`);
  return JSON.parse(out.trim().split('\n').pop()!) as PackFigures;
}

const check = (value: number, target: number) => `(target <= ${target}: ${value <= target ? 'met' : 'MISSED'})`;
const perQuery = (f: PackFigures) =>
  Object.entries(f.perQuery)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');

export async function printPackFigures(archiveDir: string, quarter: string): Promise<void> {
  const cacheDir = path.join(ROOT, '.bench', 'parquet-cache');
  await rm(cacheDir, { recursive: true, force: true });
  const json = process.env.BENCH_SKIP_JSON_PACK ? undefined : await runPack({ archiveDir, quarter });
  const cold = await runPack({ archiveDir, quarter, cacheDir });
  const warm = await runPack({ archiveDir, quarter, cacheDir });
  if (json)
    console.log(
      `  JSON parts (day table, no columnar cache): ${json.seconds.toFixed(1)} s, peak RSS ${json.peakRssMB.toFixed(0)} MB; sign_in_anomalies ${(json.perQuery.sign_in_anomalies ?? NaN).toFixed(0)} ms`,
    );
  console.log(
    `  cold cache: ${cold.seconds.toFixed(1)} s ${check(cold.seconds, 12)} — building the cache ${cold.openSeconds.toFixed(1)} s, queries and pack ${cold.querySeconds.toFixed(1)} s; peak RSS ${cold.peakRssMB.toFixed(0)} MB ${check(cold.peakRssMB, 1000)}`,
  );
  console.log(
    `  warm cache: ${warm.seconds.toFixed(1)} s ${check(warm.seconds, 5)} — checking the cache ${warm.openSeconds.toFixed(1)} s, queries and pack ${warm.querySeconds.toFixed(1)} s; peak RSS ${warm.peakRssMB.toFixed(0)} MB ${check(warm.peakRssMB, 1000)}`,
  );
  const sign = warm.perQuery.sign_in_anomalies ?? NaN;
  console.log(`  sign_in_anomalies warm: ${(sign / 1000).toFixed(2)} s ${check(sign / 1000, 1)}`);
  console.log(
    `  gdpr_data_exports read ${warm.filesRead} of ${warm.totalFiles} JSON data files without the cache (${((100 * warm.filesRead) / warm.totalFiles).toFixed(1)}%; ideal about 25%)`,
  );
  console.log(`  per query, warm (ms): ${perQuery(warm)}`);
  console.log(`  per query, cold (ms): ${perQuery(cold)}`);
}
