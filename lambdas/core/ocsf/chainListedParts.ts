/**
 * The parts an export may read: those listed by the manifests of a verified chain, never a
 * folder listing of activity_logs/ (a planted or rejected object there is not archive data).
 *
 * One small function so it can be swapped for the shared "chain-listed parts" reader once that
 * exists. It walks every workspace's chain from seq 0 to the head, checks each manifest's
 * `prev_sha256` link, and checks the head's signature with a key that does not come from the
 * archive — through the hash chain that signature covers every manifest before it. Readers then
 * compare each part's bytes with the SHA-256 its manifest lists (readChainPart).
 */
import { IntegrityError } from '../errors.ts';
import type { ObjectStore, SignatureVerifier } from '../ports.ts';
import { findHead, listWorkspaces, readManifest } from '../archive/chain.ts';
import { parsePartKey } from '../archive/keys.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { canonicalMessage, readSignature } from '../signing/signatures.ts';

export interface ChainPart {
  readonly workspaceId: string;
  readonly key: string;
  readonly dt: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly records: number;
  readonly manifestSeq: number;
  readonly manifestSha256: string;
}

export interface ChainListedOptions {
  /** First and last UTC day (`YYYY-MM-DD`, inclusive) of the parts wanted. */
  readonly fromDay: string;
  readonly toDay: string;
  /** Checks the head signature of each chain. */
  readonly verifier: SignatureVerifier;
  /** Only this workspace (default: every chain in the archive). */
  readonly workspaceId?: string;
}

/** Parts listed by each workspace's signed chain whose `dt` lies in [fromDay, toDay], in key order. */
export async function chainListedParts(store: ObjectStore, options: ChainListedOptions): Promise<ChainPart[]> {
  const workspaces = options.workspaceId ? [options.workspaceId] : await listWorkspaces(store);
  const parts: ChainPart[] = [];
  for (const workspaceId of workspaces) {
    const head = await findHead(store, workspaceId);
    if (!head) continue;
    const signature = await readSignature(store, workspaceId, head.manifest.seq);
    const signed = signature && signature.manifest_sha256 === head.sha256 && (await options.verifier.verify(canonicalMessage(signature), Buffer.from(signature.signature, 'base64')));
    if (!signed) {
      throw new IntegrityError(head.key, `the chain head ${head.key} of workspace ${workspaceId} has no valid signature under key ${options.verifier.fingerprint}: run verify, and export only once it passes`);
    }
    let prevSha: string | null = null;
    for (let seq = 0; seq <= head.manifest.seq; seq++) {
      const stored = seq === head.manifest.seq ? head : await readManifest(store, workspaceId, seq);
      if (stored.manifest.prev_sha256 !== prevSha) {
        throw new IntegrityError(stored.key, `manifest ${stored.key} does not chain to the manifest before it: run verify, and export only once it passes`);
      }
      prevSha = stored.sha256;
      for (const part of stored.manifest.parts) {
        const dt = parsePartKey(part.key)?.dt;
        if (!dt || dt < options.fromDay || dt > options.toDay) continue;
        parts.push({ workspaceId, key: part.key, dt, sha256: part.sha256, bytes: part.bytes, records: part.records, manifestSeq: stored.manifest.seq, manifestSha256: stored.sha256 });
      }
    }
  }
  return parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A listed part's bytes, refused when they differ from what its manifest recorded. */
export async function readChainPart(store: ObjectStore, part: ChainPart): Promise<Buffer> {
  const body = await store.get(part.key);
  if (sha256Hex(body) !== part.sha256) throw new IntegrityError(part.key, `part ${part.key} does not match the SHA-256 manifest ${part.manifestSeq} lists: run verify`);
  return body;
}
