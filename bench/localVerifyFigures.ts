/**
 * The local-verify figures of `npm run bench`: verify of the archive the collect run just wrote
 * (as `audit-archive verify` runs it: part checks on worker threads), the floor of reading and
 * hashing the same files, and where the CPU goes (each step of a part check timed alone), each in
 * a fresh process, against the targets. Load average and cores are printed beside the figures:
 * wall-clock MB/s depends on free cores, CPU seconds much less.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import type { PartCosts } from './verifyCost.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface VerifyFigures {
  seconds: number;
  bytes: number;
  mbPerSecond: number;
  cpuSeconds: number;
  ok: boolean;
  workers: number;
  peakRssMB: number;
}

async function run<T>(mode: 'verify' | 'floor' | 'cost', archiveDir: string, keyDir: string): Promise<T> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench/verify-process.ts'), JSON.stringify({ mode, archiveDir, keyDir })],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`verify-process ${mode} failed with exit code ${String(code)}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

const load = () => `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

export async function printLocalVerify(entries: number, archiveDir: string, keyDir: string): Promise<void> {
  const floor = await run<VerifyFigures>('floor', archiveDir, keyDir);
  const loadBefore = load();
  const v = await run<VerifyFigures>('verify', archiveDir, keyDir);
  const cost = await run<PartCosts>('cost', archiveDir, keyDir);
  const mb = v.bytes / 1e6;
  console.log(`\nLocal verify of that ${entries}-entry archive (${mb.toFixed(0)} MB of parts): ${v.ok ? 'OK' : 'PROBLEMS'}`);
  console.log(
    `  verify          ${v.seconds.toFixed(1).padStart(6)} s  ${v.mbPerSecond.toFixed(1).padStart(7)} MB/s  CPU ${v.cpuSeconds.toFixed(1)} s  RSS ${v.peakRssMB.toFixed(0)} MB  (re-hash, gunzip and check every line, every signature and lock record; ${v.workers} part-check worker threads; ${loadBefore})`,
  );
  console.log(
    `  floor           ${floor.seconds.toFixed(1).padStart(6)} s  ${floor.mbPerSecond.toFixed(1).padStart(7)} MB/s  CPU ${floor.cpuSeconds.toFixed(1)} s  (read and SHA-256 the same files)`,
  );
  console.log(`  MB/s of parts   ${v.mbPerSecond.toFixed(1).padStart(8)}  target >= 60     ${met(v.mbPerSecond >= 60)}`);
  console.log(`  peak RSS MB     ${v.peakRssMB.toFixed(0).padStart(8)}  target <= 300    ${met(v.peakRssMB <= 300)}`);
  const steps = cost.readS + cost.hashS + cost.inflateS + cost.linesS + cost.idsS + cost.idSetS;
  console.log(
    `  where the time goes (CPU s over the ${cost.parts} parts, each step alone on one thread): inflate ${cost.inflateS.toFixed(2)}, find lines ${cost.linesS.toFixed(2)}, read ids and times ${cost.idsS.toFixed(2)}, id set ${cost.idSetS.toFixed(2)}, SHA-256 ${cost.hashS.toFixed(2)}, read files ${cost.readS.toFixed(2)} = ${steps.toFixed(2)}; verify used ${v.cpuSeconds.toFixed(2)} (the rest: manifests, signatures, lock records, worker start, thread hand-offs); that CPU on ${availableParallelism()} free cores allows at most ${(mb / (v.cpuSeconds / availableParallelism())).toFixed(0)} MB/s; ${load()}`,
  );
}
