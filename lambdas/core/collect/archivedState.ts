/**
 * What the archive already holds for a range, read from what the manifests list: the ids and
 * quarantine keys archived there and every key a trusted manifest lists. Each reader returns
 * what it read; nothing is passed in to be filled.
 */
import type { ObjectStore } from '../ports.ts';
import { type StoredManifest, readManifest } from '../archive/chain.ts';
import { readGzipLines } from '../archive/lines.ts';
import { type Manifest, type ManifestPart, type RejectedPart, isWindowKind, sha256Hex } from '../archive/manifest.ts';
import { entrySha } from './entrySha.ts';
import { type Known, SeenSet } from './SeenSet.ts';

export interface ArchivedState {
  /** The ids and quarantine keys archived in the range. */
  readonly seen: SeenSet;
  /** Every key a trusted manifest lists (or rejects): never adopted again. */
  readonly listed: Set<string>;
}

export function emptyArchivedState(): ArchivedState {
  return { seen: new SeenSet(), listed: new Set() };
}

/**
 * Ids already archived in [from, to), from the objects that the manifests say cover it:
 * walk back from the head until a window manifest that starts at or before `from`.
 */
export async function archivedIn(store: ObjectStore, head: StoredManifest, from: number, to: number): Promise<ArchivedState> {
  const ids = new Map<string, Known>();
  const quarantineKeys = new Set<string>();
  const listed = new Set<string>();
  // Manifests a later recovery superseded carry no weight: what they list is not archived.
  const superseded = new Set<number>();
  let current: StoredManifest | undefined = head;
  while (current && current.manifest.kind !== 'genesis') {
    const m: Manifest = current.manifest;
    for (const ref of m.supersedes ?? []) superseded.add(ref.seq);
    if (!superseded.has(m.seq)) {
      for (const part of m.rejected_parts ?? []) listed.add(part.key);
      if (m.from < to && m.to > from) {
        for (const part of m.parts) {
          listed.add(part.key);
          if (part.max_created_at === null || part.min_created_at === null || part.max_created_at < from || part.min_created_at >= to)
            continue;
          for await (const line of readGzipLines(await store.get(part.key))) {
            const createdAt = line.created_at as number;
            if (createdAt >= from && createdAt < to)
              ids.set(String(line.id), { sha: entrySha(JSON.parse(String(line.source))), part: part.key });
          }
        }
      }
      // Quarantined entries may have no readable time: an API range with its one-second margins
      // can serve them again, so the windows touching those margins count too.
      if (m.from <= to + 1 && m.to >= from - 1) {
        for (const part of m.quarantine) listed.add(part.key);
        for (const key of await quarantineKeysIn(store, m.quarantine)) quarantineKeys.add(key);
      }
      if (isWindowKind(m.kind) && m.from < from - 1) break;
    }
    current = m.seq > 0 ? await readManifest(store, m.workspace_id, m.seq - 1) : undefined;
  }
  return { seen: new SeenSet(ids, quarantineKeys), listed };
}

/** The keys of the entries that quarantine parts hold. */
export async function quarantineKeysIn(store: ObjectStore, parts: readonly ManifestPart[]): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const part of parts) {
    for await (const line of readGzipLines(await store.get(part.key))) keys.add(String(line.quarantine_key));
  }
  return keys;
}

/** Parts listed by superseded manifests that `reobservable` does not cover, as rejected parts (their claims carry no weight). */
export async function rejectSupersededParts(
  store: ObjectStore,
  superseded: readonly StoredManifest[],
  reobservable: (key: string) => boolean,
): Promise<RejectedPart[]> {
  const rejected = new Map<string, RejectedPart>();
  for (const { manifest } of superseded) {
    // Its index too: Athena must not read what it lists (the recovery's own index rejects nothing it lists).
    const index = manifest.index ? [{ key: manifest.index.key }] : [];
    for (const part of [...manifest.parts, ...manifest.quarantine, ...index]) {
      if (rejected.has(part.key) || reobservable(part.key) || !(await store.head(part.key))) continue;
      const body = await store.get(part.key);
      const lines = await countLines(part.key, body);
      rejected.set(part.key, {
        key: part.key,
        sha256: sha256Hex(body),
        lines,
        confirmed: 0,
        unconfirmed: lines,
        reason: `listed only by unsigned manifest ${manifest.seq}, which this recovery supersedes; not at the checkpoint, so not re-observable`,
      });
    }
  }
  return [...rejected.values()];
}

/** Lines of an object (plain `.jsonl` or gzip), counted as far as it can be read. */
async function countLines(key: string, body: Buffer): Promise<number> {
  if (key.endsWith('.jsonl')) return body.toString('utf8').split('\n').filter(Boolean).length;
  let lines = 0;
  try {
    for await (const _line of readGzipLines(body)) lines += 1;
  } catch {
    // unreadable: counted as far as it could be read
  }
  return lines;
}
