/**
 * `audit-archive webhook` and `simulate --webhook-url` as a user runs them: the secret only from
 * INTERCOM_WEBHOOK_SECRET, the receiver raising an alert into --alerts-file, and --reconcile
 * naming an id the poll never archived.
 */
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { RECEIVED_FORMAT, type ReceivedRecord, recordReceived } from '../../lambdas/core/webhook/received.ts';
import { hubSignature } from '../../lambdas/core/webhook/signature.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { runCollector } from '../helpers/collecting.ts';
import { type CliRun, runCli } from '../helpers/cli.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);
let sim: RunningSimulator;
let tmp: string;
beforeAll(async () => {
  sim = await startSimulator({ dataset: { historyStart: NOW - 3 * DAY, entriesPerDay: 200 }, now: () => NOW });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-webhook-'));
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> =>
  runCli(args, { sim, keyDir: path.join(tmp, 'keys'), env: { INTERCOM_WEBHOOK_SECRET: undefined, ...env } });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('audit-archive webhook', () => {
  it('refuses to start without INTERCOM_WEBHOOK_SECRET (exit 2, naming it); simulate --webhook-url likewise', async () => {
    const dir = path.join(tmp, 'empty');
    await fs.mkdir(dir);
    const r = await cli(['webhook', '--archive', dir, '--workspace', 'sim-acme']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('INTERCOM_WEBHOOK_SECRET is not set');
    const s = await cli(['simulate', '--webhook-url', 'http://127.0.0.1:9/']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('INTERCOM_WEBHOOK_SECRET');
  });

  it('receives a signed notification, answers 200 and writes the alert to --alerts-file', async () => {
    const dir = path.join(tmp, 'live');
    await fs.mkdir(dir);
    const rules = path.join(tmp, 'rules.yaml');
    await fs.writeFile(
      rules,
      'version: 1\nrules:\n  - name: any-export\n    severity: high\n    when: [{ type_in_group: data_exports }]\n',
    );
    const alerts = path.join(tmp, 'live-alerts.jsonl');
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'cli/main.ts'),
        'webhook',
        '--archive',
        dir,
        '--workspace',
        'sim-acme',
        '--rules',
        rules,
        '--alerts-file',
        alerts,
        '--port',
        String(port),
      ],
      { cwd: ROOT, env: { ...process.env, INTERCOM_WEBHOOK_SECRET: 'cli-secret', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const lines = createInterface({ input: child.stderr! });
      await new Promise<void>((resolve) => lines.on('line', (l) => l.includes('listening') && resolve()));
      const item = {
        id: '77',
        performed_by: { type: 'admin', id: '1', email: 'a@example.com', ip: '192.0.2.1' },
        metadata: {},
        created_at: NOW - 5,
        activity_type: 'bulk_export',
        activity_description: 'x',
      };
      const body = Buffer.from(
        JSON.stringify({
          type: 'notification_event',
          app_id: 'sim-acme',
          topic: 'admin.activity_log_event.created',
          id: 'notif_1',
          data: { item },
        }),
      );
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'x-hub-signature': hubSignature(body, 'cli-secret') },
        body,
      });
      expect(res.status).toBe(200);
      const written = readFileSync(alerts, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(written).toEqual([expect.objectContaining({ rule: 'any-export', entry_id: '77', workspace_id: 'sim-acme' })]);
      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'x-hub-signature': hubSignature(body, 'guess') },
        body,
      });
      expect(forged.status).toBe(401);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.on('close', r));
    }
  });

  it('--reconcile lists the id the webhook saw and the poll never archived, and exits 1', async () => {
    const dir = path.join(tmp, 'reconcile');
    await fs.mkdir(dir);
    const store = new LocalObjectStore(dir);
    await runCollector(sim, store, { since: NOW - 2 * DAY, until: NOW - 3600 });
    const archived = sim.visibleBetween(NOW - DAY, NOW - 4 * 3600)[0]!;
    const record = (id: string, createdAt: number): ReceivedRecord => ({
      format: RECEIVED_FORMAT,
      workspace_id: 'sim-acme',
      id,
      created_at: createdAt,
      activity_type: 'admin_login_success',
      app_id: 'sim-acme',
      notification_id: null,
      received_at: new Date(createdAt * 1000 + 1500).toISOString(),
    });
    await recordReceived(store, record(archived.id, archived.created_at));
    await recordReceived(store, record('ghost-1', NOW - 12 * 3600));
    const r = await cli(['webhook', '--archive', dir, '--workspace', 'sim-acme', '--reconcile', '--lookback', '2d']);
    expect(r.code).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(['ghost-1']);
    expect(r.stderr).toMatch(/2 ids received by webhook, 1 not archived by the poll/);
  });
});
