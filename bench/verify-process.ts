/**
 * Local verify of a collected archive in a fresh process, against the floor of reading and
 * hashing the same files, or (`cost`) each step of a part check timed alone. Prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { Ed25519Signer } from '../lambdas/adapters/local/Ed25519Signer.ts';
import { verifyArchive } from '../lambdas/core/verify/verify.ts';
import { listWorkspaces } from '../lambdas/core/archive/chain.ts';
import { archiveKey } from '../lambdas/core/signing/chainKey.ts';
import { PartCheckPool } from '../lambdas/adapters/local/PartCheckPool.ts';
import { partCosts } from './verifyCost.ts';

const cfg = JSON.parse(process.argv[2]!) as { mode: 'verify' | 'floor' | 'cost'; archiveDir: string; keyDir: string };
if (cfg.mode === 'cost') {
  process.stdout.write(`${JSON.stringify(await partCosts(cfg.archiveDir))}\n`);
  process.exit(0);
}
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let bytes = 0;
let ok = true;
let workers = 0;
if (cfg.mode === 'verify') {
  const store = new LocalObjectStore(cfg.archiveDir);
  const keys = Ed25519Signer.existingVerifier(cfg.archiveDir, (await archiveKey(store, await listWorkspaces(store)))!, cfg.keyDir)!;
  // As `audit-archive verify` runs it: part checks on worker threads.
  const pool = new PartCheckPool({ transfer: true });
  const result = await verifyArchive(store, {
    verifier: keys.verifier,
    lock: { mode: 'COMPLIANCE', years: 7 },
    concurrency: 8,
    checkPart: pool.check,
  }).finally(() => pool.close());
  bytes = result.bytesChecked;
  ok = result.ok;
  workers = pool.checkedPerWorker().length;
} else {
  for (const root of ['activity_logs', 'quarantine', 'manifests', 'signatures']) {
    const dir = path.join(cfg.archiveDir, root);
    const files = (await fs.readdir(dir, { recursive: true }).catch(() => [])) as string[];
    for (const f of files) {
      const full = path.join(dir, f);
      if (!(await fs.stat(full)).isFile()) continue;
      const body = await fs.readFile(full);
      createHash('sha256').update(body).digest();
      if (root === 'activity_logs' || root === 'quarantine') bytes += body.length;
    }
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ mode: cfg.mode, seconds, bytes, mbPerSecond: bytes / 1e6 / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, ok, workers, peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6 })}\n`,
);
