/**
 * Everything else the archive holds must be accounted for: rejected and acknowledged objects
 * still hold the bytes their manifest names, Athena's index objects are the ones the manifests
 * name, and nothing in the data area or among signatures and key records is outside the chain.
 */
import { createHash } from 'node:crypto';
import { parsePartKey } from '../archive/keys.ts';
import { parseIndexKey } from '../archive/partIndex.ts';
import type { ObjectStore } from '../ports.ts';
import { parseRotationKey } from '../signing/rotation.ts';
import type { ArchiveContents, PartRef } from './ArchiveContents.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { Inventory } from './inventory.ts';
import { inOrder } from './pipeline.ts';
import type { ProblemList } from './ProblemList.ts';
import { NO_INDEX_NOTE } from './types.ts';

export interface Accounting {
  readonly store: ObjectStore;
  readonly reader: ArchiveReader;
  readonly inventory: Inventory;
  readonly contents: ArchiveContents;
  readonly referenced: ReadonlyMap<string, PartRef>;
  readonly problems: ProblemList;
}

/** Rejected and acknowledged objects are accounted for (disclosed, never read), but must still be the bytes the manifest names. */
export async function checkRejected({ store, inventory, contents, referenced, problems }: Accounting): Promise<void> {
  for (const [key, rejected] of contents.rejectedKeys) {
    if (referenced.has(key)) continue;
    if (!inventory.dataObjects.has(key) && !inventory.indexObjects.has(key)) continue;
    const sha = createHash('sha256')
      .update(await store.get(key))
      .digest('hex');
    if (sha !== rejected.sha256)
      problems.report(
        'part-altered',
        key,
        `${key} is listed as rejected by manifest ${rejected.seq} with SHA-256 ${rejected.sha256}, but now hashes to ${sha}`,
      );
  }
}

/** Returns the note to add, if any (the caller adds it after the lock check's, so notes keep their order). */
export async function checkIndexes(
  { reader, inventory, contents, problems }: Accounting,
  concurrency: number,
): Promise<string | undefined> {
  const { indexObjects } = inventory;
  // A copy of activity_logs/, manifests/ and signatures/ (what an assessor downloads) has no index/ at
  // all: the index only steers Athena, and every part was checked against its manifest, so say it once.
  const noIndexAtAll = indexObjects.size === 0 && contents.indexes.size > 0;
  const present = noIndexAtAll
    ? []
    : [...contents.indexes].filter(([key, index]) => {
        if (indexObjects.has(key)) return true;
        problems.report(
          'index-missing',
          key,
          `${key} is named by manifest ${index.seq} but does not exist: Athena would not read that manifest's parts (the next collect run writes it when it is the head)`,
        );
        return false;
      });
  const read = async ([key, index]: (typeof present)[number]) => ({ key, index, body: await reader.fetch(key) });
  for await (const { key, index, body } of inOrder(present, concurrency, read)) {
    const sha = createHash('sha256').update(body).digest('hex');
    // The bytes the manifest's parts make, compared by their SHA-256 (kept instead of the bytes).
    if (sha !== index.sha256 || (index.bodySha256 !== undefined && index.bodySha256 !== sha))
      problems.report(
        'index-altered',
        key,
        `${key} is not the index manifest ${index.seq} names (SHA-256 ${sha}, expected ${index.sha256}): Athena would read what it lists`,
      );
  }
  for (const key of indexObjects) {
    if (contents.indexes.has(key) || contents.rejectedKeys.has(key) || inTrustedRange(contents, key)) continue;
    problems.report(
      'stray-object',
      key,
      `${key} is not named by any manifest${parseIndexKey(key) ? '' : ' and is not an index key'}: Athena would read the parts it lists — acknowledge it, and check what it names`,
    );
  }
  return noIndexAtAll ? NO_INDEX_NOTE : undefined;
}

export function reportStrays(
  { inventory, contents, referenced, problems }: Accounting,
  unusedSignatures: Iterable<string> | undefined,
): void {
  const { report } = problems;
  for (const key of unusedSignatures ?? []) report('stray-object', key, `${key} signs no manifest of the chain`);
  for (const key of inventory.rotationObjects) {
    if (!inventory.manifestSeqs.has(parseRotationKey(key)!.workspaceId))
      report('stray-object', key, `${key} rotates the key of a workspace that has no manifest chain`);
  }
  for (const key of inventory.dataObjects.keys()) {
    if (!referenced.has(key) && !contents.rejectedKeys.has(key) && !inTrustedRange(contents, key))
      report(
        'stray-object',
        key,
        `${key} is not listed by any manifest: it is outside the chain (written by hand, or by a run whose manifest is missing) — queries never read it; \`audit-archive acknowledge\` records it as an exception`,
      );
  }
}

/**
 * Whether an object no checked manifest accounts for may belong to a trusted receipt's range (not
 * read): a part or quarantine part of a window that starts before the receipt's coverage end, or
 * the index of a manifest at or before the receipt. Anything newer is judged as in a full verify.
 */
function inTrustedRange(contents: ArchiveContents, key: string): boolean {
  const workspaceId = /^(?:activity_logs|quarantine|index)\/workspace=([A-Za-z0-9_-]+)\//.exec(key)?.[1];
  const trusted = workspaceId === undefined ? undefined : contents.trusted.get(workspaceId);
  if (!trusted) return false;
  const index = parseIndexKey(key);
  if (index) return index.seq <= trusted.seq;
  const part = parsePartKey(key);
  return part !== undefined && part.windowStart < trusted.checkpoint;
}
