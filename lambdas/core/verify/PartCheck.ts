/**
 * Parts: each listed once, present, unaltered, and consistent with its manifest; no entry id
 * archived twice in a workspace.
 */
import { manifestKey } from '../archive/keys.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { PartRef } from './ArchiveContents.ts';
import { type PartJob, type PartOutcome, checkPartBody } from './partBody.ts';
import type { Report } from './ProblemList.ts';
import { compareText } from './types.ts';

export interface SelectedParts {
  /** Each part key with the first manifest that lists it. */
  readonly referenced: Map<string, PartRef>;
  /** The parts to read: listed once, and present. */
  readonly toCheck: PartRef[];
}

export function selectParts(refs: readonly PartRef[], dataObjects: ReadonlyMap<string, number>, report: Report): SelectedParts {
  const referenced = new Map<string, PartRef>();
  const toCheck: PartRef[] = [];
  for (const ref of refs) {
    const earlier = referenced.get(ref.part.key);
    if (earlier) {
      report(
        'part-listed-twice',
        ref.part.key,
        `${ref.part.key} is listed by manifest ${earlier.manifest.seq} and again by manifest ${ref.manifest.seq}`,
      );
      continue;
    }
    referenced.set(ref.part.key, ref);
    if (!dataObjects.has(ref.part.key)) {
      report(
        'part-missing',
        ref.part.key,
        `${ref.part.key} is listed by manifest ${manifestKey(ref.manifest.workspace_id, ref.manifest.seq)} but does not exist`,
      );
      continue;
    }
    toCheck.push(ref);
  }
  return { referenced, toCheck };
}

export function partJob({ part, manifest, quarantine }: PartRef): PartJob {
  return {
    key: part.key,
    sha256: part.sha256,
    bytes: part.bytes,
    records: part.records,
    seq: manifest.seq,
    from: manifest.from,
    to: manifest.to,
    fromIso: manifest.from_iso,
    toIso: manifest.to_iso,
    quarantine,
  };
}

/** Reads a part through the archive reader and checks it in this process. */
export async function checkPartHere(reader: ArchiveReader, job: PartJob): Promise<PartOutcome> {
  const body = await reader.read(job.key);
  return body ? checkPartBody(job, body) : { bytes: 0, problems: [] };
}

export interface PartCheckOptions {
  readonly concurrency: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Checks every part; returns the bytes read. */
export async function checkParts(reader: ArchiveReader, toCheck: readonly PartRef[], options: PartCheckOptions, report: Report) {
  // Parts are read concurrently; their ids are compared afterwards in key order, so a duplicate
  // always names the same (later) object however the reads interleave.
  const idsOfPart = new Map<PartRef, string[]>();
  let done = 0;
  let bytesChecked = 0;
  let cursor = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, toCheck.length) }, async () => {
      while (cursor < toCheck.length) {
        const ref = toCheck[cursor++]!;
        const outcome = await checkPartHere(reader, partJob(ref));
        bytesChecked += outcome.bytes;
        for (const p of outcome.problems) report(p.code, p.key, p.message);
        if (outcome.ids) idsOfPart.set(ref, outcome.ids);
        done += 1;
        options.onProgress?.(done, toCheck.length);
      }
    }),
  );
  const idsByWorkspace = new Map<string, Map<string, string>>();
  for (const ref of [...idsOfPart.keys()].sort((a, b) => compareText(a.part.key, b.part.key))) {
    const seen = idsByWorkspace.get(ref.manifest.workspace_id) ?? new Map<string, string>();
    idsByWorkspace.set(ref.manifest.workspace_id, seen);
    for (const id of idsOfPart.get(ref)!) {
      const first = seen.get(id);
      if (first !== undefined) report('duplicate-id', ref.part.key, `entry ${id} is archived twice: in ${first} and in ${ref.part.key}`);
      else seen.set(id, ref.part.key);
    }
    idsOfPart.delete(ref);
  }
  return { bytesChecked };
}
