/**
 * Local manifest signing with Ed25519 key pairs kept OUTSIDE the archive folder (a key inside
 * the archive would prove nothing): by default under ~/.config/intercom-audit-archive/keys/, or
 * under AUDIT_ARCHIVE_KEY_DIR.
 *
 * Key files are named by fingerprint (`<sha256 of the DER public key>.key.pem` / `.pub.pem`),
 * and an archive's chain names the fingerprint of its key, so the key follows the archive
 * wherever it is moved or copied. Files written by older versions under a hash of the archive's
 * path are found once by their fingerprint and recorded under it.
 *
 * A key folder that group or others can write, or a private key they can read, is refused: a
 * key someone else could have planted or copied proves nothing.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../core/errors.ts';
import type { ManifestSigner, SignerPublicKey } from '../../core/ports.ts';
import { type ChainKey, fingerprintMatches } from '../../core/signing/chainKey.ts';
import { PublicKeyVerifier } from '../../core/signing/PublicKeyVerifier.ts';

export function defaultKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.AUDIT_ARCHIVE_KEY_DIR ?? path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'intercom-audit-archive', 'keys')
  );
}

/** The key folder, refused when it is inside the archive. */
function keyFolder(archiveDir: string, keyDir: string): string {
  const archive = path.resolve(archiveDir);
  const dir = path.resolve(keyDir);
  if (dir === archive || dir.startsWith(`${archive}${path.sep}`)) {
    throw new ConfigurationError(
      `the signing key folder ${dir} is inside the archive ${archive}; keep keys outside the archive (set AUDIT_ARCHIVE_KEY_DIR)`,
    );
  }
  return dir;
}

/** Where versions before key fingerprints kept an archive's key pair: named by a hash of the archive's path. */
export function keyPaths(archiveDir: string, keyDir: string = defaultKeyDir()) {
  const dir = keyFolder(archiveDir, keyDir);
  const id = createHash('sha256').update(path.resolve(archiveDir)).digest('hex').slice(0, 16);
  return { privateKey: path.join(dir, `${id}.key.pem`), publicKey: path.join(dir, `${id}.pub.pem`), id };
}

/** The files of the key pair with this fingerprint. */
export function fingerprintKeyPaths(keyDir: string, fingerprint: string) {
  return { privateKey: path.join(keyDir, `${fingerprint}.key.pem`), publicKey: path.join(keyDir, `${fingerprint}.pub.pem`) };
}

const FINGERPRINT_NAME = /^[0-9a-f]{64}\.key\.pem$/;
const checksPermissions = process.platform !== 'win32';

/** Refuses a key folder that group or others may write, or that is a symlink. */
export function assertSafeFolder(dir: string): void {
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory())
    throw new ConfigurationError(
      `the signing key folder ${dir} is not a plain folder (a symbolic link?); point AUDIT_ARCHIVE_KEY_DIR at a real folder only you can write`,
    );
  if (!checksPermissions) return;
  if ((stat.mode & 0o022) !== 0) {
    throw new ConfigurationError(
      `refusing the signing key folder ${dir}: it is writable by ${stat.mode & 0o020 ? 'group' : ''}${(stat.mode & 0o022) === 0o022 ? ' and ' : ''}${stat.mode & 0o002 ? 'others' : ''} (mode ${(stat.mode & 0o777).toString(8)}), so someone else could plant a key there. ` +
        `Check the keys in it, then run: chmod 700 '${dir}'`,
    );
  }
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new ConfigurationError(
      `refusing the signing key folder ${dir}: it belongs to uid ${stat.uid}, not to you; use a key folder of your own (AUDIT_ARCHIVE_KEY_DIR)`,
    );
  }
}

/** Reads a private key, refusing one that group or others can read or write, or a symlink. */
export function readPrivateKey(file: string): KeyObject {
  const stat = lstatSync(file);
  if (stat.isSymbolicLink() || !stat.isFile())
    throw new ConfigurationError(`refusing the private key ${file}: it is not a plain file (a symbolic link?)`);
  if (checksPermissions && (stat.mode & 0o077) !== 0) {
    throw new ConfigurationError(
      `refusing the private key ${file}: group or others may read or change it (mode ${(stat.mode & 0o777).toString(8)}), so it may be known to someone else. ` +
        `If it is yours and nobody else has read it, run: chmod 600 '${file}'; otherwise rotate to a new key with audit-archive keys rotate`,
    );
  }
  if (checksPermissions && typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new ConfigurationError(`refusing the private key ${file}: it belongs to uid ${stat.uid}, not to you`);
  }
  return createPrivateKey(readFileSync(file));
}

