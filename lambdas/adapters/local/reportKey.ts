/**
 * The local report-signing key: a second Ed25519 key pair beside the archive's manifest key
 * (same folder, outside the archive), so a pack's signature and the archive's signatures never
 * share a key. Created on first use; the private key is readable by its owner only.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportSigner } from '../../core/reports/packSigning.ts';
import { PublicKeyVerifier } from '../../core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer, assertSafeFolder, keyPaths, readPrivateKey } from './Ed25519Signer.ts';

export function reportKeyPaths(archiveDir: string, keyDir?: string) {
  const { id, privateKey } = keyPaths(archiveDir, keyDir);
  const dir = path.dirname(privateKey);
  return { privateKey: path.join(dir, `${id}.report.key.pem`), publicKey: path.join(dir, `${id}.report.pub.pem`) };
}

export function reportSignerForArchive(
  archiveDir: string,
  keyDir?: string,
): { reportSigner: ReportSigner; created: boolean; publicKeyPath: string } {
  const paths = reportKeyPaths(archiveDir, keyDir);
  let created = false;
  if (!existsSync(paths.privateKey)) {
    mkdirSync(path.dirname(paths.privateKey), { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(paths.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(paths.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
    created = true;
  }
  // The same checks as the manifest key: no key planted in a folder others can write, none others can read;
  // the fingerprint comes from the private key itself, never from a .pub file beside it.
  assertSafeFolder(path.dirname(paths.privateKey));
  const privateKey = readPrivateKey(paths.privateKey);
  const verifier = new PublicKeyVerifier(createPublicKey(privateKey));
  const manifestStyle = new Ed25519Signer(privateKey);
  // Named `report:…` so a pack's key id never reads as a manifest key's.
  const signer = {
    algorithm: manifestStyle.algorithm,
    keyId: `report:${verifier.keyId}`,
    sign: (m: Buffer) => manifestStyle.sign(m),
    publicKey: () => manifestStyle.publicKey(),
  };
  return { reportSigner: { signer, fingerprint: verifier.fingerprint }, created, publicKeyPath: paths.publicKey };
}
