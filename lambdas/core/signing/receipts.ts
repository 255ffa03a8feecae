/**
 * Head receipts: a chain head (workspace, seq, SHA-256 of the manifest) written down OUTSIDE
 * the archive, like CloudTrail's digest files kept elsewhere. Someone who can delete the
 * newest manifests, their signatures and parts leaves a shorter chain that verifies on its
 * own; `verify --expect-head <receipt>` then fails, because the chain no longer reaches it.
 */
import { ConfigurationError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { findHead } from '../archive/chain.ts';
import { WORKSPACE_ID_CHARS } from '../archive/keys.ts';
import type { CheckpointCache } from '../ports.ts';
import { readSignature } from './signatures.ts';

export interface HeadReceipt {
  readonly workspaceId: string;
  readonly seq: number;
  /** SHA-256 (lowercase hex) of the manifest at `seq`. */
  readonly sha256: string;
}

/** `head receipt: workspace=<id> seq=<n> sha256=<64 lowercase hex>` */
export function formatReceipt(r: HeadReceipt): string {
  return `head receipt: workspace=${r.workspaceId} seq=${r.seq} sha256=${r.sha256}`;
}

const LINE = new RegExp(`^(?:head receipt:\\s*)?workspace=(${WORKSPACE_ID_CHARS})\\s+seq=(\\d{1,12})\\s+sha256=([0-9a-f]{64})$`);
const SHORT = new RegExp(`^(${WORKSPACE_ID_CHARS}):(\\d{1,12}):([0-9a-f]{64})$`);

/** Reads `<workspace>:<seq>:<sha256>` or the printed line itself. */
export function parseReceipt(text: string, flag = '--expect-head'): HeadReceipt {
  const m = LINE.exec(text.trim()) ?? SHORT.exec(text.trim());
  if (!m) {
    throw new ConfigurationError(
      `${flag}: '${text.slice(0, 200)}' is not a head receipt; give <workspace>:<seq>:<sha256> or the line collect prints, 'head receipt: workspace=<id> seq=<n> sha256=<64 lowercase hex>'`,
    );
  }
  return { workspaceId: m[1]!, seq: Number(m[2]), sha256: m[3]! };
}

/** The receipt of a workspace's chain head when that head is signed (a receipt for an unsigned head would anchor nothing). */
export async function signedHeadReceipt(
  store: ObjectStore,
  workspaceId: string,
  cache?: CheckpointCache,
): Promise<HeadReceipt | undefined> {
  const head = await findHead(store, workspaceId, cache);
  if (!head) return undefined;
  const signature = await readSignature(store, workspaceId, head.manifest.seq);
  if (!signature || signature.manifest_sha256 !== head.sha256) return undefined;
  return { workspaceId, seq: head.manifest.seq, sha256: head.sha256 };
}
