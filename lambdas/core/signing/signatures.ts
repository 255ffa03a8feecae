/**
 * Signed manifests, modelled on CloudTrail digest signing: each manifest gets a signature over
 * a canonical form naming its SHA-256 and the previous signature, stored beside it as its own
 * create-only object `signatures/workspace=<id>/<seq>.json`. Manifests already written are
 * locked and never change. A run signs only manifests it wrote itself: an unsigned manifest it
 * finds is superseded by a signed recovery manifest (signing/recovery.ts), and an unsigned
 * history is taken over only by an operator's explicit `keys adopt-unsigned`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { IntegrityError } from '../errors.ts';
import type { ManifestSigner, ObjectStore } from '../ports.ts';
import type { StoredManifest } from '../archive/chain.ts';
import { sha256Hex } from '../archive/manifest.ts';

export const SIGNATURE_FORMAT = 'intercom-audit-archive/signature/v1';
export const SIGNATURE_ROOT = 'signatures/';

export const signatureSchema = z.strictObject({
  format: z.literal(SIGNATURE_FORMAT),
  workspace_id: z.string(),
  seq: z.number().int().nonnegative(),
  manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The previous signature (base64), or null for the first one of the chain. */
  prev_signature: z.string().nullable(),
  /** Seq of the manifest the previous signature signed, or null. */
  prev_signed_seq: z.number().int().nullable(),
  key_id: z.string(),
  algorithm: z.enum(['ED25519', 'RSASSA_PSS_SHA_256']),
  signature: z.string(),
  signed_at: z.string(),
});
export type SignatureRecord = z.infer<typeof signatureSchema>;

export function signatureKey(workspaceId: string, seq: number): string {
  return `${SIGNATURE_ROOT}workspace=${workspaceId}/${String(seq).padStart(12, '0')}.json`;
}

export function parseSignatureKey(key: string): { workspaceId: string; seq: number } | undefined {
  const m = /^signatures\/workspace=([A-Za-z0-9_-]+)\/(\d{12})\.json$/.exec(key);
  return m ? { workspaceId: m[1]!, seq: Number(m[2]) } : undefined;
}

/** The exact bytes that are signed: fixed field order, one line each. */
export function canonicalMessage(r: Pick<SignatureRecord, 'workspace_id' | 'seq' | 'manifest_sha256' | 'prev_signature' | 'prev_signed_seq'>): Buffer {
  return Buffer.from(
    [SIGNATURE_FORMAT, `workspace_id=${r.workspace_id}`, `seq=${r.seq}`, `manifest_sha256=${r.manifest_sha256}`, `prev_signed_seq=${r.prev_signed_seq ?? 'none'}`, `prev_signature=${r.prev_signature ?? 'none'}`, ''].join('\n'),
    'utf8',
  );
}

export async function readSignature(store: ObjectStore, workspaceId: string, seq: number): Promise<SignatureRecord | undefined> {
  const key = signatureKey(workspaceId, seq);
  if (!(await store.head(key))) return undefined;
  const parsed = signatureSchema.safeParse(JSON.parse((await store.get(key)).toString('utf8')));
  if (!parsed.success) throw new IntegrityError(key, `signature ${key} is not a valid signature record`);
  return parsed.data;
}

/** The newest signature at or before `seq`, found by listing the chain's signatures (only needed when the head is unsigned). */
export async function latestSignature(store: ObjectStore, workspaceId: string, seq: number): Promise<SignatureRecord | undefined> {
  let best: number | undefined;
  for await (const object of store.list(`${SIGNATURE_ROOT}workspace=${workspaceId}/`)) {
    const parsed = parseSignatureKey(object.key);
    if (parsed && parsed.seq <= seq && (best === undefined || parsed.seq > best)) best = parsed.seq;
  }
  return best === undefined ? undefined : readSignature(store, workspaceId, best);
}

/** Signs one stored manifest, chaining to the previous signature. Create-only, like everything else. */
export async function signManifest(store: ObjectStore, signer: ManifestSigner, manifest: StoredManifest, previous: SignatureRecord | undefined, now: Date = new Date()): Promise<SignatureRecord> {
  const base = {
    workspace_id: manifest.manifest.workspace_id,
    seq: manifest.manifest.seq,
    manifest_sha256: manifest.sha256,
    prev_signature: previous?.signature ?? null,
    prev_signed_seq: previous?.seq ?? null,
  };
  const signature = await signer.sign(canonicalMessage(base));
  const record: SignatureRecord = { format: SIGNATURE_FORMAT, ...base, key_id: signer.keyId, algorithm: signer.algorithm, signature: signature.toString('base64'), signed_at: now.toISOString() };
  const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
  await store.putIfAbsent(signatureKey(base.workspace_id, base.seq), body, sha256Hex(body));
  return record;
}

export function publicKeyFingerprint(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

