/**
 * What queries, reports and exports may read: exactly the data parts listed by the manifests
 * of each chain, never a folder glob or a prefix listing. Manifests superseded by a recovery
 * manifest carry no weight; with a verifier, an unsigned manifest after the chain's first
 * signature (and not superseded or adopted) carries none either. Every other object in the data
 * area is an exception to disclose — unlisted, rejected, acknowledged — and never read.
 */
import type { ObjectStore, SignatureVerifier } from '../ports.ts';
import { canonicalMessage, readSignature } from '../signing/signatures.ts';
import { type StoredManifest, findHead, listWorkspaces, readManifest } from './chain.ts';
import { dataPrefix, parsePartKey } from './keys.ts';
import { indexPrefix } from './partIndex.ts';
import type { Conflict, ManifestPart } from './manifest.ts';

export interface ScopeException {
  readonly workspaceId: string;
  readonly key: string;
  /** UTC day of the object's folder (`dt=`), or null when its key has none. */
  readonly dt: string | null;
  /** unlisted: no manifest lists it; rejected: the collector found it and Intercom did not confirm it; acknowledged: an operator's exception manifest; unsigned: listed only by a manifest no signature covers. */
  readonly kind: 'unlisted' | 'rejected' | 'acknowledged' | 'unsigned';
  readonly reason: string;
  /** The manifest that rejects or acknowledges it. */
  readonly seq?: number;
}

export interface ScopeConflict extends Conflict {
  readonly workspaceId: string;
  readonly seq: number;
  readonly dt: string | null;
}

export interface ScopeHead {
  readonly workspaceId: string;
  readonly seq: number;
  readonly sha256: string;
  readonly checkpoint: number;
  readonly key: string;
}

export interface ArchiveScope {
  readonly heads: ScopeHead[];
  /** The data parts to read, in key order. */
  readonly parts: (ManifestPart & { readonly workspaceId: string; readonly dt: string | null })[];
  readonly exceptions: ScopeException[];
  readonly conflicts: ScopeConflict[];
  /** How the manifests were trusted: signatures checked with a key, or the hash chain only. */
  readonly trust: 'signatures' | 'hash chain only';
  /**
   * Index objects no trusted manifest names that list a part the chain does not list, or
   * reject one it lists: Athena's view would read (or hide) that part, so an Athena report must
   * not run (see buildReportPack).
   */
  readonly unsafeIndexes: {
    readonly workspaceId: string;
    readonly key: string /** The keys it would wrongly let Athena read or hide. */;
    readonly lists: string[];
  }[];
}

export interface ScopeOptions {
  readonly workspaceIds?: readonly string[];
  /** Checks signatures (cheaply: each manifest's own) so unsigned manifests after the first signature are not read. */
  readonly verifier?: SignatureVerifier;
}

const dtOf = (key: string) => parsePartKey(key)?.dt ?? /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1] ?? null;

type MutableScope = {
  heads: ScopeHead[];
  parts: ArchiveScope['parts'][number][];
  exceptions: ScopeException[];
  conflicts: ScopeConflict[];
  unsafeIndexes: ArchiveScope['unsafeIndexes'][number][];
};

/** The chain-listed parts of every workspace (or those named), and what else lies in the data area. */
export async function archiveScope(store: ObjectStore, options: ScopeOptions = {}): Promise<ArchiveScope> {
  const workspaceIds = options.workspaceIds ?? (await listWorkspaces(store));
  const scope: MutableScope = { heads: [], parts: [], exceptions: [], conflicts: [], unsafeIndexes: [] };
  for (const workspaceId of workspaceIds) {
    const head = await findHead(store, workspaceId);
    if (!head) continue;
    scope.heads.push({ workspaceId, seq: head.manifest.seq, sha256: head.sha256, checkpoint: head.manifest.checkpoint, key: head.key });
    const chain: StoredManifest[] = [];
    for (let seq = 0; seq < head.manifest.seq; seq++) chain.push(await readManifest(store, workspaceId, seq));
    chain.push(head);
    const trust = await chainTrust(store, chain, options.verifier);
    const { accounted, listedParts, namedIndexes } = addListed(scope, workspaceId, chain, trust);
    await addUnlisted(store, scope, workspaceId, accounted);
    await addUnsafeIndexes(store, scope, workspaceId, { namedIndexes, accounted, listedParts });
  }
  scope.parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  scope.exceptions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ...scope, trust: options.verifier ? 'signatures' : 'hash chain only' };
}

interface ChainTrust {
  readonly superseded: Set<number>;
  /** Superseded manifests, and (with a verifier) unsigned ones after the first signature that no signed manifest adopts. */
  readonly untrusted: Set<number>;
}

async function chainTrust(store: ObjectStore, chain: readonly StoredManifest[], verifier?: SignatureVerifier): Promise<ChainTrust> {
  const superseded = new Set<number>();
  const adopted = new Set<number>();
  for (const { manifest } of chain) {
    for (const ref of manifest.supersedes ?? []) if (chain[ref.seq]?.sha256 === ref.sha256) superseded.add(ref.seq);
    for (const ref of manifest.adopts ?? []) if (chain[ref.seq]?.sha256 === ref.sha256) adopted.add(ref.seq);
  }
  const untrusted = new Set<number>(superseded);
  if (verifier) {
    let signedYet = false;
    for (const stored of chain) {
      const signed = await isSigned(store, stored, verifier);
      signedYet ||= signed;
      if (signedYet && !signed && !superseded.has(stored.manifest.seq) && !adopted.has(stored.manifest.seq))
        untrusted.add(stored.manifest.seq);
    }
  }
  return { superseded, untrusted };
}

