/**
 * Manifests an operator asks for explicitly — never written by a collect run on its own:
 * `keys adopt-unsigned` (kind `adoption`: vouch for unsigned manifests so signing can start or
 * continue over them) and `acknowledge` (kind `exception`: account for objects in the data area
 * that no manifest lists, which history can no longer re-observe). Each names its reason and
 * operator, is appended to the chain and signed, so the decision itself is on the record.
 */
import { ConfigurationError } from '../errors.ts';
import type { ManifestSigner, ObjectStore } from '../ports.ts';
import { type StoredManifest, appendManifest, findHead, readManifest } from '../archive/chain.ts';
import { DATA_ROOT, QUARANTINE_ROOT, assertWorkspaceId } from '../archive/keys.ts';
import { readGzipTextLines } from '../archive/lines.ts';
import { type Manifest, type RejectedPart, sha256Hex } from '../archive/manifest.ts';
import { newManifest } from '../archive/newManifest.ts';
import { INDEX_ROOT, withIndex, writeIndex } from '../archive/partIndex.ts';
import { latestSignature, readSignature, signManifest } from '../signing/signatures.ts';

export interface OperatorRequest {
  readonly workspaceId: string;
  /** Why, in the operator's words: recorded in the manifest. */
  readonly reason: string;
  /** Who (a name, an IAM principal): recorded in the manifest. */
  readonly operator: string;
  readonly runId: string;
  readonly collectorVersion: string;
  readonly now?: () => Date;
}

export interface OperatorResult {
  readonly manifest: StoredManifest;
  /** adopt-unsigned: the manifests adopted; acknowledge: the objects acknowledged. */
  readonly covered: string[];
}

function checkReason(reason: string): string {
  const text = reason.trim();
  if (text.length < 3) throw new ConfigurationError('--reason: say why (it is recorded in the manifest, for the auditor)');
  return text;
}

async function readChain(store: ObjectStore, head: StoredManifest): Promise<StoredManifest[]> {
  const chain: StoredManifest[] = [];
  for (let seq = 0; seq < head.manifest.seq; seq++) chain.push(await readManifest(store, head.manifest.workspace_id, seq));
  chain.push(head);
  return chain;
}

function operatorManifest(store: ObjectStore, head: StoredManifest, kind: Manifest['kind'], request: OperatorRequest, now: Date): Manifest {
  const m = head.manifest;
  const manifest = newManifest({
    workspaceId: m.workspace_id,
    seq: m.seq + 1,
    kind,
    from: m.checkpoint,
    to: m.checkpoint,
    origin: m.origin,
    checkpoint: m.checkpoint,
    prevSha256: head.sha256,
    api: { host: 'none (operator)', version: 'none', perPage: 0 },
    runId: request.runId,
    collectorVersion: request.collectorVersion,
    writtenAt: now,
    store,
  });
  return { ...manifest, reason: checkReason(request.reason), operator: request.operator };
}

/**
 * Signs over an unsigned history on purpose: appends a signed `adoption` manifest naming every
 * unsigned manifest that no recovery supersedes and no adoption adopts yet.
 */
export async function adoptUnsigned(store: ObjectStore, signer: ManifestSigner, request: OperatorRequest): Promise<OperatorResult> {
  const workspaceId = assertWorkspaceId(request.workspaceId);
  const now = request.now ?? (() => new Date());
  const head = await findHead(store, workspaceId);
  if (!head) throw new ConfigurationError(`the archive has no manifest chain for workspace ${workspaceId}: nothing to adopt`);
  const chain = await readChain(store, head);
  const accounted = new Set<number>();
  for (const { manifest } of chain) for (const ref of [...(manifest.supersedes ?? []), ...(manifest.adopts ?? [])]) accounted.add(ref.seq);
  const unsigned: StoredManifest[] = [];
  for (const stored of chain) {
    if (!accounted.has(stored.manifest.seq) && !(await readSignature(store, workspaceId, stored.manifest.seq))) unsigned.push(stored);
  }
  if (unsigned.length === 0)
    throw new ConfigurationError(`every manifest of workspace ${workspaceId} is signed or accounted for: nothing to adopt`);
  const manifest = operatorManifest(store, head, 'adoption', request, now());
  manifest.adopts = unsigned.map((m) => ({ seq: m.manifest.seq, sha256: m.sha256 }));
  const stored = await appendManifest(store, manifest);
  await signManifest(store, signer, stored, await latestSignature(store, workspaceId, head.manifest.seq), now());
  return {
    manifest: stored,
    covered: unsigned.map(
      (m) =>
        `${m.key} (${m.manifest.kind} ${m.manifest.from_iso} – ${m.manifest.to_iso}, ${m.manifest.parts.length} parts, ${m.manifest.records} entries)`,
    ),
  };
}

