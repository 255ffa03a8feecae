/**
 * The local report-signing key: named by fingerprint (a moved archive keeps it), old path-hash
 * pairs recorded by fingerprint once, never a different key picked silently, and the manifest
 * key's checks: a planted or exposed key is refused, the .pub file beside it is never trusted.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { legacyReportKeyPaths, reportKeyPaths, reportSignerForArchive } from '../../../../lambdas/adapters/local/reportKey.ts';

const posix = process.platform !== 'win32';
let root: string;
let keyDir: string;
const archive = () => path.join(root, 'report-key-archive');
const moved = () => path.join(root, 'moved', 'archive');
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'report-keys-'));
  keyDir = path.join(root, 'keys');
  mkdirSync(keyDir, { mode: 0o700 });
  chmodSync(keyDir, 0o700);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A report pair as versions before fingerprints wrote it: named by a hash of the archive's path. */
function plantLegacy(archiveDir: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const legacy = legacyReportKeyPaths(archiveDir, keyDir);
  writeFileSync(legacy.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(legacy.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  const fingerprint = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { legacy, fingerprint };
}

describe('local report-signing key', () => {
  it('names a new pair by its fingerprint and finds it again after the archive was moved', () => {
    const first = reportSignerForArchive(archive(), keyDir);
    const fp = first.reportSigner.fingerprint;
    expect(first.created).toBe(true);
    expect(readdirSync(keyDir).sort()).toEqual([`${fp}.report.key.pem`, `${fp}.report.pub.pem`]);
    expect(first.publicKeyPath).toBe(reportKeyPaths(keyDir, fp).publicKey);
    const again = reportSignerForArchive(moved(), keyDir);
    expect(again.created).toBe(false);
    expect(again.reportSigner.fingerprint).toBe(fp);
  });

  it('records an old path-hash pair by fingerprint once, keeps the old file, and still finds it after a move', () => {
    const { legacy, fingerprint } = plantLegacy(archive());
    const migrated = reportSignerForArchive(archive(), keyDir);
    expect(migrated).toMatchObject({ created: false, migratedFrom: legacy.privateKey });
    expect(migrated.reportSigner.fingerprint).toBe(fingerprint);
    expect(existsSync(legacy.privateKey)).toBe(true);
    expect(existsSync(reportKeyPaths(keyDir, fingerprint).privateKey)).toBe(true);
    expect(reportSignerForArchive(moved(), keyDir).reportSigner.fingerprint).toBe(fingerprint);
  });

  it('finds an old path-hash pair after the archive was moved before the upgrade (no new key made)', () => {
    const { fingerprint } = plantLegacy(archive());
    const found = reportSignerForArchive(moved(), keyDir);
    expect(found.created).toBe(false);
    expect(found.reportSigner.fingerprint).toBe(fingerprint);
  });

  it('never picks one of several report keys silently; --report-key chooses', () => {
    const a = plantLegacy(path.join(root, 'a'));
    const b = plantLegacy(path.join(root, 'b'));
    expect(() => reportSignerForArchive(moved(), keyDir)).toThrow(
      /holds 2 report-signing keys \([0-9a-f]{64}, [0-9a-f]{64}\); choose one with --report-key <fingerprint>/,
    );
    expect(reportSignerForArchive(moved(), keyDir, { fingerprint: b.fingerprint }).reportSigner.fingerprint).toBe(b.fingerprint);
    expect(reportSignerForArchive(path.join(root, 'a'), keyDir).reportSigner.fingerprint).toBe(a.fingerprint);
    expect(() => reportSignerForArchive(moved(), keyDir, { fingerprint: 'ab'.repeat(32) })).toThrow(
      new RegExp(`--report-key: no report key ${'ab'.repeat(32)} in the key folder`),
    );
  });

  it('refuses a key file whose name is another key’s fingerprint (planted)', () => {
    const first = reportSignerForArchive(archive(), keyDir);
    const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    chmodSync(first.privateKeyPath, 0o600);
    rmSync(first.privateKeyPath);
    writeFileSync(first.privateKeyPath, other, { mode: 0o600 });
    expect(() => reportSignerForArchive(archive(), keyDir)).toThrow(/holds key [0-9a-f]{64}, not the one its name says/);
  });

  it.runIf(posix)('refuses a private report key that group or others can read (planted or exposed)', () => {
    const { privateKeyPath } = reportSignerForArchive(archive(), keyDir);
    chmodSync(privateKeyPath, 0o644);
    expect(() => reportSignerForArchive(archive(), keyDir)).toThrow(
      /refusing the private key .*\.report\.key\.pem: group or others may read or change it/,
    );
  });

  it.runIf(posix)('refuses a key folder others can write', () => {
    reportSignerForArchive(archive(), keyDir);
    chmodSync(keyDir, 0o777);
    expect(() => reportSignerForArchive(archive(), keyDir)).toThrow(
      /refusing the signing key folder .*: it is writable by group and others/,
    );
  });

  it('takes the fingerprint from the private key, not from a .pub file someone replaced', () => {
    const first = reportSignerForArchive(archive(), keyDir);
    chmodSync(first.publicKeyPath, 0o644);
    writeFileSync(first.publicKeyPath, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    expect(reportSignerForArchive(archive(), keyDir).reportSigner.fingerprint).toBe(first.reportSigner.fingerprint);
  });
});
