import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { runCli } from '../../cli/program.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';

let sim: RunningSimulator;
let archive: string;
const UNTIL = T0 + 3 * DAY;
const day = (offset: number) => new Date((T0 + offset * DAY) * 1000).toISOString().slice(0, 10);

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + DAY });
  archive = await fs.mkdtemp(path.join(os.tmpdir(), 'hold-cli-'));
  await runCollector(sim, new LocalObjectStore(archive), { since: T0, until: UNTIL });
});
afterAll(async () => {
  await sim.close();
  await fs.rm(archive, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await runCli(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

describe('audit-archive hold', () => {
  it('places, lists and releases a hold on a local archive', async () => {
    const placed = await run(['hold', 'place', '--archive', archive, '--from', day(1), '--to', day(1), '--reason', 'Matter 7']);
    expect(placed.code).toBe(0);
    const id = /hold (\S+) placed on (\d+) objects/.exec(placed.stdout)!;
    expect(Number(id[2])).toBeGreaterThan(0);

    const listed = await run(['hold', 'list', '--archive', archive]);
    expect(listed.stdout).toContain(`${id[1]}  OPEN      ${day(1)} – ${day(1)}  ${id[2]} objects  — Matter 7`);

    const released = await run(['hold', 'release', '--archive', archive, '--hold', id[1]!, '--reason', 'settled']);
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`hold ${id[1]} released: ${id[2]} objects no longer held, 0 still held by other holds`);
    expect((await run(['hold', 'list', '--archive', archive, '--json'])).stdout).toContain('"released": true');
  });

  it.each([
    [
      ['hold', 'place', '--archive', 'ARCHIVE', '--from', '2025-03-04', '--to', '2025-03-04'],
      /required option '--reason <text>' not specified/,
    ],
    [
      ['hold', 'place', '--archive', 'ARCHIVE', '--from', '2025-03-04', '--prefix', 'manifests/', '--reason', 'x'],
      /give either --from and --to, or --prefix, not both/,
    ],
    [['hold', 'place', '--archive', 'ARCHIVE', '--from', '2025-03-04', '--reason', 'x'], /a period needs both --from and --to/],
    [['hold', 'release', '--archive', 'ARCHIVE', '--hold', 'x', '--reason', 'x'], /--hold: 'x' is not a hold id/],
  ])('exits 2 on %j naming the problem', async (args, message) => {
    const result = await run(args.map((a) => (a === 'ARCHIVE' ? archive : a)));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
