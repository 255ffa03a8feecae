/**
 * `npm run bench`: performance figures, not tests. Each measurement runs in a fresh process
 * against a simulator in another process, over loopback.
 *
 *   BENCH_ENTRIES=1000000 (default) — size of the end-to-end collect run
 *   BENCH_REPORT_ENTRIES=5000000 (default) — size of the year the report pack runs over
 *   BENCH_ONLY=lambda,collect,s3verify,latency,report,alerts,webhook — run some of the parts
 *   BENCH_S3_WINDOWS=100000 (default) — windows of the S3 verify archive
 *   BENCH_ALERT_DAYS=3 (default) — days of 15-minute runs the live-alert figures cover
 *   BENCH_WEBHOOK_DAYS=3 (default) — days of history before the webhook-to-alert latency run
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { lambdaFigures } from './lambda.ts';
import { printAlertFigures } from './alerts.ts';
import { printWebhookFigures } from './webhook.ts';
import { printPackFigures } from './reportFigures.ts';
import { printSearchFigures } from './searchFigures.ts';
import { printS3VerifyFigures } from './s3VerifyFigures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DAY = 86_400;
const HISTORY_START = Date.UTC(2025, 0, 1) / 1000;

interface Figures {
  mode: string;
  entries: number;
  seconds: number;
  entriesPerSecond: number;
  cpuMicrosPerEntry: number;
  requestsPer1000: number;
  peakRssMB: number;
  rateLimited: number;
}

function tsx(script: string, arg: unknown) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), JSON.stringify(arg)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function startSim(entriesPerDay: number, now: number, latencyMs = 0) {
  const child = tsx('bench/sim-process.ts', { entriesPerDay, now, latencyMs });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { ...(JSON.parse(line) as { url: string; token: string }), stop: () => child.kill('SIGTERM') };
}

async function measure(cfg: Record<string, unknown>): Promise<Figures> {
  const child = tsx('bench/measure-process.ts', cfg);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${String(cfg.mode)} run failed with exit code ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Figures;
}

const row = (f: Figures) =>
  `${f.mode.padEnd(22)} ${String(f.entries).padStart(9)} ${f.seconds.toFixed(1).padStart(8)} ${Math.round(f.entriesPerSecond).toString().padStart(10)} ${f.cpuMicrosPerEntry.toFixed(1).padStart(8)} ${f.requestsPer1000.toFixed(2).padStart(9)} ${f.peakRssMB.toFixed(0).padStart(8)}`;
const header = `${'run'.padEnd(22)} ${'entries'.padStart(9)} ${'wall s'.padStart(8)} ${'entries/s'.padStart(10)} ${'CPU µs/e'.padStart(8)} ${'req/1000'.padStart(9)} ${'RSS MB'.padStart(8)}`;

async function throughput() {
  const total = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
  const perDay = 10_000;
  const days = Math.ceil(total / perDay);
  const until = HISTORY_START + days * DAY;
  const sim = await startSim(perDay, until + DAY);
  try {
    const base = { url: sim.url, token: sim.token, since: HISTORY_START, until, windowSeconds: 5 * DAY };
    // Warm the simulator's caches evenly: the floor runs first and second.
    const rawFloor = await measure({ ...base, mode: 'raw-floor' });
    const floor = await measure({ ...base, mode: 'floor' });
    const archiveDir = path.join(ROOT, '.bench', 'collect-archive');
    const keyDir = path.join(ROOT, '.bench', 'keys');
    await rm(archiveDir, { recursive: true, force: true });
    const collected = await measure({ ...base, mode: 'collect', archiveDir, keyDir });
    console.log(`\nEnd to end over loopback, ${days} days of ${perDay} entries/day, 5-day windows, per_page=250`);
    console.log(header);
    console.log(row(rawFloor));
    console.log(row(floor));
    console.log(row(collected));
    const checks = [
      [
        'entries/s vs floor',
        collected.entriesPerSecond / floor.entriesPerSecond,
        '>= 0.8',
        collected.entriesPerSecond / floor.entriesPerSecond >= 0.8,
      ],
      [
        'CPU per entry vs floor',
        collected.cpuMicrosPerEntry / floor.cpuMicrosPerEntry,
        '<= 1.25',
        collected.cpuMicrosPerEntry / floor.cpuMicrosPerEntry <= 1.25,
      ],
      ['requests per 1000 entries', collected.requestsPer1000, '<= 4.2', collected.requestsPer1000 <= 4.2],
      ['peak RSS MB', collected.peakRssMB, '<= 256', collected.peakRssMB <= 256],
    ] as const;
    for (const [name, value, target, ok] of checks)
      console.log(`  ${name.padEnd(28)} ${value.toFixed(2).padStart(8)}  target ${target.padEnd(8)} ${ok ? 'met' : 'MISSED'}`);

    // Verify of the archive just collected (signed, Ed25519), against reading and hashing the same files.
    const verifyRun = async (mode: 'verify' | 'floor') => {
      const child = tsx('bench/verify-process.ts', { mode, archiveDir, keyDir });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      await new Promise((resolve) => child.on('close', resolve));
      return JSON.parse(out.trim().split('\n').pop()!) as {
        seconds: number;
        bytes: number;
        mbPerSecond: number;
        cpuSeconds: number;
        ok: boolean;
        peakRssMB: number;
      };
    };
    const vFloor = await verifyRun('floor');
    const v = await verifyRun('verify');
    console.log(
      `\nLocal verify of that ${collected.entries}-entry archive (${(v.bytes / 1e6).toFixed(0)} MB of parts): ${v.ok ? 'OK' : 'PROBLEMS'}`,
    );
    console.log(
      `  verify          ${v.seconds.toFixed(1).padStart(6)} s  ${v.mbPerSecond.toFixed(1).padStart(7)} MB/s  CPU ${v.cpuSeconds.toFixed(1)} s  RSS ${v.peakRssMB.toFixed(0)} MB  (re-hash, gunzip and check every line, every signature and lock record)`,
    );
    console.log(
      `  floor           ${vFloor.seconds.toFixed(1).padStart(6)} s  ${vFloor.mbPerSecond.toFixed(1).padStart(7)} MB/s  CPU ${vFloor.cpuSeconds.toFixed(1)} s  (read and SHA-256 the same files)`,
    );
    const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
    console.log(`  MB/s of parts   ${v.mbPerSecond.toFixed(1).padStart(8)}  target >= 60     ${met(v.mbPerSecond >= 60)}`);
    console.log(`  peak RSS MB     ${v.peakRssMB.toFixed(0).padStart(8)}  target <= 300    ${met(v.peakRssMB <= 300)}`);
    console.log(
      `  where the time goes: ${(v.bytes / 1e6 / v.cpuSeconds).toFixed(1)} MB of parts per CPU second (inflate, line scan, id map); load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    );
    await rm(archiveDir, { recursive: true, force: true });
  } finally {
    sim.stop();
  }
}

/** S3 verify of a many-window signed archive against an in-process S3 with 20 ms per request. */
async function s3verify() {
  await printS3VerifyFigures(Number(process.env.BENCH_S3_WINDOWS ?? 100_000));
}

