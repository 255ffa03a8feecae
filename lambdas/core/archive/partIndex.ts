/**
 * The part index: one small JSON-lines object per manifest, `index/workspace=<id>/<seq>.jsonl`,
 * one line per data part the manifest lists (`listed`) or rejects (`rejected`). Manifests are
 * pretty-printed JSON, which the Hive JSON SerDe cannot read as a table; Athena reads this
 * index instead, and the `activity_logs` view keeps only rows whose object (`"$path"`) the
 * index lists and no index rejects.
 *
 * The index's bytes are derived from its manifest alone, so the manifest names the index's
 * SHA-256 before it is written, a rerun after a crash writes exactly the same bytes, and
 * `verify` can recompute it.
 */
import { IntegrityError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import type { StoredManifest } from './chain.ts';
import { DATA_ROOT } from './keys.ts';
import { type Manifest, sha256Hex } from './manifest.ts';

export const INDEX_ROOT = 'index/';

export function indexPrefix(workspaceId: string): string {
  return `${INDEX_ROOT}workspace=${workspaceId}/`;
}

export function indexKey(workspaceId: string, seq: number): string {
  return `${indexPrefix(workspaceId)}${String(seq).padStart(12, '0')}.jsonl`;
}

export function parseIndexKey(key: string): { workspaceId: string; seq: number } | undefined {
  const m = /^index\/workspace=([A-Za-z0-9_-]+)\/(\d{12})\.jsonl$/.exec(key);
  return m ? { workspaceId: m[1]!, seq: Number(m[2]) } : undefined;
}

export interface IndexRow {
  readonly seq: number;
  readonly key: string;
  readonly status: 'listed' | 'rejected';
}

/** The index bytes for a manifest's data parts, or undefined when it lists and rejects no data part. */
export function indexBody(manifest: Pick<Manifest, 'seq' | 'parts' | 'rejected_parts'>): Buffer | undefined {
  const rows: IndexRow[] = [
    ...manifest.parts.map((p) => ({ seq: manifest.seq, key: p.key, status: 'listed' as const })),
    // Rejected data parts, and rejected index objects (whose rows then list nothing).
    ...(manifest.rejected_parts ?? [])
      .filter((p) => p.key.startsWith(DATA_ROOT) || p.key.startsWith(INDEX_ROOT))
      .map((p) => ({ seq: manifest.seq, key: p.key, status: 'rejected' as const })),
  ];
  if (rows.length === 0) return undefined;
  return Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
}

/** Adds `index` to a manifest about to be written (when it has data parts to index). */
export function withIndex(manifest: Manifest): Manifest {
  const body = indexBody(manifest);
  if (!body) return manifest;
  return { ...manifest, index: { key: indexKey(manifest.workspace_id, manifest.seq), sha256: sha256Hex(body), bytes: body.length } };
}

/**
 * Writes the index a stored manifest names (create-only; the same bytes again are a no-op).
 * Returns a warning when the key is already taken by other bytes: someone wrote into index/,
 * which `verify` and the Athena report pre-check then name; collection goes on.
 */
export async function writeIndex(store: ObjectStore, stored: StoredManifest): Promise<string | undefined> {
  const index = stored.manifest.index;
  const body = indexBody(stored.manifest);
  if (!index || !body) return undefined;
  try {
    await store.putIfAbsent(index.key, body, index.sha256);
  } catch (error) {
    if (error instanceof IntegrityError && error.key === index.key) {
      return `${index.key} already exists with other content than manifest ${stored.manifest.seq} names: an object was written into index/ by someone other than the collector; Athena reports stop until it is resolved (run verify)`;
    }
    throw error;
  }
  return undefined;
}

/** Writes the head's index if a crash left it unwritten. */
export async function ensureIndex(store: ObjectStore, head: StoredManifest): Promise<string | undefined> {
  if (!head.manifest.index || (await store.head(head.manifest.index.key))) return undefined;
  return writeIndex(store, head);
}
