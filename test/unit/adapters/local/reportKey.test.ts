/** The local report-signing key gets the manifest key's checks: a planted or exposed key is refused, the .pub file beside it is never trusted. */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportKeyPaths, reportSignerForArchive } from '../../../../lambdas/adapters/local/reportKey.ts';

const posix = process.platform !== 'win32';
let keyDir: string;
const archive = path.join(os.tmpdir(), 'report-key-archive');
beforeEach(() => {
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'report-keys-'));
  chmodSync(keyDir, 0o700);
});
afterEach(() => rmSync(keyDir, { recursive: true, force: true }));

describe('local report-signing key', () => {
  it.runIf(posix)('refuses a private report key that group or others can read (planted or exposed)', () => {
    reportSignerForArchive(archive, keyDir);
    chmodSync(reportKeyPaths(archive, keyDir).privateKey, 0o644);
    expect(() => reportSignerForArchive(archive, keyDir)).toThrow(
      /refusing the private key .*\.report\.key\.pem: group or others may read or change it/,
    );
  });

  it.runIf(posix)('refuses a key folder others can write', () => {
    reportSignerForArchive(archive, keyDir);
    chmodSync(keyDir, 0o777);
    expect(() => reportSignerForArchive(archive, keyDir)).toThrow(/refusing the signing key folder .*: it is writable by group and others/);
  });

  it('takes the fingerprint from the private key, not from a .pub file someone replaced', () => {
    const first = reportSignerForArchive(archive, keyDir);
    writeFileSync(
      reportKeyPaths(archive, keyDir).publicKey,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    expect(reportSignerForArchive(archive, keyDir).reportSigner.fingerprint).toBe(first.reportSigner.fingerprint);
  });
});