/** Backfill at a realistic 150 ms per request: one range at a time against the default (ranges read ahead, pages bounded). */
async function latency() {
  const perDay = 2000;
  const days = Number(process.env.BENCH_LATENCY_DAYS ?? 60);
  const until = HISTORY_START + days * DAY;
  const sim = await startSim(perDay, until + DAY, 150);
  try {
    const base = { url: sim.url, token: sim.token, since: HISTORY_START, until, windowSeconds: DAY };
    console.log(`\nWith 150 ms of latency per request: ${days} days of ${perDay} entries/day, 1-day windows`);
    console.log(`${header} ${'429s'.padStart(5)}`);
    const sequential = await measure({ ...base, mode: 'collect', concurrency: 1 });
    console.log(`${row({ ...sequential, mode: 'collect, one at a time' })} ${String(sequential.rateLimited).padStart(5)}`);
    const auto = await measure({ ...base, mode: 'collect' });
    console.log(`${row({ ...auto, mode: 'collect, default' })} ${String(auto.rateLimited).padStart(5)}`);
    const wide = await measure({ ...base, mode: 'collect', concurrency: 64 });
    console.log(`${row({ ...wide, mode: 'collect, up to 64' })} ${String(wide.rateLimited).padStart(5)}`);
    const speedup = auto.entriesPerSecond / sequential.entriesPerSecond;
    const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
    console.log(`  default vs one at a time      ${speedup.toFixed(1).padStart(6)}×  target >= 10×    ${met(speedup >= 10)}`);
    const rss = Math.max(auto.peakRssMB, wide.peakRssMB);
    console.log(`  peak RSS MB (any concurrency) ${rss.toFixed(0).padStart(7)}  target <= 256    ${met(rss <= 256)}`);
    const limited = Math.max(auto.rateLimited, wide.rateLimited);
    console.log(`  HTTP 429 answers              ${String(limited).padStart(7)}  target <= 1      ${met(limited <= 1)}`);
  } finally {
    sim.stop();
  }
  // Large ranges: 5-day windows of 10,000 entries a day (200 pages a range) read ahead at 150 ms.
  const heavyDays = 30;
  const heavyUntil = HISTORY_START + heavyDays * DAY;
  const heavy = await startSim(10_000, heavyUntil + DAY, 150);
  try {
    const f = await measure({
      url: heavy.url,
      token: heavy.token,
      since: HISTORY_START,
      until: heavyUntil,
      windowSeconds: 5 * DAY,
      mode: 'collect',
    });
    console.log(`\nLarge ranges at 150 ms: ${heavyDays} days of 10000 entries/day, 5-day windows (200 pages a range)`);
    console.log(`${row({ ...f, mode: 'collect, default' })} ${String(f.rateLimited).padStart(5)}`);
    console.log(
      `  peak RSS MB                   ${f.peakRssMB.toFixed(0).padStart(7)}  target <= 256    ${f.peakRssMB <= 256 ? 'met' : 'MISSED'}`,
    );
  } finally {
    heavy.stop();
  }
}

