/**
 * The S3 verify figures of `npm run bench`: a many-window signed archive verified through the
 * real S3ObjectStore and S3Client against an in-process S3 with 20 ms per request, in a fresh
 * process (bench/s3-verify-process.ts), against the target.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { archiveFileExists } from './s3ArchiveFile.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface S3VerifyFigures {
  ok: boolean;
  objects: number;
  lockStates: number;
  requests: number;
  maxInFlight: number;
  byOperation: Record<string, number>;
  meanDelayMs: number;
  seconds: number;
  buildSeconds: number;
  objectsPerSecond: number;
  requestsPerSecond: number;
  cpuSeconds: number;
  peakRssMB: number;
  rssAfterBuildMB: number;
}

async function run<R>(script: string, cfg: Record<string, unknown>): Promise<R> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), JSON.stringify(cfg)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${script} failed with exit code ${String(code)}`);
  return JSON.parse(out.trim().split('\n').pop()!) as R;
}

export async function printS3VerifyFigures(windows: number): Promise<void> {
  const file = path.join(ROOT, '.bench', `s3-verify-archive-${windows}.bin`);
  const cfg = { windows, busyEvery: 4, latencyMs: 20, concurrency: 32, file };
  if (!archiveFileExists(file)) await run('bench/s3-archive-process.ts', { windows, busyEvery: cfg.busyEvery, file });
  const load = loadavg()[0]!;
  const r = await run<S3VerifyFigures>('bench/s3-verify-process.ts', cfg);
  // The target as the issue set it: 32 at 20 ms, two round trips per object (its bytes, then its lock state).
  const ideal = cfg.concurrency / (cfg.latencyMs / 1000) / 2;
  const target = 0.8 * ideal;
  const ops = Object.entries(r.byOperation)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `\nS3 verify of ${windows} windows (every ${cfg.busyEvery}th with a part), ${cfg.latencyMs} ms per request, ${cfg.concurrency} at once: ${r.ok ? 'OK' : 'PROBLEMS'}`,
  );
  console.log(
    `  ${r.objects} objects and ${r.lockStates} lock states in ${r.seconds.toFixed(1)} s; ${r.requests} requests (${Math.round(r.requestsPerSecond)}/s, at most ${r.maxInFlight} in flight): ${ops}`,
  );
  console.log(
    `  objects/s       ${r.objectsPerSecond.toFixed(0).padStart(8)}  target >= ${target.toFixed(0)} (80% of ${ideal.toFixed(0)}: ${cfg.concurrency} per ${cfg.latencyMs} ms, two round trips per object; a read now brings its lock state: one) ${r.objectsPerSecond >= target ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  CPU ${r.cpuSeconds.toFixed(1)} s (${((r.cpuSeconds / r.objects) * 1e6).toFixed(0)} µs per object), peak RSS ${r.peakRssMB.toFixed(0)} MB (${r.rssAfterBuildMB.toFixed(0)} MB with the archive loaded into this process, before verify)`,
  );
  console.log(
    `  where the time goes: a 20 ms request took ${r.meanDelayMs.toFixed(1)} ms on average (a timer fires late when the event loop waits for a core); CPU ${((r.cpuSeconds / r.seconds) * 100).toFixed(0)}% of wall; load average ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  );
}