/** The parts, rejected objects and conflicts the trusted manifests list; then parts only untrusted ones list. */
function addListed(scope: MutableScope, workspaceId: string, chain: readonly StoredManifest[], { superseded, untrusted }: ChainTrust) {
  const accounted = new Set<string>();
  const listedParts = new Set<string>();
  const namedIndexes = new Set<string>();
  for (const { manifest } of chain) {
    if (untrusted.has(manifest.seq)) continue;
    if (manifest.index) namedIndexes.add(manifest.index.key);
    for (const part of manifest.parts) listedParts.add(part.key);
  }
  for (const { manifest } of chain) {
    if (untrusted.has(manifest.seq)) continue;
    for (const part of manifest.parts) {
      accounted.add(part.key);
      scope.parts.push({ ...part, workspaceId, dt: dtOf(part.key) });
    }
    for (const part of manifest.quarantine) accounted.add(part.key);
    for (const rejected of manifest.rejected_parts ?? []) {
      if (accounted.has(rejected.key)) continue;
      accounted.add(rejected.key);
      const acknowledged = manifest.kind === 'exception';
      scope.exceptions.push({
        workspaceId,
        key: rejected.key,
        dt: dtOf(rejected.key),
        kind: acknowledged ? 'acknowledged' : 'rejected',
        reason: acknowledged ? `acknowledged by an operator: ${rejected.reason}` : rejected.reason,
        seq: manifest.seq,
      });
    }
    for (const conflict of manifest.conflicts ?? [])
      scope.conflicts.push({ ...conflict, workspaceId, seq: manifest.seq, dt: dtOf(conflict.archived_part) });
  }
  for (const seq of untrusted) {
    const manifest = chain[seq]!.manifest;
    for (const part of manifest.parts) {
      if (accounted.has(part.key)) continue;
      accounted.add(part.key);
      const why = superseded.has(seq)
        ? `listed only by manifest ${seq}, which a signed recovery manifest superseded`
        : `listed only by manifest ${seq}, which no signature covers`;
      scope.exceptions.push({ workspaceId, key: part.key, dt: dtOf(part.key), kind: 'unsigned', reason: why, seq });
    }
  }
  return { accounted, listedParts, namedIndexes };
}

async function addUnlisted(store: ObjectStore, scope: MutableScope, workspaceId: string, accounted: ReadonlySet<string>) {
  for await (const object of store.list(dataPrefix(workspaceId))) {
    if (accounted.has(object.key)) continue;
    scope.exceptions.push({
      workspaceId,
      key: object.key,
      dt: dtOf(object.key),
      kind: 'unlisted',
      reason: 'no manifest of the chain lists it: it was never read',
    });
  }
}

/** Index objects no trusted manifest names that would let Athena read a part the chain does not list, or hide one it does. */
async function addUnsafeIndexes(
  store: ObjectStore,
  scope: MutableScope,
  workspaceId: string,
  known: { namedIndexes: ReadonlySet<string>; accounted: ReadonlySet<string>; listedParts: ReadonlySet<string> },
) {
  for await (const object of store.list(indexPrefix(workspaceId))) {
    if (known.namedIndexes.has(object.key) || known.accounted.has(object.key)) continue;
    const lists: string[] = [];
    for (const line of (await store.get(object.key)).toString('utf8').split('\n')) {
      try {
        const row = JSON.parse(line) as { key?: unknown; status?: unknown };
        if (typeof row.key !== 'string') continue;
        if ((row.status === 'listed' && !known.listedParts.has(row.key)) || (row.status === 'rejected' && known.listedParts.has(row.key)))
          lists.push(row.key);
      } catch {
        // not a row: the view's JSON SerDe reads no key from it either
      }
    }
    if (lists.length > 0) scope.unsafeIndexes.push({ workspaceId, key: object.key, lists });
  }
}

async function isSigned(store: ObjectStore, stored: StoredManifest, verifier: SignatureVerifier): Promise<boolean> {
  try {
    const record = await readSignature(store, stored.manifest.workspace_id, stored.manifest.seq);
    if (!record || record.manifest_sha256 !== stored.sha256) return false;
    return await verifier.verify(canonicalMessage(record), Buffer.from(record.signature, 'base64'));
  } catch {
    return false;
  }
}

/** The exceptions and conflicts whose day falls in [from, to] (YYYY-MM-DD, inclusive); undated ones always. */
export function inPeriod<T extends { readonly dt: string | null }>(items: readonly T[], from: string, to: string): T[] {
  return items.filter((i) => i.dt === null || (i.dt >= from && i.dt <= to));
}

/**
 * The data parts the chain lists for entries at or after `from`, found by walking back from the
 * head to the first window that starts before `from` (cheap: a live alert run reads a few
 * manifests, not the whole chain). Superseded manifests carry no weight; rejected parts and
 * objects no manifest lists are not in the set.
 */
export async function listedKeysSince(store: ObjectStore, workspaceId: string, from: number): Promise<Set<string>> {
  const keys = new Set<string>();
  const superseded = new Set<number>();
  let current: StoredManifest | undefined = await findHead(store, workspaceId);
  while (current) {
    const m = current.manifest;
    for (const ref of m.supersedes ?? []) superseded.add(ref.seq);
    if (!superseded.has(m.seq)) {
      for (const part of m.parts) keys.add(part.key);
      if ((m.kind === 'window' || m.kind === 'recovery') && m.from < from) break;
    }
    current = m.seq > 0 ? await readManifest(store, workspaceId, m.seq - 1) : undefined;
  }
  return keys;
}
