/**
 * The local key folder: keys named by fingerprint and found by the fingerprint a chain names (a
 * moved or copied archive keeps its key), one-time migration of the old path-hash names, and
 * refusal of a folder or private key that others could have planted or read.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ed25519Signer, fingerprintKeyPaths, keyPaths } from '../../../../lambdas/adapters/local/Ed25519Signer.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';

let root: string;
let keyDir: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'keyfolder-'));
  keyDir = path.join(root, 'keys');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const archiveA = () => path.join(root, 'archive-a');
const archiveB = () => path.join(root, 'moved', 'archive-b');

/** A key pair as versions before fingerprints wrote it: named by a hash of the archive's path. */
function plantLegacy(archive: string, mode = 0o600) {
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const legacy = keyPaths(archive, keyDir);
  writeFileSync(legacy.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode });
  chmodSync(legacy.privateKey, mode);
  writeFileSync(legacy.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return {
    legacy,
    fingerprint: createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}

describe('local key folder', () => {
  it('names a new pair by its fingerprint, private key readable by its owner only', () => {
    const key = Ed25519Signer.forChain(archiveA(), undefined, keyDir);
    expect(key.created).toBe(true);
    expect(key.publicKeyPath).toBe(fingerprintKeyPaths(keyDir, key.verifier.fingerprint).publicKey);
    expect(readdirSync(keyDir).sort()).toEqual([`${key.verifier.fingerprint}.key.pem`, `${key.verifier.fingerprint}.pub.pem`]);
  });

  it("finds the chain's key by fingerprint wherever the archive was moved", () => {
    const first = Ed25519Signer.forChain(archiveA(), undefined, keyDir);
    const again = Ed25519Signer.forChain(
      archiveB(),
      { fingerprint: first.verifier.fingerprint, keyId: first.signer.keyId, source: 's' },
      keyDir,
    );
    expect(again.created).toBe(false);
    expect(again.verifier.fingerprint).toBe(first.verifier.fingerprint);
  });

  it("refuses to invent a key when the chain's key is not in the folder", () => {
    Ed25519Signer.forChain(archiveA(), undefined, keyDir);
    expect(() => Ed25519Signer.forChain(archiveA(), { fingerprint: 'ab'.repeat(32), keyId: 'x', source: 's' }, keyDir)).toThrow(
      new RegExp(`signed with key ${'ab'.repeat(32)}, which is not in the key folder .*a different key is never used silently`),
    );
  });

  it('names the record that names the missing key and says to verify first (an edited key_fingerprint must not send the operator to start a new archive)', () => {
    Ed25519Signer.forChain(archiveA(), undefined, keyDir);
    const source = 'signatures/workspace=w/000000000014.json';
    expect(() => Ed25519Signer.forChain(archiveA(), { fingerprint: 'cd'.repeat(32), keyId: 'x', source }, keyDir)).toThrow(
      new RegExp(
        `If you did not change keys, ${source} \\(which names that key\\) may have been altered inside the archive: run audit-archive verify first`,
      ),
    );
  });

  it('finds a key under its old path-hash name once, even after a move, and records it by fingerprint', () => {
    const { legacy, fingerprint } = plantLegacy(archiveA());
    const chain = { fingerprint, keyId: `ed25519:${fingerprint.slice(0, 16)}`, source: 's' };
    const found = Ed25519Signer.forChain(archiveB(), chain, keyDir);
    expect(found.migratedFrom).toBe(legacy.privateKey);
    expect(found.verifier.fingerprint).toBe(fingerprint);
    expect(existsSync(fingerprintKeyPaths(keyDir, fingerprint).privateKey)).toBe(true);
    expect(existsSync(legacy.privateKey)).toBe(true); // key material is never deleted
    const later = Ed25519Signer.forChain(archiveB(), chain, keyDir);
    expect(later.migratedFrom).toBeUndefined();
  });

  it("finds a v1 chain's key by the 16 hex digits of its key id", () => {
    const { fingerprint } = plantLegacy(archiveA());
    const found = Ed25519Signer.forChain(archiveA(), { keyId: `ed25519:${fingerprint.slice(0, 16)}`, source: 's' }, keyDir);
    expect(found.verifier.fingerprint).toBe(fingerprint);
  });

  it('uses the old path-hash pair of a chain that was never signed', () => {
    const { fingerprint } = plantLegacy(archiveA());
    expect(Ed25519Signer.forChain(archiveA(), undefined, keyDir).verifier.fingerprint).toBe(fingerprint);
  });

  it('refuses a planted private key that others can read (0644), saying how to fix it', () => {
    const { fingerprint } = plantLegacy(archiveA(), 0o644);
    const attempt = () => Ed25519Signer.forChain(archiveA(), { fingerprint, keyId: 'k', source: 's' }, keyDir);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/refusing the private key .*: group or others may read or change it \(mode 644\).*chmod 600/);
    expect(() => Ed25519Signer.forChain(archiveA(), undefined, keyDir)).toThrow(/mode 644/);
  });

  it.each([0o777, 0o770, 0o757])('refuses a key folder writable by group or others (mode %o), saying how to fix it', (mode) => {
    const key = Ed25519Signer.forChain(archiveA(), undefined, keyDir);
    chmodSync(keyDir, mode);
    const attempt = () => Ed25519Signer.forChain(archiveA(), { fingerprint: key.verifier.fingerprint, keyId: 'k', source: 's' }, keyDir);
    expect(attempt).toThrow(
      new RegExp(`refusing the signing key folder .*: it is writable by .*\\(mode ${mode.toString(8)}\\).*chmod 700`),
    );
    expect(() => Ed25519Signer.forChain(archiveB(), undefined, keyDir)).toThrow(/chmod 700/);
  });

  it('keeps the key folder outside the archive', () => {
    expect(() => Ed25519Signer.forChain(archiveA(), undefined, path.join(archiveA(), 'keys'))).toThrow(/inside the archive/);
  });
});
