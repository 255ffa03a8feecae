/**
 * Webhook-to-alert latency: the simulator's notifications posted to the local receiver over
 * loopback, one at a time as entries are created; the time from sending a signed notification
 * to its answer, by which the alert is already written to the alerts file and recorded as sent
 * (the receiver answers after delivery). Compared with the poll path, whose alerts come with
 * the run after the settle lag: 10–25 minutes on the default schedule.
 *
 * The archive first gets BENCH_WEBHOOK_DAYS (default 3) days of history and one live-alert run,
 * so the receiver evaluates every default rule with the history the collector recorded.
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { collect } from '../lambdas/core/collect/collect.ts';
import { alertOnCollected } from '../lambdas/core/rules/liveAlerts.ts';
import { parseRules } from '../lambdas/core/rules/ruleset.ts';
import type { WebhookResponse } from '../lambdas/core/webhook/receive.ts';
import { IntercomClient } from '../lambdas/adapters/intercom/IntercomClient.ts';
import { startLocalWebhook } from '../cli/commands/webhook.ts';
import { startSimulator } from '../simulator/server.ts';
import { WebhookPoster } from '../simulator/webhookPoster.ts';
import { CountingObjectStore } from '../test/helpers/CountingObjectStore.ts';

const DAY = 86_400;
const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = 'bench-client-secret';

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};

export async function printWebhookFigures(): Promise<void> {
  const days = Number(process.env.BENCH_WEBHOOK_DAYS ?? 3);
  const start = Date.UTC(2025, 2, 3) / 1000;
  const until = start + days * DAY;
  let clock = until;
  const sim = await startSimulator({ dataset: { entriesPerDay: 2000, teammates: 50, veterans: 40 }, now: () => clock });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-webhook-'));
  const rulesFile = path.join(ROOT, 'rules/default-rules.yaml');
  const ruleSet = parseRules(readFileSync(rulesFile, 'utf8'), 'default-rules.yaml');
  const store = new LocalObjectStore(path.join(dir, 'archive'));
  const answers: { ms: number; r: WebhookResponse }[] = [];
  let sentAt = 0;
  const counting = new CountingObjectStore(store);
  const server = await startLocalWebhook({
    store: counting,
    workspaceId: sim.workspace.workspaceId,
    secret: SECRET,
    rulesFile,
    alertsFile: path.join(dir, 'alerts.jsonl'),
    alertsToStdout: false,
    now: () => new Date(clock * 1000),
    onResponse: (r) => answers.push({ ms: performance.now() - sentAt, r }),
  });
  try {
    await fs.mkdir(path.join(dir, 'archive'), { recursive: true });
    const client = new IntercomClient({ token: sim.token, baseUrl: sim.url, sleep: async () => undefined });
    const collected = await collect(client, store, {
      workspaceId: sim.workspace.workspaceId,
      runId: 'bench',
      collectorVersion: 'bench',
      windowSeconds: DAY,
      since: start,
      until,
    });
    await alertOnCollected(store, ruleSet, collected, [], { maxAgeSeconds: DAY, now: () => new Date(until * 1000) });
    const poster = new WebhookPoster({
      url: server.url,
      secret: SECRET,
      appId: sim.workspace.workspaceId,
      workspace: sim.workspace,
      now: () => clock,
      after: until,
    });
    const entries = sim.workspace.entriesBetween(until + 1, until + DAY / 2);
    counting.counts = { get: 0, head: 0, put: 0, list: 0 };
    const wall = performance.now();
    for (const entry of entries) {
      clock = entry.created_at;
      sentAt = performance.now();
      await poster.post(entry);
    }
    const seconds = (performance.now() - wall) / 1000;
    const all = answers.map((a) => a.ms);
    const alerting = answers.filter((a) => (a.r.sent ?? 0) > 0).map((a) => a.ms);
    console.log(`\nWebhook to alert over loopback (local receiver, default rules, history of ${days} days at 2,000 entries/day)`);
    console.log(
      `  ${answers.length} notifications in ${seconds.toFixed(1)} s; all: p50 ${quantile(all, 0.5).toFixed(1)} ms, p95 ${quantile(all, 0.95).toFixed(1)} ms, max ${Math.max(...all).toFixed(1)} ms`,
    );
    console.log(
      `  ${alerting.length} that raised an alert (alert written before the answer): p50 ${quantile(alerting, 0.5).toFixed(1)} ms, p95 ${quantile(alerting, 0.95).toFixed(1)} ms, max ${alerting.length ? Math.max(...alerting).toFixed(1) : '-'} ms`,
    );
    const c = counting.counts;
    const n = answers.length;
    console.log(
      `  object-store requests per notification: ${((c.get + c.head + c.list + c.put) / n).toFixed(1)} (${(c.get / n).toFixed(1)} GET, ${(c.head / n).toFixed(1)} HEAD, ${(c.list / n).toFixed(1)} LIST, ${(c.put / n).toFixed(2)} PUT)`,
    );
    console.log('  poll path for comparison: 10–25 min (15-minute schedule plus the 10-minute settle lag)');
  } finally {
    await server.close();
    await sim.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
