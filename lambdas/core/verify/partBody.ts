/**
 * One part against what its manifest says about it: the bytes hash to the recorded SHA-256,
 * and the gzip JSON lines are as many as recorded, each inside the manifest's range. Pure (no
 * I/O), so the same check runs in this process or in a worker thread.
 */
import { createHash } from 'node:crypto';
import { forEachGzipLineBytes } from '../archive/gzipLines.ts';
import { readLineHead } from './lineHead.ts';
import { type PartIds, PartIdsBuilder } from './partIds.ts';
import type { Problem } from './types.ts';

/** A part to check, with what its manifest records (plain data: it crosses a thread boundary). */
export interface PartJob {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly records: number;
  /** The manifest that lists it. */
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  readonly fromIso: string;
  readonly toIso: string;
  readonly quarantine: boolean;
}

export interface PartOutcome {
  /** Bytes read (0 when the part could not be read). */
  readonly bytes: number;
  readonly problems: Problem[];
  /** The entry ids it holds, when its hash matched and it could be read (none for quarantine). */
  readonly ids?: PartIds;
}

/** Checks a part's bytes against its manifest: `checkPartBody` here, or an adapter running it elsewhere (a worker thread). */
export type PartChecker = (job: PartJob, body: Buffer) => Promise<PartOutcome>;

export async function checkPartBody(job: PartJob, body: Buffer): Promise<PartOutcome> {
  const problems: Problem[] = [];
  const report = (code: Problem['code'], message: string) => problems.push({ code, key: job.key, message });
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== job.sha256 || body.length !== job.bytes) {
    const how =
      body.length < job.bytes
        ? `truncated to ${body.length} of ${job.bytes} bytes`
        : body.length > job.bytes
          ? `grown to ${body.length} bytes from ${job.bytes}`
          : 'altered (same size, different bytes)';
    report('part-altered', `${job.key} is ${how}: SHA-256 ${sha}, manifest ${job.seq} recorded ${job.sha256}`);
    return { bytes: body.length, problems };
  }
  // The hash matches; the contents must also match what the manifest says about them.
  const ids = new PartIdsBuilder();
  let records = 0;
  let outside = 0;
  try {
    await forEachGzipLineBytes(body, (bytes, start, end) => {
      records += 1;
      if (job.quarantine) return;
      const createdAt = readLineHead(bytes, start, end, ids);
      if (typeof createdAt !== 'number' || createdAt < job.from || createdAt >= job.to) outside += 1;
    });
  } catch (error) {
    report('part-inconsistent', `${job.key} cannot be read as gzip JSON lines (${error instanceof Error ? error.message : String(error)})`);
    return { bytes: body.length, problems };
  }
  if (records !== job.records) report('part-inconsistent', `${job.key} holds ${records} lines, manifest ${job.seq} says ${job.records}`);
  if (outside > 0)
    report('part-inconsistent', `${job.key} holds ${outside} entries outside its manifest's range [${job.fromIso}, ${job.toIso})`);
  return { bytes: body.length, problems, ids: ids.take() };
}
