/**
 * Parts: each listed once, present, unaltered, and consistent with its manifest; no entry id
 * archived twice in a workspace.
 */
import { manifestKey } from '../archive/keys.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { PartRef } from './ArchiveContents.ts';
import { type PartChecker, type PartJob, type PartOutcome, checkPartBody } from './partBody.ts';
import { IdSet } from './IdSet.ts';
import { inOrder } from './pipeline.ts';
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

/** Reads a part through the archive reader and checks it with `check`. */
async function readAndCheck(reader: ArchiveReader, job: PartJob, check: PartChecker): Promise<PartOutcome> {
  const body = await reader.read(job.key);
  return body ? check(job, body) : { bytes: 0, problems: [] };
}

export interface PartCheckOptions {
  readonly concurrency: number;
  /** Part bytes held at once (a part larger than this is read alone). */
  readonly maxBytesInFlight: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Checks one part's bytes: in this process by default; an adapter may run the same check elsewhere (a worker thread). */
  readonly checkPart?: PartChecker;
}

/**
 * Checks every part; returns the bytes read. Parts are read concurrently but taken in key order,
 * so a duplicate always names the same (later) object however the reads interleave, and only
 * the parts in flight are held in memory (the ids seen so far are kept, one entry per id).
 */
export async function checkParts(reader: ArchiveReader, toCheck: readonly PartRef[], options: PartCheckOptions, report: Report) {
  const ordered = [...toCheck].sort((a, b) => compareText(a.part.key, b.part.key));
  const check = options.checkPart ?? checkPartBody;
  const seenByWorkspace = new Map<string, IdSet>();
  let done = 0;
  let bytesChecked = 0;
  const outcomes = inOrder(
    ordered,
    options.concurrency,
    async (ref) => ({ ref, outcome: await readAndCheck(reader, partJob(ref), check) }),
    {
      weight: (ref) => ref.part.bytes,
      maxWeight: options.maxBytesInFlight,
    },
  );
  for await (const { ref, outcome } of outcomes) {
    bytesChecked += outcome.bytes;
    for (const p of outcome.problems) report(p.code, p.key, p.message);
    const workspaceId = ref.manifest.workspace_id;
    const seen = seenByWorkspace.get(workspaceId) ?? new IdSet(expectedIds(ordered, workspaceId));
    seenByWorkspace.set(workspaceId, seen);
    if (outcome.ids)
      seen.add(ref.part.key, outcome.ids, ({ id, first }) =>
        report('duplicate-id', ref.part.key, `entry ${id} is archived twice: in ${first} and in ${ref.part.key}`),
      );
    done += 1;
    options.onProgress?.(done, ordered.length);
  }
  return { bytesChecked };
}

/** The entries the manifests record for a workspace's parts (what sizes its id set). */
function expectedIds(refs: readonly PartRef[], workspaceId: string): number {
  let n = 0;
  for (const { manifest, part, quarantine } of refs) if (!quarantine && manifest.workspace_id === workspaceId) n += part.records;
  return n;
}
