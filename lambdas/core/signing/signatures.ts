/**
 * Signed manifests, modelled on CloudTrail digest signing: each manifest gets a signature over
 * a canonical form naming its SHA-256 and the previous signature, stored beside it as its own
 * create-only object `signatures/workspace=<id>/<seq>.json`. Manifests already written are
 * locked and never change. A run signs only manifests it wrote itself: an unsigned manifest it
 * finds is superseded by a signed recovery manifest (signing/recovery.ts), and an unsigned
 * history is taken over only by an operator's explicit `keys adopt-unsigned`.
 *
 * Format v2 adds `key_fingerprint` (SHA-256 hex of the signing key's DER SubjectPublicKeyInfo)
 * to the record and to the signed message, so a chain names its key and a change of key is
 * visible; v1 records (key_id only) stay readable and verifiable.
 */
import { type KeyObject, constants, createHash, createPublicKey, verify } from 'node:crypto';
import { z } from 'zod';
import { IntegrityError } from '../errors.ts';
import type { ManifestSigner, ObjectStore } from '../ports.ts';
import type { StoredManifest } from '../archive/chain.ts';
import { sha256Hex } from '../archive/manifest.ts';

export const SIGNATURE_FORMAT_V1 = 'intercom-audit-archive/signature/v1';
export const SIGNATURE_FORMAT = 'intercom-audit-archive/signature/v2';
export const SIGNATURE_ROOT = 'signatures/';

const signatureV1Schema = z.strictObject({
  format: z.literal(SIGNATURE_FORMAT_V1),
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
const signatureV2Schema = signatureV1Schema.extend({
  format: z.literal(SIGNATURE_FORMAT),
  /** SHA-256 hex of the signing key's DER SubjectPublicKeyInfo. */
  key_fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});
export const signatureSchema = z.discriminatedUnion('format', [signatureV1Schema, signatureV2Schema]);
export type SignatureRecord = z.infer<typeof signatureSchema>;

export function signatureKey(workspaceId: string, seq: number): string {
  return `${SIGNATURE_ROOT}workspace=${workspaceId}/${String(seq).padStart(12, '0')}.json`;
}

export function parseSignatureKey(key: string): { workspaceId: string; seq: number } | undefined {
  const m = /^signatures\/workspace=([A-Za-z0-9_-]+)\/(\d{12})\.json$/.exec(key);
  return m ? { workspaceId: m[1]!, seq: Number(m[2]) } : undefined;
}

type SignedFields = Pick<SignatureRecord, 'workspace_id' | 'seq' | 'manifest_sha256' | 'prev_signature' | 'prev_signed_seq'> & {
  readonly key_fingerprint?: string;
};

/** The exact bytes that are signed: fixed field order, one line each (v2 when a key fingerprint is given). */
export function canonicalMessage(r: SignedFields): Buffer {
  const v2 = r.key_fingerprint !== undefined;
  return Buffer.from(
    [
      v2 ? SIGNATURE_FORMAT : SIGNATURE_FORMAT_V1,
      `workspace_id=${r.workspace_id}`,
      `seq=${r.seq}`,
      `manifest_sha256=${r.manifest_sha256}`,
      ...(v2 ? [`key_fingerprint=${r.key_fingerprint}`] : []),
      `prev_signed_seq=${r.prev_signed_seq ?? 'none'}`,
      `prev_signature=${r.prev_signature ?? 'none'}`,
      '',
    ].join('\n'),
    'utf8',
  );
}

/** The key fingerprint a record names (v2), or undefined for a v1 record. */
export function recordFingerprint(record: SignatureRecord): string | undefined {
  return record.format === SIGNATURE_FORMAT ? record.key_fingerprint : undefined;
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
export async function signManifest(
  store: ObjectStore,
  signer: ManifestSigner,
  manifest: StoredManifest,
  previous: SignatureRecord | undefined,
  now: Date = new Date(),
): Promise<SignatureRecord> {
  const base = {
    workspace_id: manifest.manifest.workspace_id,
    seq: manifest.manifest.seq,
    manifest_sha256: manifest.sha256,
    prev_signature: previous?.signature ?? null,
    prev_signed_seq: previous?.seq ?? null,
  };
  const { fingerprint } = await signer.publicKey();
  const signature = await signer.sign(canonicalMessage({ ...base, key_fingerprint: fingerprint }));
  const record: SignatureRecord = {
    format: SIGNATURE_FORMAT,
    ...base,
    key_id: signer.keyId,
    key_fingerprint: fingerprint,
    algorithm: signer.algorithm,
    signature: signature.toString('base64'),
    signed_at: now.toISOString(),
  };
  const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
  await store.putIfAbsent(signatureKey(base.workspace_id, base.seq), body, sha256Hex(body));
  return record;
}

export function publicKeyFingerprint(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

/** Checks one signature: Ed25519, or KMS RSASSA_PSS_SHA_256 (MGF1 with SHA-256, salt as long as the digest). Never throws. */
export function verifyWithKey(key: KeyObject, algorithm: 'ED25519' | 'RSASSA_PSS_SHA_256', message: Buffer, signature: Buffer): boolean {
  try {
    if (algorithm === 'ED25519') return verify(null, message, key, signature);
    return verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  } catch {
    return false;
  }
}

/** Whether `signature` over `message` verifies with the PEM public key `pem`, and that key has `fingerprint`. */
export function verifiesWithPem(
  pem: string,
  fingerprint: string,
  algorithm: 'ED25519' | 'RSASSA_PSS_SHA_256',
  message: Buffer,
  signature: Buffer,
): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return false;
  }
  if (publicKeyFingerprint(key.export({ type: 'spki', format: 'der' })) !== fingerprint) return false;
  return verifyWithKey(key, algorithm, message, signature);
}
