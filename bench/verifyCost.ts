/**
 * Where local verify's CPU goes: each step of a part check timed on its own (CPU seconds, one
 * thread, the same parts in key order), so a missed target comes with the step that costs it.
 * Each step runs three times after a warm-up (the least CPU, or for the steps that build on each
 * other the median difference, counts): on a shared machine a busy neighbour on the same core
 * inflates CPU time too.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { CHUNK, forEachGzipLineBytes } from '../lambdas/core/archive/gzipLines.ts';
import { IdSet } from '../lambdas/core/verify/IdSet.ts';
import { readLineHead } from '../lambdas/core/verify/lineHead.ts';
import { type PartIds, PartIdsBuilder } from '../lambdas/core/verify/partIds.ts';

export interface PartCosts {
  readonly parts: number;
  readonly readS: number;
  readonly hashS: number;
  readonly inflateS: number;
  /** Finding the lines in the inflated bytes (beyond inflating). */
  readonly linesS: number;
  /** Reading each line's id and time into the part's id arrays (beyond finding the lines). */
  readonly idsS: number;
  /** The id set that finds duplicates. */
  readonly idSetS: number;
}

const cpuSeconds = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

async function once(work: () => Promise<void> | void): Promise<number> {
  const c0 = cpuSeconds();
  await work();
  return cpuSeconds() - c0;
}

/** The least CPU of three runs. */
async function timed(work: () => Promise<void> | void): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) best = Math.min(best, await once(work));
  return best;
}

export async function partCosts(archiveDir: string): Promise<PartCosts> {
  const root = path.join(archiveDir, 'activity_logs');
  const files = ((await fs.readdir(root, { recursive: true })) as string[]).filter((f) => f.endsWith('.jsonl.gz')).sort();
  let bodies: Buffer[] = [];
  const readS = await timed(async () => {
    bodies = [];
    for (const f of files) bodies.push(await fs.readFile(path.join(root, f)));
  });
  // Warm-up: the first pass pays for fresh memory pages and compiling.
  for (const b of bodies) await forEachGzipLineBytes(b, () => undefined);
  const hashS = await timed(() => {
    for (const b of bodies) createHash('sha256').update(b).digest('hex');
  });
  // Inflating, finding lines and reading ids build on each other: timed one after the other in
  // each round, so the differences are taken under the same load.
  const rounds: { inflate: number; scan: number; heads: number }[] = [];
  let all: PartIds[] = [];
  for (let round = 0; round < 3; round++) {
    const inflate = await once(async () => {
      for (const b of bodies) {
        const gunzip = createGunzip({ chunkSize: CHUNK });
        gunzip.end(b);
        for await (const _ of gunzip);
      }
    });
    const scan = await once(async () => {
      for (const b of bodies) await forEachGzipLineBytes(b, () => undefined);
    });
    all = [];
    const heads = await once(async () => {
      for (const b of bodies) {
        const ids = new PartIdsBuilder();
        await forEachGzipLineBytes(b, (bytes, start, end) => void readLineHead(bytes, start, end, ids));
        all.push(ids.take());
      }
    });
    rounds.push({ inflate, scan, heads });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const inflateS = median(rounds.map((r) => r.inflate));
  const linesS = median(rounds.map((r) => r.scan - r.inflate));
  const idsS = median(rounds.map((r) => r.heads - r.scan));
  const records = all.reduce((n, ids) => n + ids.uuids.length / 4 + ids.numbers.length + ids.texts.length, 0);
  const idSetS = await timed(() => {
    const set = new IdSet(records);
    for (const [i, ids] of all.entries()) set.add(files[i]!, ids, () => undefined);
  });
  return { parts: files.length, readS, hashS, inflateS, linesS, idsS, idSetS };
}