function fingerprintOf(privateKey: KeyObject): string {
  return createHash('sha256')
    .update(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export interface LoadedKey {
  readonly signer: Ed25519Signer;
  readonly verifier: PublicKeyVerifier;
  readonly publicKeyPath: string;
  /** true when this call generated the pair. */
  readonly created: boolean;
  /** The old path-hash file the pair was found under and recorded by fingerprint from, this once. */
  readonly migratedFrom?: string;
}

export class Ed25519Signer implements ManifestSigner {
  readonly algorithm = 'ED25519' as const;
  readonly keyId: string;
  readonly #key: KeyObject;
  readonly #public: SignerPublicKey;

  constructor(key: KeyObject) {
    this.#key = key;
    const verifier = new PublicKeyVerifier(createPublicKey(key));
    this.keyId = verifier.keyId;
    this.#public = { pem: verifier.pem, fingerprint: verifier.fingerprint };
  }

  /**
   * The key pair a chain is signed with: the one with the chain's fingerprint (found under its
   * fingerprint, or once under an old path-hash name), or — for a chain with no signature yet —
   * the archive's old path-hash pair if there is one, else a new pair. Never another key.
   */
  static forChain(
    archiveDir: string,
    expected: ChainKey | undefined,
    keyDir: string = defaultKeyDir(),
    options: { readonly refuseNewKey?: string } = {},
  ): LoadedKey {
    const dir = keyFolder(archiveDir, keyDir);
    if (expected) {
      const found = findKey(dir, expected);
      if (found) return found;
      throw new ConfigurationError(
        `this archive's chain is signed with key ${expected.fingerprint ?? expected.keyId}, which is not in the key folder ${dir}. ` +
          'Restore that key from your backup (or point AUDIT_ARCHIVE_KEY_DIR at the folder that holds it); a different key is never used silently. ' +
          `If you did not change keys, ${expected.source} (which names that key) may have been altered inside the archive: run audit-archive verify first — it reports a signature that does not verify with your recorded key. ` +
          'If the key is lost, the chain cannot be extended by a key the old one vouches for: start a new archive, and keep the old one for verification.',
      );
    }
    if (existsSync(dir)) {
      assertSafeFolder(dir);
      const legacy = keyPaths(archiveDir, dir);
      if (existsSync(legacy.privateKey)) return migrate(dir, legacy.privateKey);
    }
    if (options.refuseNewKey) throw new ConfigurationError(options.refuseNewKey);
    return create(dir);
  }

  /** Kept for callers that have no chain to look at: a chain-less archive's pair (created on first use). */
  static forArchive(archiveDir: string, keyDir?: string): LoadedKey {
    return Ed25519Signer.forChain(archiveDir, undefined, keyDir);
  }

  /** Generates a new pair in the key folder (for `keys rotate`). */
  static generate(archiveDir: string, keyDir: string = defaultKeyDir()): LoadedKey {
    return create(keyFolder(archiveDir, keyDir));
  }

  /** The verifier of the key with this chain key's fingerprint, if the key folder holds it. */
  static existingVerifier(
    archiveDir: string,
    expected: ChainKey,
    keyDir: string = defaultKeyDir(),
  ): { verifier: PublicKeyVerifier; publicKeyPath: string } | undefined {
    const found = findKey(keyFolder(archiveDir, keyDir), expected);
    return found && { verifier: found.verifier, publicKeyPath: found.publicKeyPath };
  }

  async sign(message: Buffer): Promise<Buffer> {
    return sign(null, message, this.#key);
  }

  async publicKey(): Promise<SignerPublicKey> {
    return this.#public;
  }
}

function matches(expected: ChainKey, fingerprint: string): boolean {
  return fingerprintMatches(expected, fingerprint) === true;
}

function loaded(privateKeyFile: string, publicKeyPath: string, extra: { created?: boolean; migratedFrom?: string } = {}): LoadedKey {
  const signer = new Ed25519Signer(readPrivateKey(privateKeyFile));
  const verifier = PublicKeyVerifier.fromPem(readFileSync(publicKeyPath));
  if (verifier.fingerprint !== fingerprintOf(createPrivateKey(readFileSync(privateKeyFile)))) {
    throw new ConfigurationError(
      `the key files ${privateKeyFile} and ${publicKeyPath} do not belong together: restore the pair from your backup`,
    );
  }
  return {
    signer,
    verifier,
    publicKeyPath,
    created: extra.created ?? false,
    ...(extra.migratedFrom && { migratedFrom: extra.migratedFrom }),
  };
}

function findKey(dir: string, expected: ChainKey): LoadedKey | undefined {
  if (!existsSync(dir)) return undefined;
  assertSafeFolder(dir);
  const names = readdirSync(dir).sort();
  if (expected.fingerprint) {
    const paths = fingerprintKeyPaths(dir, expected.fingerprint);
    if (existsSync(paths.privateKey)) {
      const key = loaded(paths.privateKey, paths.publicKey);
      // A file named by one fingerprint but holding another key was put there by someone else.
      if (key.verifier.fingerprint !== expected.fingerprint)
        throw new ConfigurationError(
          `the key file ${paths.privateKey} holds key ${key.verifier.fingerprint}, not the one its name says: restore the key folder from your backup`,
        );
      return key;
    }
  } else {
    const name = names.find((n) => FINGERPRINT_NAME.test(n) && matches(expected, n.slice(0, 64)));
    if (name) {
      const fp = name.slice(0, 64);
      const paths = fingerprintKeyPaths(dir, fp);
      return loaded(paths.privateKey, paths.publicKey);
    }
  }
  // Older versions named key files by a hash of the archive's path: look at each one's fingerprint.
  for (const name of names) {
    if (!name.endsWith('.key.pem') || FINGERPRINT_NAME.test(name)) continue;
    const file = path.join(dir, name);
    const key = readPrivateKey(file);
    if (matches(expected, fingerprintOf(key))) return migrate(dir, file);
  }
  return undefined;
}

/** Records an old path-hash pair under its fingerprint (the old file stays: key material is never deleted). */
function migrate(dir: string, legacyPrivateKey: string): LoadedKey {
  const key = readPrivateKey(legacyPrivateKey);
  const fingerprint = fingerprintOf(key);
  const paths = fingerprintKeyPaths(dir, fingerprint);
  if (!existsSync(paths.privateKey))
    writeFileSync(paths.privateKey, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  if (!existsSync(paths.publicKey))
    writeFileSync(paths.publicKey, createPublicKey(key).export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return loaded(paths.privateKey, paths.publicKey, { migratedFrom: legacyPrivateKey });
}

function create(dir: string): LoadedKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertSafeFolder(dir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const paths = fingerprintKeyPaths(dir, fingerprintOf(privateKey));
  writeFileSync(paths.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(paths.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return loaded(paths.privateKey, paths.publicKey, { created: true });
}
