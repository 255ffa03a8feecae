/**
 * One key per chain: the key a chain's next signature must be made with is the key of its
 * latest signature, or the new key of a rotation record recorded after it. The collector
 * refuses any other key; changing it is a deliberate `keys rotate`.
 */
import { ArchiveError, ConfigurationError, IntegrityError } from '../errors.ts';
import type { ManifestSigner, ObjectStore } from '../ports.ts';
import { KEYS_ROOT, parseRotationKey, rotationMessage, rotationSchema } from './rotation.ts';
import { SIGNATURE_ROOT, parseSignatureKey, readSignature, recordFingerprint, verifiesWithPem } from './signatures.ts';

export interface ChainKey {
  /** SHA-256 hex of the key's DER SubjectPublicKeyInfo; absent for a v1 signature (key id only). */
  readonly fingerprint?: string;
  readonly keyId: string;
  /** The object that names the key: the latest signature or rotation record. */
  readonly source: string;
}

/** The chain's current key, or undefined for a chain without any signature yet. */
export async function chainKey(store: ObjectStore, workspaceId: string): Promise<ChainKey | undefined> {
  let latestSigned: number | undefined;
  for await (const object of store.list(`${SIGNATURE_ROOT}workspace=${workspaceId}/`)) {
    const parsed = parseSignatureKey(object.key);
    if (parsed && !object.symlink && (latestSigned === undefined || parsed.seq > latestSigned)) latestSigned = parsed.seq;
  }
  let latestRotation: { key: string; firstSeq: number } | undefined;
  for await (const object of store.list(`${KEYS_ROOT}workspace=${workspaceId}/`)) {
    const parsed = parseRotationKey(object.key);
    if (parsed && !object.symlink && (latestRotation === undefined || parsed.firstSeq > latestRotation.firstSeq))
      latestRotation = { key: object.key, firstSeq: parsed.firstSeq };
  }
  if (latestRotation && (latestSigned === undefined || latestRotation.firstSeq > latestSigned)) {
    let record: ReturnType<typeof rotationSchema.parse>;
    try {
      record = rotationSchema.parse(JSON.parse((await store.get(latestRotation.key)).toString('utf8')));
    } catch (error) {
      if (error instanceof ArchiveError) throw error;
      throw new IntegrityError(
        latestRotation.key,
        `${latestRotation.key} is not a valid key rotation record, so the chain's key is unknown: run audit-archive verify to see what changed in the archive`,
      );
    }
    // Follow a rotation record only when it hands over from the chain's key and both keys signed it:
    // anyone who can write the archive folder can plant one, and must not be able to stop the
    // collector with a misleading "restore that key" (a key that never existed).
    const from = latestSigned === undefined ? undefined : await signatureKeyOf(store, workspaceId, latestSigned);
    const message = rotationMessage(record);
    const forged =
      (from !== undefined && fingerprintMatches(from, record.old_key.fingerprint) === false) ||
      !verifiesWithPem(
        record.old_key.public_key_pem,
        record.old_key.fingerprint,
        record.old_key.algorithm,
        message,
        Buffer.from(record.old_signature, 'base64'),
      ) ||
      !verifiesWithPem(
        record.new_key.public_key_pem,
        record.new_key.fingerprint,
        record.new_key.algorithm,
        message,
        Buffer.from(record.new_signature, 'base64'),
      );
    if (forged) {
      throw new IntegrityError(
        latestRotation.key,
        `${latestRotation.key} claims to hand workspace ${workspaceId}'s chain to key ${record.new_key.fingerprint}, but it is not signed by both the chain's key${from ? ` (${from.fingerprint ?? from.keyId}, ${from.source})` : ''} and the new key: it was planted or altered, and the collector does not follow it. Run audit-archive verify (it reports it as rotation-invalid), then remove it from a local archive; your signing key is unchanged`,
      );
    }
    return { fingerprint: record.new_key.fingerprint, keyId: record.new_key.key_id, source: latestRotation.key };
  }
  if (latestSigned === undefined) return undefined;
  return signatureKeyOf(store, workspaceId, latestSigned);
}

async function signatureKeyOf(store: ObjectStore, workspaceId: string, seq: number): Promise<ChainKey> {
  const record = (await readSignature(store, workspaceId, seq))!;
  const fingerprint = recordFingerprint(record);
  return {
    ...(fingerprint && { fingerprint }),
    keyId: record.key_id,
    source: `${SIGNATURE_ROOT}workspace=${workspaceId}/${String(seq).padStart(12, '0')}.json`,
  };
}

/** The key of any chain in the archive (a new chain in an archive takes the archive's key). */
export async function archiveKey(store: ObjectStore, workspaceIds: readonly string[]): Promise<ChainKey | undefined> {
  for (const id of workspaceIds) {
    const key = await chainKey(store, id);
    if (key) return key;
  }
  return undefined;
}

/** Whether `signer` is the key `expected` names (v1 chains name a local key as `ed25519:<16 hex>`, a KMS key by its id). */
export function signerMatches(expected: ChainKey, signer: ManifestSigner, fingerprint: string): boolean {
  return fingerprintMatches(expected, fingerprint) ?? expected.keyId === signer.keyId;
}

/** true/false when `expected` names a fingerprint (or a v1 local key id holding its first 16 hex); undefined when it names a KMS key id only. */
export function fingerprintMatches(expected: ChainKey, fingerprint: string): boolean | undefined {
  if (expected.fingerprint) return expected.fingerprint === fingerprint;
  const local = /^ed25519:([0-9a-f]{16})$/.exec(expected.keyId);
  return local ? fingerprint.startsWith(local[1]!) : undefined;
}

/** The collector signs a chain only with the chain's own key. */
export class KeyMismatchError extends ConfigurationError {
  constructor(
    readonly workspaceId: string,
    readonly chainFingerprint: string,
    readonly signerFingerprint: string,
    source: string,
  ) {
    super(
      `refusing to sign workspace ${workspaceId}'s chain with key ${signerFingerprint}: the chain is signed with key ${chainFingerprint} (${source}). ` +
        "Use the chain's key (restore it, or point the collector at it), or change keys on purpose with `audit-archive keys rotate` " +
        '(on AWS: the collector\'s {"operation":"rotate-key"} event), which records the change signed by both keys.',
    );
    this.name = 'KeyMismatchError';
  }
}

export async function assertChainKey(store: ObjectStore, workspaceId: string, signer: ManifestSigner): Promise<void> {
  const expected = await chainKey(store, workspaceId);
  if (!expected) return;
  const { fingerprint } = await signer.publicKey();
  if (!signerMatches(expected, signer, fingerprint))
    throw new KeyMismatchError(workspaceId, expected.fingerprint ?? expected.keyId, fingerprint, expected.source);
}
