/** Builds (once) the one-year archive the report benchmark reads: `tsx bench/make-archive.ts <entries> <dir>`. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const total = Number(process.argv[2] ?? 5_000_000);
const dir = path.resolve(process.argv[3] ?? path.join(ROOT, '.bench', `report-archive-${total}`));
const start = Date.UTC(2025, 0, 1) / 1000;
const until = start + 365 * 86_400;
const tsx = (script: string, arg: unknown) =>
  spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), JSON.stringify(arg)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
const sim = tsx('bench/sim-process.ts', { entriesPerDay: Math.ceil(total / 365), now: until + 86_400 });
const { url, token } = JSON.parse(
  await new Promise<string>((resolve) => createInterface({ input: sim.stdout! }).once('line', resolve)),
) as { url: string; token: string };
const run = tsx('bench/measure-process.ts', {
  mode: 'collect',
  url,
  token,
  since: start,
  until,
  windowSeconds: 5 * 86_400,
  archiveDir: dir,
});
run.stdout!.pipe(process.stdout);
await new Promise((resolve) => run.on('close', resolve));
sim.kill('SIGTERM');
