/**
 * One measured run in a fresh process: `collect` (the real core writing a local archive) or
 * `floor` (the same client and pages, parse, dedupe, gzip and hash the same lines — no part
 * writer, store, manifests or adoption), or `raw-floor` (gzip the entries as served).
 * Prints one JSON line of figures.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { chainKey } from '../lambdas/core/signing/chainKey.ts';
import { Ed25519Signer } from '../lambdas/adapters/local/Ed25519Signer.ts';
import { collect } from '../lambdas/core/collect/collect.ts';
import { IntercomClient } from '../lambdas/adapters/intercom/IntercomClient.ts';
import { toArchiveLine } from '../lambdas/core/archive/lines.ts';

const cfg = JSON.parse(process.argv[2]!) as {
  mode: 'collect' | 'floor' | 'raw-floor';
  url: string;
  token: string;
  since: number;
  until: number;
  windowSeconds: number;
  concurrency?: number;
  /** Keep the archive here instead of a temporary folder that is removed afterwards. */
  archiveDir?: string;
  /** Sign manifests with the archive's local key kept here. */
  keyDir?: string;
};
let requests = 0;
let rateLimited = 0;
const provenance = { runId: 'run-bench', collectorVersion: 'bench', apiHost: new URL(cfg.url).host, apiVersion: '2.17' };
const client = new IntercomClient({
  token: cfg.token,
  baseUrl: cfg.url,
  onEvent: (e) => {
    if (e.type === 'request') requests += 1;
    if (e.type === 'request' && e.status === 429) rateLimited += 1;
  },
});
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let entries = 0;
let dir: string | undefined;

if (cfg.mode === 'collect') {
  dir = cfg.archiveDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'bench-archive-')));
  const store = new LocalObjectStore(dir);
  const result = await collect(client, store, {
    workspaceId: 'bench',
    partMaxBytes: 64 * 1024 * 1024,
    since: cfg.since,
    until: cfg.until,
    windowSeconds: cfg.windowSeconds,
    lookbackSeconds: 3600,
    ...(cfg.concurrency !== undefined && { concurrency: cfg.concurrency }),
    ...(cfg.keyDir && { signer: Ed25519Signer.forChain(dir, await chainKey(store, 'bench'), cfg.keyDir).signer }),
    runId: 'run-bench',
    collectorVersion: 'bench',
  });
  entries = result.entries;
} else {
  for (let from = cfg.since; from < cfg.until; from += cfg.windowSeconds) {
    const to = Math.min(from + cfg.windowSeconds, cfg.until);
    const ids = new Set<string>();
    const gzip = createGzip({ level: 6 });
    const hash = createHash('sha256');
    gzip.on('data', (chunk: Buffer) => hash.update(chunk));
    let pending = '';
    for await (const page of client.fetchRange({ after: from - 1, before: to + 1 })) {
      const ingestedAt = new Date().toISOString();
      for (const entry of page.entries) {
        if (entry.created_at < from || entry.created_at >= to || ids.has(entry.id)) continue;
        ids.add(entry.id);
        entries += 1;
        // The floor writes the same archive lines as the collector (the format is fixed by the
        // design); `raw-floor` gzips only the entries as served, for comparison.
        pending += `${JSON.stringify(cfg.mode === 'floor' ? toArchiveLine(entry, 'bench', provenance, ingestedAt, false) : entry)}\n`;
        if (pending.length > 256 * 1024) {
          gzip.write(pending);
          pending = '';
        }
      }
    }
    gzip.end(pending);
    await once(gzip, 'end');
    hash.digest('hex');
  }
}

const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
if (dir && !cfg.archiveDir) await fs.rm(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    mode: cfg.mode,
    entries,
    seconds,
    entriesPerSecond: entries / seconds,
    cpuMicrosPerEntry: (cpu.user + cpu.system) / entries,
    requestsPer1000: (requests / entries) * 1000,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
    rateLimited,
  })}\n`,
);
