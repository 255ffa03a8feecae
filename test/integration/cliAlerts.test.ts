/**
 * Live alerts through the CLI: an alerts file that cannot be written (a directory) for two runs,
 * then one that can — every alert the backtest counts for those windows arrives, once.
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { backtest } from '../../lambdas/core/rules/backtest.ts';
import type { Alert } from '../../lambdas/core/rules/evaluate.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { type CliRun, runCli } from '../helpers/cli.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DAY = 86_400;
// Recent days, so that the default-sized --alert-max-age below covers them on the real clock.
const UNTIL = Math.floor(Date.now() / 1000 / DAY) * DAY;
const SINCE = UNTIL - 6 * DAY;
const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
let sim: RunningSimulator;
let tmp: string;

beforeAll(async () => {
  sim = await startSimulator({ dataset: { historyStart: SINCE - 30 * DAY }, now: () => Math.floor(Date.now() / 1000) });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-alerts-'));
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { sim, keyDir: path.join(tmp, 'keys') });
}

describe('audit-archive collect --rules', () => {
  it('delivers every alert of the two runs whose --alerts-file was a directory, once the file can be written', async () => {
    const archive = path.join(tmp, 'archive');
    const unwritable = path.join(tmp, 'alerts-dir');
    const file = path.join(tmp, 'alerts.jsonl');
    await fs.mkdir(unwritable);
    const collect = (until: number, alertsFile: string) =>
      cli([
        'collect',
        '--archive',
        archive,
        '--since',
        String(SINCE),
        '--until',
        String(until),
        '--window',
        '1d',
        '--settle-lag',
        '0s',
        '--rules',
        'rules/default-rules.yaml',
        '--alerts-file',
        alertsFile,
        '--alert-max-age',
        '30d',
      ]);

    const first = await collect(UNTIL - 5 * DAY, file);
    expect(first.code).toBe(0);
    for (const until of [UNTIL - 4 * DAY, UNTIL - 2 * DAY]) {
      const failed = await collect(until, unwritable);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/alerts could not be delivered \(EISDIR.*the next run delivers these \d+ alerts/);
      // The data is archived all the same.
      expect((await verifyArchive(new LocalObjectStore(archive))).problems).toEqual([]);
    }
    const ok = await collect(UNTIL, file);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/alerts: \d+ matches in \d+ entries after the alerts watermark \(manifest \d+\), \d+ sent, 0 sent before/);

    const delivered = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Alert);
    const rules = parseRules(readFileSync(path.join(ROOT, 'rules/default-rules.yaml'), 'utf8'), 'default-rules.yaml');
    const { alerts } = await backtest(new LocalObjectStore(archive), ['sim-acme'], rules, SINCE, UNTIL);
    const byId = (a: Alert, b: Alert) => (a.alert_id < b.alert_id ? -1 : 1);
    expect(alerts.length).toBeGreaterThan(20);
    expect([...delivered].sort(byId)).toEqual([...alerts].sort(byId));

    // The CLI's own backtest counts the same number.
    const bt = await cli([
      'rules',
      'backtest',
      '--archive',
      archive,
      '--rules',
      'rules/default-rules.yaml',
      '--from',
      day(SINCE),
      '--to',
      day(UNTIL - DAY),
    ]);
    expect(bt.code).toBe(0);
    const counted = [...bt.stdout.matchAll(/\]: (\d+) alerts/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(delivered.length);

    // A rerun has nothing new after the watermark and sends nothing.
    const again = await collect(UNTIL, file);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/alerts: 0 matches in nothing archived after the alerts watermark/);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(delivered.length);
  });
});
