/**
 * Verifies manifest signatures with a public key given by the operator (a PEM file, or the
 * DER key KMS returns): Ed25519 for local archives, RSASSA-PSS SHA-256 for KMS-signed ones.
 * The key never comes from the archive itself.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigurationError } from '../errors.ts';
import type { SignatureVerifier } from '../ports.ts';
import { publicKeyFingerprint, verifyWithKey } from './signatures.ts';

export class PublicKeyVerifier implements SignatureVerifier {
  readonly algorithm: 'ED25519' | 'RSASSA_PSS_SHA_256';
  readonly fingerprint: string;
  readonly keyId: string;
  /** The key as PEM SubjectPublicKeyInfo. */
  readonly pem: string;

  constructor(
    private readonly key: KeyObject,
    keyId?: string,
  ) {
    if (key.asymmetricKeyType === 'ed25519') this.algorithm = 'ED25519';
    else if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') this.algorithm = 'RSASSA_PSS_SHA_256';
    else
      throw new ConfigurationError(
        `public key of type ${key.asymmetricKeyType} is not supported: use Ed25519 (local) or the RSA key of the KMS signing key`,
      );
    this.fingerprint = publicKeyFingerprint(key.export({ type: 'spki', format: 'der' }));
    this.pem = key.export({ type: 'spki', format: 'pem' }).toString();
    this.keyId = keyId ?? `${this.algorithm.toLowerCase()}:${this.fingerprint.slice(0, 16)}`;
  }

  static fromPem(pem: Buffer | string, keyId?: string): PublicKeyVerifier {
    try {
      return new PublicKeyVerifier(createPublicKey(pem), keyId);
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw new ConfigurationError(`--public-key: not a PEM public key (${(error as Error).message})`);
    }
  }

  static fromDer(der: Uint8Array, keyId?: string): PublicKeyVerifier {
    return new PublicKeyVerifier(createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), keyId);
  }

  async verify(message: Buffer, signature: Buffer): Promise<boolean> {
    return verifyWithKey(this.key, this.algorithm, message, signature);
  }
}
