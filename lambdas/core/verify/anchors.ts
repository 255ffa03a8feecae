/**
 * What anchors a chain outside the archive: head receipts (`--expect-head`), the newest
 * window's age (`--max-head-age`), receipts for clean workspaces, and — in a versioned bucket —
 * delete markers and non-current versions that say someone removed or rewrote an object.
 */
import { INDEX_ROOT } from '../archive/partIndex.ts';
import type { ObjectStore, ObjectVersionInfo } from '../ports.ts';
import { DATA_ROOT, MANIFEST_ROOT, QUARANTINE_ROOT, ROSTER_ROOT, manifestKey } from '../archive/keys.ts';
import { iso } from '../archive/manifest.ts';
import { KEYS_ROOT } from '../signing/rotation.ts';
import type { HeadReceipt } from '../signing/receipts.ts';
import { SIGNATURE_ROOT } from '../signing/signatures.ts';
import { type Problem, type ProblemCode, type VerifyOptions, compareText } from './types.ts';

type Report = (code: ProblemCode, key: string, message: string) => void;
type ManifestShas = ReadonlyMap<string, { workspaceId: string; seq: number; sha: string }>;

/** `--expect-head` and `--max-head-age`: the chain must reach what was recorded outside it, and be recent. */
export function checkHeads(
  heads: ReadonlyMap<string, { last: number; checkpoint: number | null }>,
  shas: ManifestShas,
  options: VerifyOptions,
  report: Report,
): void {
  for (const expected of options.expectHeads ?? []) {
    const key = manifestKey(expected.workspaceId, expected.seq);
    const head = heads.get(expected.workspaceId);
    if (!head || head.last < expected.seq) {
      report(
        'head-missing',
        key,
        `the chain of workspace ${expected.workspaceId} ${head ? `ends at seq ${head.last}` : 'is not in this archive'}, but a head receipt says it reached seq ${expected.seq}: ${head ? 'its tail was deleted or this copy is incomplete' : 'it was deleted, or this is the wrong archive'}`,
      );
      continue;
    }
    const found = shas.get(key);
    if (!found) continue; // manifest-missing or manifest-invalid is already reported for it
    if (found.sha !== expected.sha256)
      report(
        'head-mismatch',
        key,
        `${key} hashes to ${found.sha}, but the head receipt recorded ${expected.sha256}: the chain was replaced from there on`,
      );
  }
  if (options.maxHeadAgeSeconds !== undefined) {
    const now = Math.floor((options.now ?? (() => new Date()))().getTime() / 1000);
    // No chain at all is the oldest head there is: deleting every manifest must not pass a head-age check.
    if (heads.size === 0) {
      report(
        'head-stale',
        MANIFEST_ROOT,
        `this archive holds no manifest chain at all, so no window ends within the allowed ${formatAge(options.maxHeadAgeSeconds)}: everything was deleted, the collector never ran, or this is the wrong folder`,
      );
    }
    for (const [workspaceId, head] of heads) {
      const age = head.checkpoint === null ? Number.POSITIVE_INFINITY : now - head.checkpoint;
      if (age > options.maxHeadAgeSeconds) {
        report(
          'head-stale',
          manifestKey(workspaceId, head.last),
          `the newest window of workspace ${workspaceId} ends ${head.checkpoint === null ? 'nowhere' : `at ${iso(head.checkpoint)}, ${formatAge(age)} ago`}, more than the allowed ${formatAge(options.maxHeadAgeSeconds)}: the tail was deleted, or the collector stopped`,
        );
      }
    }
  }
}

/** Receipts for workspaces with no problem at all (and none only the archive as a whole has). */
export function cleanReceipts(
  heads: ReadonlyMap<string, { last: number }>,
  shas: ManifestShas,
  problems: readonly Problem[],
): HeadReceipt[] {
  const dirty = new Set<string>();
  let unattributed = false;
  for (const p of problems) {
    const m = /workspace=([A-Za-z0-9_-]+)/.exec(p.key);
    if (m) dirty.add(m[1]!);
    else unattributed = true;
  }
  if (unattributed) return [];
  const receipts: HeadReceipt[] = [];
  for (const [workspaceId, head] of [...heads].sort(([a], [b]) => compareText(a, b))) {
    const found = shas.get(manifestKey(workspaceId, head.last));
    if (!dirty.has(workspaceId) && found) receipts.push({ workspaceId, seq: head.last, sha256: found.sha });
  }
  return receipts;
}

/** A versioned bucket: a delete marker or an older version under the archive's prefixes is something someone did. */
export async function checkVersions(store: ObjectStore, report: Report): Promise<number> {
  let count = 0;
  for (const root of [DATA_ROOT, QUARANTINE_ROOT, MANIFEST_ROOT, SIGNATURE_ROOT, KEYS_ROOT, INDEX_ROOT, ROSTER_ROOT]) {
    const versions = store.listVersions!(root)[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<ObjectVersionInfo>;
      try {
        next = await versions.next();
      } catch (error) {
        report(
          'unreadable',
          root,
          `the versions under ${root} cannot be listed (${error instanceof Error ? error.message : String(error)}): grant s3:ListBucketVersions to check for deleted or overwritten objects`,
        );
        break;
      }
      if (next.done) break;
      const v = next.value;
      count += 1;
      if (v.deleteMarker) {
        report(
          'delete-marker',
          v.key,
          `${v.key} has a delete marker (version ${v.versionId}${v.lastModified ? `, ${v.lastModified}` : ''}${v.isLatest ? ', hiding the object' : ''}): someone deleted it; the locked version is still in the bucket`,
        );
      } else if (!v.isLatest) {
        report(
          'noncurrent-version',
          v.key,
          `${v.key} has a non-current version ${v.versionId}${v.lastModified ? ` (${v.lastModified})` : ''}: the object was written more than once`,
        );
      }
    }
  }
  return count;
}

function formatAge(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} d`;
  if (seconds >= 2 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 60)} min`;
}
