/**
 * Where local verify's CPU goes: each step of a part check timed on its own (CPU seconds, one
 * thread, the same parts in key order), so a missed target comes with the step that costs it.
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

async function timed(work: () => Promise<void> | void): Promise<number> {
  const c0 = cpuSeconds();
  await work();
  return cpuSeconds() - c0;
}

export async function partCosts(archiveDir: string): Promise<PartCosts> {
  const root = path.join(archiveDir, 'activity_logs');
  const files = ((await fs.readdir(root, { recursive: true })) as string[]).filter((f) => f.endsWith('.jsonl.gz')).sort();
  const bodies: Buffer[] = [];
  const readS = await timed(async () => {
    for (const f of files) bodies.push(await fs.readFile(path.join(root, f)));
  });
  const hashS = await timed(() => {
    for (const b of bodies) createHash('sha256').update(b).digest('hex');
  });
  const inflateS = await timed(async () => {
    for (const b of bodies) {
      const gunzip = createGunzip({ chunkSize: CHUNK });
      gunzip.end(b);
      for await (const _ of gunzip);
    }
  });
  const scanS = await timed(async () => {
    for (const b of bodies) await forEachGzipLineBytes(b, () => undefined);
  });
  const all: PartIds[] = [];
  const headsS = await timed(async () => {
    for (const b of bodies) {
      const ids = new PartIdsBuilder();
      await forEachGzipLineBytes(b, (bytes, start, end) => void readLineHead(bytes, start, end, ids));
      all.push(ids.take());
    }
  });
  const records = all.reduce((n, ids) => n + ids.uuids.length / 4 + ids.numbers.length + ids.texts.length, 0);
  const idSetS = await timed(() => {
    const set = new IdSet(records);
    for (const [i, ids] of all.entries()) set.add(files[i]!, ids, () => undefined);
  });
  return { parts: files.length, readS, hashS, inflateS, linesS: scanS - inflateS, idsS: headsS - scanS, idSetS };
}
