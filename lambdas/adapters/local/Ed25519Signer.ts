/**
 * Local manifest signing with an Ed25519 key pair created on first use OUTSIDE the archive
 * folder (a key inside the archive would prove nothing): by default under
 * ~/.config/intercom-audit-archive/keys/, one pair per archive (named by a hash of its path),
 * or under AUDIT_ARCHIVE_KEY_DIR. The private key file is readable by its owner only.
 */
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../core/errors.ts';
import type { ManifestSigner } from '../../core/ports.ts';
import { PublicKeyVerifier } from '../crypto/PublicKeyVerifier.ts';

export function defaultKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AUDIT_ARCHIVE_KEY_DIR ?? path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'intercom-audit-archive', 'keys');
}

/** Where the key pair of an archive lives: never inside the archive. */
export function keyPaths(archiveDir: string, keyDir: string = defaultKeyDir()) {
  const archive = path.resolve(archiveDir);
  const dir = path.resolve(keyDir);
  if (dir === archive || dir.startsWith(`${archive}${path.sep}`)) {
    throw new ConfigurationError(`the signing key folder ${dir} is inside the archive ${archive}; keep keys outside the archive (set AUDIT_ARCHIVE_KEY_DIR)`);
  }
  const id = createHash('sha256').update(archive).digest('hex').slice(0, 16);
  return { privateKey: path.join(dir, `${id}.key.pem`), publicKey: path.join(dir, `${id}.pub.pem`), id };
}

export class Ed25519Signer implements ManifestSigner {
  readonly algorithm = 'ED25519' as const;
  constructor(
    private readonly key: KeyObject,
    readonly keyId: string,
  ) {}

  /** Loads the archive's key pair, creating it on first use. */
  static forArchive(archiveDir: string, keyDir?: string): { signer: Ed25519Signer; verifier: PublicKeyVerifier; created: boolean; publicKeyPath: string } {
    const paths = keyPaths(archiveDir, keyDir);
    let created = false;
    if (!existsSync(paths.privateKey)) {
      mkdirSync(path.dirname(paths.privateKey), { recursive: true, mode: 0o700 });
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(paths.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      writeFileSync(paths.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
      created = true;
    }
    const privateKey = createPrivateKey(readFileSync(paths.privateKey));
    const verifier = PublicKeyVerifier.fromPem(readFileSync(paths.publicKey));
    return { signer: new Ed25519Signer(privateKey, verifier.keyId), verifier, created, publicKeyPath: paths.publicKey };
  }

  /** The verifier of an archive's existing key pair, or undefined when the collector made none. */
  static existingVerifier(archiveDir: string, keyDir?: string): { verifier: PublicKeyVerifier; publicKeyPath: string } | undefined {
    const paths = keyPaths(archiveDir, keyDir);
    if (!existsSync(paths.publicKey)) return undefined;
    return { verifier: PublicKeyVerifier.fromPem(readFileSync(paths.publicKey)), publicKeyPath: paths.publicKey };
  }

  async sign(message: Buffer): Promise<Buffer> {
    return sign(null, message, this.key);
  }
}

