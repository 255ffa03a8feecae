/**
 * The local report-signing key: a second Ed25519 key pair beside the archive's manifest key
 * (same folder, outside the archive), so a pack's signature and the archive's signatures never
 * share a key. Named by fingerprint like the manifest keys (`<fingerprint>.report.key.pem` /
 * `.report.pub.pem`), so a moved or copied archive keeps its report key.
 *
 * Which pair signs: the one named with `--report-key <fingerprint>`; else the pair an older
 * version kept for this archive under a hash of its path (recorded by fingerprint once, the old
 * file kept: key material is never deleted); else the key folder's only report key (older
 * path-hash pairs are recorded by fingerprint first); else a new pair. Several report keys and
 * no choice is an error that lists them: a different key is never picked silently.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../../core/errors.ts';
import type { ReportSigner } from '../../core/reports/packSigning.ts';
import { PublicKeyVerifier } from '../../core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer, assertSafeFolder, defaultKeyDir, keyPaths, readPrivateKey } from './Ed25519Signer.ts';

const REPORT_KEY = /^([0-9a-f]{64})\.report\.key\.pem$/;
const LEGACY_REPORT_KEY = /^([0-9a-f]{16})\.report\.key\.pem$/;

/** The files of the report key pair with this fingerprint. */
export function reportKeyPaths(keyDir: string, fingerprint: string) {
  return { privateKey: path.join(keyDir, `${fingerprint}.report.key.pem`), publicKey: path.join(keyDir, `${fingerprint}.report.pub.pem`) };
}

/** Where versions before fingerprints kept an archive's report pair: named by a hash of the archive's path. */
export function legacyReportKeyPaths(archiveDir: string, keyDir: string = defaultKeyDir()) {
  const { id, privateKey } = keyPaths(archiveDir, keyDir);
  const dir = path.dirname(privateKey);
  return { privateKey: path.join(dir, `${id}.report.key.pem`), publicKey: path.join(dir, `${id}.report.pub.pem`) };
}

const fingerprintOf = (key: KeyObject) =>
  createHash('sha256')
    .update(createPublicKey(key).export({ type: 'spki', format: 'der' }))
    .digest('hex');

function write(file: string, body: string | Buffer, mode: number) {
  if (!existsSync(file)) writeFileSync(file, body, { mode, flag: 'wx' });
}

/** Records a key under its fingerprint (no-op when it already is); returns the fingerprint. */
function record(dir: string, key: KeyObject): string {
  const fingerprint = fingerprintOf(key);
  const paths = reportKeyPaths(dir, fingerprint);
  write(paths.privateKey, key.export({ type: 'pkcs8', format: 'pem' }), 0o600);
  write(paths.publicKey, createPublicKey(key).export({ type: 'spki', format: 'pem' }), 0o644);
  return fingerprint;
}

/** The fingerprint of the pair to sign with (created, migrated or chosen), and whether it is new. */
function choose(
  archiveDir: string,
  dir: string,
  wanted: string | undefined,
): { fingerprint: string; created: boolean; migratedFrom?: string } {
  if (wanted) {
    if (!existsSync(reportKeyPaths(dir, wanted).privateKey))
      throw new ConfigurationError(
        `--report-key: no report key ${wanted} in the key folder ${dir}; restore it from your backup, or leave the flag out`,
      );
    return { fingerprint: wanted, created: false };
  }
  const legacy = legacyReportKeyPaths(archiveDir, dir).privateKey;
  if (existsSync(legacy)) return { fingerprint: record(dir, readPrivateKey(legacy)), created: false, migratedFrom: legacy };
  const names = readdirSync(dir).sort();
  for (const name of names.filter((n) => LEGACY_REPORT_KEY.test(n))) record(dir, readPrivateKey(path.join(dir, name)));
  const found = readdirSync(dir)
    .map((n) => REPORT_KEY.exec(n)?.[1])
    .filter((f): f is string => f !== undefined)
    .sort();
  if (found.length === 1) return { fingerprint: found[0]!, created: false };
  if (found.length > 1)
    throw new ConfigurationError(
      `the key folder ${dir} holds ${found.length} report-signing keys (${found.join(', ')}); choose one with --report-key <fingerprint> (the one your auditors have recorded)`,
    );
  return { fingerprint: record(dir, generateKeyPairSync('ed25519').privateKey), created: true };
}

export function reportSignerForArchive(
  archiveDir: string,
  keyDir: string = defaultKeyDir(),
  options: { readonly fingerprint?: string } = {},
): { reportSigner: ReportSigner; created: boolean; publicKeyPath: string; privateKeyPath: string; migratedFrom?: string } {
  const dir = path.dirname(keyPaths(archiveDir, keyDir).privateKey); // refuses a key folder inside the archive
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The same checks as the manifest key: no key planted in a folder others can write, none others can read;
  // the fingerprint comes from the private key itself, never from a .pub file beside it.
  assertSafeFolder(dir);
  const chosen = choose(archiveDir, dir, options.fingerprint);
  const paths = reportKeyPaths(dir, chosen.fingerprint);
  const privateKey = readPrivateKey(paths.privateKey);
  const verifier = new PublicKeyVerifier(createPublicKey(privateKey));
  // A file named by one fingerprint but holding another key was put there by someone else.
  if (verifier.fingerprint !== chosen.fingerprint)
    throw new ConfigurationError(
      `the key file ${paths.privateKey} holds key ${verifier.fingerprint}, not the one its name says: restore the key folder from your backup`,
    );
  const manifestStyle = new Ed25519Signer(privateKey);
  // Named `report:…` so a pack's key id never reads as a manifest key's.
  const signer = {
    algorithm: manifestStyle.algorithm,
    keyId: `report:${verifier.keyId}`,
    sign: (m: Buffer) => manifestStyle.sign(m),
    publicKey: () => manifestStyle.publicKey(),
  };
  return {
    reportSigner: { signer, fingerprint: verifier.fingerprint },
    created: chosen.created,
    publicKeyPath: paths.publicKey,
    privateKeyPath: paths.privateKey,
    ...(chosen.migratedFrom && { migratedFrom: chosen.migratedFrom }),
  };
}
