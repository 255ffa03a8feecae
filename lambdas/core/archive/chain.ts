/** Reading and extending a workspace's manifest chain through the object-store port. */
import { ConcurrentWriterError, IntegrityError } from '../errors.ts';
import type { CheckpointCache, ObjectStore } from '../ports.ts';
import { MANIFEST_ROOT, manifestKey, parseManifestKey } from './keys.ts';
import { type Manifest, manifestSchema, serializeManifest, sha256Hex } from './manifest.ts';

export interface StoredManifest {
  readonly key: string;
  readonly manifest: Manifest;
  readonly sha256: string;
}

export async function readManifest(store: ObjectStore, workspaceId: string, seq: number): Promise<StoredManifest> {
  const key = manifestKey(workspaceId, seq);
  const body = await store.get(key);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new IntegrityError(key, `manifest ${key} is not valid JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IntegrityError(key, `manifest ${key} does not match the manifest format (${issue.path.join('.')}: ${issue.message})`);
  }
  if (parsed.data.seq !== seq || parsed.data.workspace_id !== workspaceId) {
    throw new IntegrityError(key, `manifest ${key} claims seq ${parsed.data.seq} of workspace ${parsed.data.workspace_id}`);
  }
  return { key, manifest: parsed.data, sha256: sha256Hex(body) };
}

/**
 * Finds the chain head (the newest manifest) without listing the whole chain: probe
 * exponentially from the cached hint, then binary-search. Sequence numbers are contiguous,
 * so about 2·log2(n) HEAD requests find it; a lost cache only makes the probe start at 0.
 */
export async function findHead(store: ObjectStore, workspaceId: string, cache?: CheckpointCache): Promise<StoredManifest | undefined> {
  const exists = async (seq: number) => (await store.head(manifestKey(workspaceId, seq))) !== undefined;
  if (!(await exists(0))) return undefined;
  let lo = 0;
  const hint = await cache?.get(workspaceId).catch(() => undefined);
  if (hint !== undefined && hint > 0 && (await exists(hint))) lo = hint;
  let step = 1;
  while (await exists(lo + step)) {
    lo += step;
    step *= 2;
  }
  let hi = lo + step;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await exists(mid)) lo = mid;
    else hi = mid;
  }
  return readManifest(store, workspaceId, lo);
}

/** Writes the next manifest create-only; losing a race to another writer stops the run cleanly. */
export async function appendManifest(store: ObjectStore, manifest: Manifest, cache?: CheckpointCache): Promise<StoredManifest> {
  const key = manifestKey(manifest.workspace_id, manifest.seq);
  const body = serializeManifest(manifest);
  const sha256 = sha256Hex(body);
  try {
    // Identical bytes already there can only be this very write, retried (they carry our run id).
    await store.putIfAbsent(key, body, sha256);
  } catch (error) {
    if (error instanceof IntegrityError && error.key === key) throw new ConcurrentWriterError(key);
    throw error;
  }
  // The cache is a hint: failing to update it costs the next run a few probes, nothing else.
  await cache?.set(manifest.workspace_id, manifest.seq).catch(() => undefined);
  return { key, manifest, sha256 };
}

/** Workspace ids that have a manifest chain in the archive (lists manifests/: fine locally). */
export async function listWorkspaces(store: ObjectStore): Promise<string[]> {
  const ids = new Set<string>();
  for await (const object of store.list(MANIFEST_ROOT)) {
    const parsed = parseManifestKey(object.key);
    if (parsed) ids.add(parsed.workspaceId);
  }
  return [...ids].sort();
}
