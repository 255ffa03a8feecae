/** One measured search in a fresh process: one teammate, one month, through the columnar cache. */
import path from 'node:path';
import { DuckDbEngine } from '../lambdas/adapters/local/DuckDbEngine.ts';
import { ParquetPartCache } from '../lambdas/adapters/local/ParquetPartCache.ts';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { archiveScope } from '../lambdas/core/archive/scope.ts';
import { search } from '../lambdas/core/search/search.ts';

const cfg = JSON.parse(process.argv[2]!) as { archiveDir: string; cacheDir: string; month: string };
const from = Date.parse(`${cfg.month}-01T00:00:00Z`) / 1000;
const next = new Date(from * 1000);
next.setUTCMonth(next.getUTCMonth() + 1);
const to = next.getTime() / 1000;
const t0 = process.hrtime.bigint();
const scope = await archiveScope(new LocalObjectStore(cfg.archiveDir));
const partCache = await ParquetPartCache.open({ dir: cfg.cacheDir, keyFile: path.join(path.dirname(cfg.cacheDir), 'bench-cache.key') });
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
const engine = await DuckDbEngine.open(cfg.archiveDir, { parts: scope.parts, partCache, cacheDays: { from: day(from), to: day(to - 1) } });
const opened = process.hrtime.bigint();
// The teammate: whoever performed the month's first entry.
const first = await search(engine, { filter: { from, to: from + 3600 }, limit: 1 });
const teammate = first.hits[0]?.actor_email ?? 'nobody@example.com';
const t1 = process.hrtime.bigint();
const result = await search(engine, { filter: { from, to, teammate }, limit: 10_000 });
const t2 = process.hrtime.bigint();
await engine.close();
process.stdout.write(
  `${JSON.stringify({
    seconds: Number(t2 - t0) / 1e9 - Number(t1 - opened) / 1e9,
    openSeconds: Number(opened - t0) / 1e9,
    searchSeconds: Number(t2 - t1) / 1e9,
    hits: result.hits.length,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
  })}\n`,
);