async function lambdas() {
  console.log('\nLambda bundles (esbuild, ESM, minified) and module-load time (median of 5 fresh processes)');
  for (const f of await lambdaFigures()) {
    console.log(
      `  ${f.name.padEnd(20)} ${(f.bytes / 1024).toFixed(0).padStart(6)} KiB  target <= 1024 KiB ${f.bytes <= 1024 * 1024 ? 'met' : 'MISSED'}   load ${f.loadMs.toFixed(0).padStart(4)} ms  target <= 200 ms ${f.loadMs <= 200 ? 'met' : 'MISSED'}`,
    );
  }
}

async function report() {
  const total = Number(process.env.BENCH_REPORT_ENTRIES ?? 5_000_000);
  const days = 365;
  const perDay = Math.ceil(total / days);
  const until = HISTORY_START + days * DAY;
  const archiveDir = path.join(ROOT, '.bench', `report-archive-${total}`);
  // The year is kept between runs (it takes minutes to collect): `rm -r .bench` to rebuild it.
  const existing = await stat(path.join(archiveDir, 'manifests')).catch(() => undefined);
  let note = 'kept from an earlier run';
  if (!existing) {
    const sim = await startSim(perDay, until + DAY);
    try {
      await rm(archiveDir, { recursive: true, force: true });
      const collected = await measure({
        url: sim.url,
        token: sim.token,
        since: HISTORY_START,
        until,
        windowSeconds: 5 * DAY,
        mode: 'collect',
        archiveDir,
      });
      note = `${collected.entries} entries collected in ${collected.seconds.toFixed(0)} s`;
    } finally {
      sim.stop();
    }
  }
  console.log(`\nReport pack on DuckDB over one year of ${total} entries (${note}), quarter 2025-Q3`);
  await printPackFigures(archiveDir, '2025-Q3');
  await printSearchFigures(archiveDir);
}

const only = process.env.BENCH_ONLY?.split(',');
const want = (name: string) => !only || only.includes(name);
if (want('lambda')) await lambdas();
if (want('collect')) await throughput();
if (want('s3verify')) await s3verify();
if (want('latency') && !process.env.BENCH_SKIP_LATENCY) await latency();
if (want('report')) await report();
if (want('alerts')) await printAlertFigures();
if (want('webhook')) await printWebhookFigures();
