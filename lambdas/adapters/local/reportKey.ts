/**
 * The local report-signing key: a second Ed25519 key pair beside the archive's manifest key
 * (same folder, outside the archive), so a pack's signature and the archive's signatures never
 * share a key. Created on first use; the private key is readable by its owner only.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportSigner } from '../../core/reports/packSigning.ts';
import { PublicKeyVerifier } from '../crypto/PublicKeyVerifier.ts';
import { Ed25519Signer, keyPaths } from './Ed25519Signer.ts';

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
  const verifier = PublicKeyVerifier.fromPem(readFileSync(paths.publicKey));
  const manifestStyle = new Ed25519Signer(createPrivateKey(readFileSync(paths.privateKey)));
  // Named `report:…` so a pack's key id never reads as a manifest key's.
  const signer = {
    algorithm: manifestStyle.algorithm,
    keyId: `report:${verifier.keyId}`,
    sign: (m: Buffer) => manifestStyle.sign(m),
    publicKey: () => manifestStyle.publicKey(),
  };
  return { reportSigner: { signer, fingerprint: verifier.fingerprint }, created, publicKeyPath: paths.publicKey };
}
