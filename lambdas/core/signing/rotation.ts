/**
 * Key rotation records: the only way a chain changes its signing key. A record at
 * `keys/workspace=<id>/<12-digit first seq>.json` names the old and the new key (fingerprint,
 * public key), the first manifest seq the new key signs and the chain head at rotation time,
 * and is signed by both keys: the old key hands the chain over, the new key accepts it. Written
 * create-only by the collector (locally `audit-archive keys rotate`; on AWS the collector's
 * rotate-key operator event), followed by verify.
 */
import { z } from 'zod';
import { ConfigurationError, IntegrityError } from '../errors.ts';
import type { ManifestSigner, ObjectStore } from '../ports.ts';
import { findHead } from '../archive/chain.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { assertChainKey } from './chainKey.ts';
import { signatureKey } from './signatures.ts';

export const ROTATION_FORMAT = 'intercom-audit-archive/key-rotation/v1';
export const KEYS_ROOT = 'keys/';

const keySchema = z.strictObject({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  key_id: z.string(),
  algorithm: z.enum(['ED25519', 'RSASSA_PSS_SHA_256']),
  public_key_pem: z.string(),
});

export const rotationSchema = z.strictObject({
  format: z.literal(ROTATION_FORMAT),
  workspace_id: z.string(),
  /** The first manifest seq the new key signs. */
  first_seq: z.number().int().positive(),
  /** The chain head when the key changed (signed by the old key). */
  head_seq: z.number().int().nonnegative(),
  head_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  old_key: keySchema,
  new_key: keySchema,
  rotated_at: z.string(),
  old_signature: z.string(),
  new_signature: z.string(),
});
export type RotationRecord = z.infer<typeof rotationSchema>;

export function rotationKey(workspaceId: string, firstSeq: number): string {
  return `${KEYS_ROOT}workspace=${workspaceId}/${String(firstSeq).padStart(12, '0')}.json`;
}

export function parseRotationKey(key: string): { workspaceId: string; firstSeq: number } | undefined {
  const m = /^keys\/workspace=([A-Za-z0-9_-]+)\/(\d{12})\.json$/.exec(key);
  return m ? { workspaceId: m[1]!, firstSeq: Number(m[2]) } : undefined;
}

/** The exact bytes both keys sign. */
export function rotationMessage(
  r: Pick<RotationRecord, 'workspace_id' | 'first_seq' | 'head_seq' | 'head_sha256' | 'old_key' | 'new_key'>,
): Buffer {
  return Buffer.from(
    [
      ROTATION_FORMAT,
      `workspace_id=${r.workspace_id}`,
      `first_seq=${r.first_seq}`,
      `head_seq=${r.head_seq}`,
      `head_sha256=${r.head_sha256}`,
      `old_key_fingerprint=${r.old_key.fingerprint}`,
      `new_key_fingerprint=${r.new_key.fingerprint}`,
      '',
    ].join('\n'),
    'utf8',
  );
}

/** A workspace's rotation records in seq order; a record that does not parse is returned as `invalid`. */
export async function readRotations(
  store: ObjectStore,
  workspaceId: string,
): Promise<{ records: { key: string; record: RotationRecord }[]; invalid: { key: string; reason: string }[] }> {
  const records: { key: string; record: RotationRecord }[] = [];
  const invalid: { key: string; reason: string }[] = [];
  for await (const object of store.list(`${KEYS_ROOT}workspace=${workspaceId}/`)) {
    if (object.symlink) continue; // verify reports symlinks itself
    const parsed = parseRotationKey(object.key);
    if (!parsed) {
      invalid.push({ key: object.key, reason: 'is under keys/ but is not a rotation record of any chain' });
      continue;
    }
    try {
      const record = rotationSchema.parse(JSON.parse((await store.get(object.key)).toString('utf8')));
      if (record.workspace_id !== workspaceId || record.first_seq !== parsed.firstSeq)
        throw new Error(`it claims first seq ${record.first_seq} of workspace ${record.workspace_id}`);
      records.push({ key: object.key, record });
    } catch (error) {
      invalid.push({
        key: object.key,
        reason: `is not a valid rotation record (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
      });
    }
  }
  return { records, invalid };
}

/**
 * Hands a workspace's chain from `oldSigner` to `newSigner`: signs the head with the old key if
 * it is not yet, then writes the rotation record signed by both. The next manifest is the first
 * the new key signs.
 */
export async function rotateKey(
  store: ObjectStore,
  workspaceId: string,
  oldSigner: ManifestSigner,
  newSigner: ManifestSigner,
  now: Date = new Date(),
): Promise<RotationRecord> {
  const head = await findHead(store, workspaceId);
  if (!head)
    throw new ConfigurationError(
      `workspace ${workspaceId} has no manifest chain in ${store.location} yet: there is no key to rotate (the first collect run signs with the key it is given)`,
    );
  await assertChainKey(store, workspaceId, oldSigner);
  const [oldKey, newKey] = await Promise.all([oldSigner.publicKey(), newSigner.publicKey()]);
  if (oldKey.fingerprint === newKey.fingerprint)
    throw new ConfigurationError(`the new key is the chain's current key (${oldKey.fingerprint}): nothing to rotate`);
  // Only a signed head is handed over: an unsigned one is superseded by collect's signed recovery first.
  if (!(await store.head(signatureKey(workspaceId, head.manifest.seq)))) {
    throw new ConfigurationError(
      `the chain head of workspace ${workspaceId} (manifest ${head.manifest.seq}) is unsigned: run collect first (it supersedes unsigned manifests with a signed recovery manifest), then rotate`,
    );
  }
  const base = {
    workspace_id: workspaceId,
    first_seq: head.manifest.seq + 1,
    head_seq: head.manifest.seq,
    head_sha256: head.sha256,
    old_key: { fingerprint: oldKey.fingerprint, key_id: oldSigner.keyId, algorithm: oldSigner.algorithm, public_key_pem: oldKey.pem },
    new_key: { fingerprint: newKey.fingerprint, key_id: newSigner.keyId, algorithm: newSigner.algorithm, public_key_pem: newKey.pem },
  };
  const message = rotationMessage(base);
  const [oldSignature, newSignature] = await Promise.all([oldSigner.sign(message), newSigner.sign(message)]);
  const record: RotationRecord = {
    format: ROTATION_FORMAT,
    ...base,
    rotated_at: now.toISOString(),
    old_signature: oldSignature.toString('base64'),
    new_signature: newSignature.toString('base64'),
  };
  const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
  const key = rotationKey(workspaceId, record.first_seq);
  try {
    await store.putIfAbsent(key, body, sha256Hex(body));
  } catch (error) {
    if (error instanceof IntegrityError) {
      throw new ConfigurationError(
        `a key rotation is already recorded at ${key} (first seq ${record.first_seq}); collect once with the new key before rotating again`,
        { cause: error },
      );
    }
    throw error;
  }
  return record;
}
