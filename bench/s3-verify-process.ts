/**
 * S3 verify of a many-window signed archive against an in-process S3 with an injected latency
 * per request, through the real S3ObjectStore. Prints one JSON line.
 */
import { S3ObjectStore } from '../lambdas/adapters/aws/S3ObjectStore.ts';
import { verifyArchive } from '../lambdas/core/verify/verify.ts';
import { latencyS3 } from '../test/helpers/latencyS3.ts';
import { buildBenchArchive } from './s3Archive.ts';
import { readArchiveFile } from './s3ArchiveFile.ts';

const cfg = JSON.parse(process.argv[2]!) as { windows: number; busyEvery: number; latencyMs: number; concurrency: number; file?: string };
const built = performance.now();
// From a file built in another process (bench/s3-archive-process.ts): the building's garbage is not this process's RSS.
const archive = cfg.file ? await readArchiveFile(cfg.file) : await buildBenchArchive(cfg.windows, cfg.busyEvery);
const buildSeconds = (performance.now() - built) / 1000;
// The archive itself lives in this process: what verify adds is measured from here.
const rssAfterBuildMB = process.memoryUsage().rss / 1e6;
const s3 = latencyS3(archive.objects, 'bench-bucket', cfg.latencyMs);
const store = new S3ObjectStore(s3.client, { bucket: 'bench-bucket' });
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const phases: Record<string, number> = {};
let last = t0;
const result = await verifyArchive(store, {
  verifier: archive.verifier,
  lock: { mode: 'COMPLIANCE', years: 7 },
  checkVersions: true,
  concurrency: cfg.concurrency,
  onProgress: (done, total) => {
    if (done === 1) phases.untilFirstPart = (performance.now() - t0) / 1000;
    if (done === total) last = performance.now();
  },
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const manifests = result.workspaces.reduce((n, w) => n + w.manifests, 0);
const objects = manifests + result.signaturesChecked + result.objectsChecked;
process.stdout.write(
  `${JSON.stringify({
    ok: result.ok,
    problems: result.problems.length,
    windows: cfg.windows,
    objects,
    lockStates: result.lockChecked,
    requests: s3.counts.requests,
    maxInFlight: s3.counts.maxInFlight,
    byOperation: s3.counts.byOperation,
    meanDelayMs: s3.counts.delayMsTotal / Math.max(1, s3.counts.requests),
    seconds,
    buildSeconds,
    untilFirstPartSeconds: phases.untilFirstPart ?? null,
    partsDoneSeconds: (last - t0) / 1000,
    objectsPerSecond: objects / seconds,
    requestsPerSecond: s3.counts.requests / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
    rssAfterBuildMB,
  })}\n`,
);
s3.restore();
