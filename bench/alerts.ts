/**
 * Live-alert cost on the README cost model's typical workspace: 2,000 entries a day, 50
 * teammates, default rules, a run every 15 minutes. S3 requests are counted through the
 * ObjectStore port (a LIST page, GET, HEAD or PUT each), for the alert step only.
 *
 * The archive first gets 120 days of backfill (5-day windows, alerts on from the first run:
 * the cold start), then BENCH_ALERT_DAYS (default 3) days of 15-minute runs; the figures are
 * the steady state of the runs after the first full day.
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { collect } from '../lambdas/core/collect/collect.ts';
import type { AlertSink } from '../lambdas/core/rules/deliver.ts';
import { alertOnCollected } from '../lambdas/core/rules/liveAlerts.ts';
import { parseRules } from '../lambdas/core/rules/ruleset.ts';
import { IntercomClient } from '../lambdas/adapters/intercom/IntercomClient.ts';
import { startSimulator } from '../simulator/server.ts';
import { CountingObjectStore, type RequestCounts } from '../test/helpers/CountingObjectStore.ts';

const DAY = 86_400;
/** us-east-1 S3 Standard list prices (USD): PUT/COPY/POST/LIST per 1,000; GET/HEAD/other per 1,000. */
const PRICE = { putOrList: 0.005 / 1000, getOrHead: 0.0004 / 1000, lambdaGbSecond: 0.0000133334, storageGbMonth: 0.023 };
const RUNS_PER_MONTH = 2880;

export interface AlertFigures {
  readonly coldStart: RequestCounts & { total: number };
  readonly runs: number;
  readonly mean: number;
  readonly max: number;
  readonly p95: number;
  readonly perType: RequestCounts;
  readonly meanAlertMs: number;
  readonly monthlyUsd: { requests: number; lambda: number; storageYear7: number; total: number };
  readonly bytesPerMonth: number;
}

export async function alertFigures(): Promise<AlertFigures> {
  const days = Number(process.env.BENCH_ALERT_DAYS ?? 3);
  const start = Date.UTC(2025, 0, 1) / 1000;
  const liveFrom = start + 120 * DAY;
  const end = liveFrom + days * DAY;
  const sim = await startSimulator({ dataset: { entriesPerDay: 2000, teammates: 50, veterans: 45 }, now: () => end + DAY });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-alerts-'));
  const store = new CountingObjectStore(new LocalObjectStore(dir));
  const rules = parseRules(readFileSync(path.join(import.meta.dirname, '..', 'rules', 'default-rules.yaml'), 'utf8'), 'default-rules.yaml');
  const client = new IntercomClient({ token: sim.token, baseUrl: sim.url });
  const sink: AlertSink = { channel: 'sns', publish: async () => undefined };
  const runAt = async (until: number, windowSeconds: number) => {
    const result = await collect(client, store, {
      workspaceId: sim.workspace.workspaceId,
      since: start,
      until,
      windowSeconds,
      runId: 'run-bench',
      collectorVersion: 'bench',
      now: () => new Date((until + 600) * 1000),
    });
    store.take();
    const t0 = process.hrtime.bigint();
    await alertOnCollected(store, rules, result, [sink], { maxAgeSeconds: DAY, now: () => new Date((until + 600) * 1000) });
    return { counts: store.take(), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  try {
    const cold = await runAt(liveFrom, 5 * DAY);
    const steady: { counts: RequestCounts & { total: number }; ms: number }[] = [];
    for (let until = liveFrom + 900; until <= end; until += 900) {
      const run = await runAt(until, 900);
      if (until > liveFrom + DAY) steady.push(run);
    }
    let bytes = 0;
    for (const prefix of ['watermark', 'state']) {
      for await (const o of store.inner.list(`alerts/workspace=${sim.workspace.workspaceId}/${prefix}/`)) bytes += o.bytes;
    }
    const totals = steady.map((r) => r.counts.total).sort((a, b) => a - b);
    const perType: RequestCounts = { get: 0, head: 0, put: 0, list: 0 };
    for (const r of steady) for (const k of Object.keys(perType) as (keyof RequestCounts)[]) perType[k] += r.counts[k];
    const perRun = (k: keyof RequestCounts) => perType[k] / steady.length;
    const meanAlertMs = steady.reduce((n, r) => n + r.ms, 0) / steady.length;
    const requests =
      RUNS_PER_MONTH * ((perRun('put') + perRun('list')) * PRICE.putOrList + (perRun('get') + perRun('head')) * PRICE.getOrHead);
    const lambda = RUNS_PER_MONTH * (meanAlertMs / 1000) * 1 * PRICE.lambdaGbSecond;
    const bytesPerMonth = (bytes / (days * DAY)) * 30 * DAY;
    const storageYear7 = ((bytesPerMonth * 12 * 7) / 1e9) * PRICE.storageGbMonth;
    return {
      coldStart: cold.counts,
      runs: steady.length,
      mean: totals.reduce((a, b) => a + b, 0) / totals.length,
      max: totals[totals.length - 1]!,
      p95: totals[Math.floor(totals.length * 0.95)]!,
      perType,
      meanAlertMs,
      monthlyUsd: { requests, lambda, storageYear7, total: requests + lambda + storageYear7 },
      bytesPerMonth,
    };
  } finally {
    await sim.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function printAlertFigures(): Promise<void> {
  const f = await alertFigures();
  console.log(
    "\nLive alerts on the cost model's typical workspace (2,000 entries/day, 50 teammates, default rules, a run every 15 minutes)",
  );
  console.log(
    `  cold start (no watermark yet: the rules' 90-day horizon): ${f.coldStart.total} requests (${f.coldStart.get} GET, ${f.coldStart.head} HEAD, ${f.coldStart.list} LIST, ${f.coldStart.put} PUT), once`,
  );
  const per = (k: keyof RequestCounts) => (f.perType[k] / f.runs).toFixed(1);
  console.log(
    `  steady state, ${f.runs} runs: ${f.mean.toFixed(1)} requests per run on average (${per('get')} GET, ${per('head')} HEAD, ${per('list')} LIST, ${per('put')} PUT), p95 ${f.p95}, max ${f.max}; ${f.meanAlertMs.toFixed(0)} ms per run`,
  );
  console.log(
    `  requests per run <= 100 (every run): ${f.max <= 100 ? 'met' : 'MISSED'} (max ${f.max}); on average: ${f.mean <= 100 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  monthly: requests $${f.monthlyUsd.requests.toFixed(3)}, Lambda $${f.monthlyUsd.lambda.toFixed(3)}, state objects ${(f.bytesPerMonth / 1e6).toFixed(2)} MB/month (year-7 storage $${f.monthlyUsd.storageYear7.toFixed(3)}) = $${f.monthlyUsd.total.toFixed(2)} (target <= $0.50: ${f.monthlyUsd.total <= 0.5 ? 'met' : 'MISSED'})`,
  );
}
