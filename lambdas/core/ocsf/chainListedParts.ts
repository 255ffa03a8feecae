/**
 * The parts an export may read: those listed by the manifests of a verified chain, never a
 * folder listing of activity_logs/ (a planted or rejected object there is not archive data).
 *
 * One small function so it can be swapped for the shared "chain-listed parts" reader once that
 * exists. It checks each workspace's head signature with a key that does not come from the
 * archive, then walks back from the head through the `prev_sha256` links (through the hash chain
 * the head signature covers every manifest before it) only as far as the days asked need, so a
 * daily export reads a day of manifests, not years. Readers then compare each part's bytes with
 * the SHA-256 its manifest lists (readChainPart).
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
    const signed =
      signature &&
      signature.manifest_sha256 === head.sha256 &&
      (await options.verifier.verify(canonicalMessage(signature), Buffer.from(signature.signature, 'base64')));
    if (!signed) {
      throw new IntegrityError(
        head.key,
        `the chain head ${head.key} of workspace ${workspaceId} has no valid signature under key ${options.verifier.fingerprint}: run verify, and export only once it passes`,
      );
    }
    // Walk back from the signed head: each manifest's SHA-256 is what the one after it names as
    // prev_sha256, so every manifest visited is covered by the head signature. Stop at the first
    // window manifest that ends before fromDay: every earlier manifest covers earlier time (a late
    // manifest only adds to the lookback behind the checkpoint it was written at).
    const dayStart = Date.parse(`${options.fromDay}T00:00:00Z`) / 1000;
    let current = head;
    // A manifest a signed recovery manifest superseded carries no weight (it comes later in the chain, so first in this walk).
    const superseded = new Set<number>();
    for (;;) {
      for (const ref of current.manifest.supersedes ?? []) superseded.add(ref.seq);
      for (const part of superseded.has(current.manifest.seq) ? [] : current.manifest.parts) {
        const dt = parsePartKey(part.key)?.dt;
        if (!dt || dt < options.fromDay || dt > options.toDay) continue;
        parts.push({
          workspaceId,
          key: part.key,
          dt,
          sha256: part.sha256,
          bytes: part.bytes,
          records: part.records,
          manifestSeq: current.manifest.seq,
          manifestSha256: current.sha256,
        });
      }
      const { seq, kind, to, prev_sha256: prev } = current.manifest;
      if (seq === 0 || ((kind === 'window' || kind === 'recovery') && to <= dayStart && !superseded.has(seq))) {
        if (seq === 0 && prev !== null)
          throw new IntegrityError(
            current.key,
            `manifest ${current.key} is seq 0 but names a previous manifest: run verify, and export only once it passes`,
          );
        break;
      }
      const earlier = await readManifest(store, workspaceId, seq - 1);
      if (earlier.sha256 !== prev) {
        throw new IntegrityError(
          current.key,
          `manifest ${current.key} does not chain to the manifest before it: run verify, and export only once it passes`,
        );
      }
      current = earlier;
    }
  }
  return parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A listed part's bytes, refused when they differ from what its manifest recorded. */
export async function readChainPart(store: ObjectStore, part: ChainPart): Promise<Buffer> {
  const body = await store.get(part.key);
  if (sha256Hex(body) !== part.sha256)
    throw new IntegrityError(part.key, `part ${part.key} does not match the SHA-256 manifest ${part.manifestSeq} lists: run verify`);
  return body;
}
