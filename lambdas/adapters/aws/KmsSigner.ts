/** Manifest signing with a KMS asymmetric key (RSASSA-PSS SHA-256); only the collector role may sign. */
import { createHash } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { ManifestSigner, SignerPublicKey } from '../../core/ports.ts';
import { PublicKeyVerifier } from '../../core/signing/PublicKeyVerifier.ts';

export class KmsSigner implements ManifestSigner {
  readonly algorithm = 'RSASSA_PSS_SHA_256' as const;
  #publicKey: Promise<SignerPublicKey> | undefined;

  constructor(
    private readonly kms: KMSClient,
    readonly keyId: string,
  ) {}

  async sign(message: Buffer): Promise<Buffer> {
    // The digest is sent, not the message: KMS signs the SHA-256 exactly as a local verify checks it.
    const digest = createHash('sha256').update(message).digest();
    const out = await this.kms.send(
      new SignCommand({ KeyId: this.keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
    );
    return Buffer.from(out.Signature!);
  }

  /** The key's public half, fetched once (kms:GetPublicKey). */
  publicKey(): Promise<SignerPublicKey> {
    this.#publicKey ??= kmsVerifier(this.kms, this.keyId).then((v) => ({ pem: v.pem, fingerprint: v.fingerprint }));
    this.#publicKey.catch(() => {
      this.#publicKey = undefined;
    });
    return this.#publicKey;
  }
}

/** The verifier for a KMS key: its public key fetched once (auditors need kms:GetPublicKey only). */
export async function kmsVerifier(kms: KMSClient, keyId: string): Promise<PublicKeyVerifier> {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return PublicKeyVerifier.fromDer(out.PublicKey!, out.KeyId ?? keyId);
}