/**
 * Accounts for objects no manifest lists (history that can no longer be re-observed): appends
 * an `exception` manifest listing them under `rejected_parts` with the reason. They are then
 * acknowledged exceptions — disclosed by verify, query and report, never read as data.
 */
export async function acknowledgeObjects(
  store: ObjectStore,
  keys: readonly string[],
  request: OperatorRequest & { readonly signer?: ManifestSigner },
): Promise<OperatorResult> {
  const workspaceId = assertWorkspaceId(request.workspaceId);
  const now = request.now ?? (() => new Date());
  if (keys.length === 0) throw new ConfigurationError('acknowledge: name at least one object key (as verify prints it)');
  const head = await findHead(store, workspaceId);
  if (!head) throw new ConfigurationError(`the archive has no manifest chain for workspace ${workspaceId}`);
  // A signed chain gets a signed exception manifest; a chain collected without signing stays unsigned.
  const headSignature = request.signer ? await readSignature(store, workspaceId, head.manifest.seq) : undefined;
  const previousSignature =
    headSignature ??
    (request.signer && head.manifest.seq > 0 ? await latestSignature(store, workspaceId, head.manifest.seq - 1) : undefined);
  if (request.signer && !headSignature && previousSignature) {
    throw new ConfigurationError(
      `the chain head of workspace ${workspaceId} (manifest ${head.manifest.seq}) is unsigned: run collect first (it supersedes it with a signed recovery manifest), then acknowledge`,
    );
  }
  const chain = await readChain(store, head);
  const accounted = new Map<string, number>();
  for (const { manifest } of chain) {
    for (const part of [...manifest.parts, ...manifest.quarantine, ...(manifest.rejected_parts ?? [])])
      accounted.set(part.key, manifest.seq);
    if (manifest.index) accounted.set(manifest.index.key, manifest.seq);
  }
  const rejected: RejectedPart[] = [];
  for (const key of [...new Set(keys)].sort()) {
    const inWorkspace = [DATA_ROOT, QUARANTINE_ROOT, INDEX_ROOT].some((root) => key.startsWith(`${root}workspace=${workspaceId}/`));
    if (!inWorkspace)
      throw new ConfigurationError(
        `acknowledge: '${key}' is not an object of workspace ${workspaceId} under activity_logs/, quarantine/ or index/`,
      );
    if (accounted.has(key)) throw new ConfigurationError(`acknowledge: ${key} is already accounted for by manifest ${accounted.get(key)}`);
    if (!(await store.head(key))) throw new ConfigurationError(`acknowledge: ${key} does not exist in ${store.location}`);
    const body = await store.get(key);
    let lines = 0;
    try {
      if (key.endsWith('.gz')) for await (const _ of readGzipTextLines(body)) lines += 1;
      else lines = body.toString('utf8').split('\n').filter(Boolean).length;
    } catch {
      // not gzip: its lines cannot be counted
    }
    rejected.push({ key, sha256: sha256Hex(body), lines, confirmed: 0, unconfirmed: lines, reason: checkReason(request.reason) });
  }
  const manifest = operatorManifest(store, head, 'exception', request, now());
  manifest.rejected_parts = rejected;
  const stored = await appendManifest(store, withIndex(manifest));
  if (request.signer && headSignature) await signManifest(store, request.signer, stored, headSignature, now());
  await writeIndex(store, stored);
  return { manifest: stored, covered: rejected.map((r) => r.key) };
}
