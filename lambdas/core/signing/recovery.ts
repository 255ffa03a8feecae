/**
 * What a signing run does with the chain it finds. A signature covers only what the signing run
 * fetched and wrote itself, so an unsigned head (a run died between manifest and signature, or
 * someone without the key wrote it) is never signed: the run supersedes every unsigned manifest
 * after the last signed one with a signed recovery manifest that re-collects their range.
 */
import { ConfigurationError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { type StoredManifest, readManifest } from '../archive/chain.ts';
import type { ManifestRef } from '../archive/manifest.ts';
import { type SignatureRecord, latestSignature, readSignature } from './signatures.ts';

export interface RecoveryPlan {
  /** The last signed manifest: coverage resumes from its checkpoint (undefined: from the genesis origin). */
  readonly trusted: StoredManifest | undefined;
  /** Every unsigned manifest after it, oldest first. */
  readonly superseded: StoredManifest[];
}

export interface SigningState {
  readonly lastSignature: SignatureRecord | undefined;
  readonly recovery?: RecoveryPlan;
}

/** How to continue signing a chain whose head is `head`. */
export async function planSigning(store: ObjectStore, head: StoredManifest): Promise<SigningState> {
  const workspaceId = head.manifest.workspace_id;
  const signature = await readSignature(store, workspaceId, head.manifest.seq);
  if (signature) return { lastSignature: signature };
  const previous = head.manifest.seq > 0 ? await latestSignature(store, workspaceId, head.manifest.seq - 1) : undefined;
  if (!previous && head.manifest.seq > 0) {
    throw new ConfigurationError(
      `the manifest chain of workspace ${workspaceId} has ${head.manifest.seq + 1} manifests and no signature: it was collected with signing off. ` +
        `Signing never starts by itself over a history this key did not sign: review the archive (verify), then run ` +
        `\`audit-archive keys adopt-unsigned --archive <dir> --workspace ${workspaceId} --reason "…"\` (on AWS, the collector's adopt-unsigned operator event) and collect again`,
    );
  }
  const superseded: StoredManifest[] = [];
  for (let seq = (previous?.seq ?? -1) + 1; seq < head.manifest.seq; seq++) superseded.push(await readManifest(store, workspaceId, seq));
  superseded.push(head);
  const trusted = previous ? await readManifest(store, workspaceId, previous.seq) : undefined;
  return { lastSignature: previous, recovery: { trusted, superseded } };
}

export function refsOf(manifests: readonly StoredManifest[]): ManifestRef[] {
  return manifests.map((m) => ({ seq: m.manifest.seq, sha256: m.sha256 }));
}
