/**
 * verify on a folder as an assessor receives it: a copy without lock records (aws s3 sync, a
 * download) verifies in full with one "not checked" note; an S3 archive's copy verifies offline
 * with the KMS key's PEM public key; symlinks are problems and a loop never aborts verify.
 * Against S3, verify also lists object versions.
 */
import { constants, createHash, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { manifestKey } from '../../lambdas/core/archive/keys.ts';
import type { ManifestSigner } from '../../lambdas/core/ports.ts';
import { signatureKey } from '../../lambdas/core/signing/signatures.ts';
import { NO_INDEX_NOTE, NO_LOCK_RECORDS_NOTE, verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';

let sim: RunningSimulator;
let tmp: string;
let original: string;
let keys: ReturnType<typeof Ed25519Signer.forArchive>;
const lock = { mode: 'COMPLIANCE', years: 7 } as const;

beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'copies-'));
  original = path.join(tmp, 'original');
  keys = Ed25519Signer.forArchive(original, path.join(tmp, 'keys'));
  await runCollector(sim, new LocalObjectStore(original), { since: T0, until: T0 + 3 * DAY, windowSeconds: DAY / 2, signer: keys.signer });
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** What `aws s3 sync` or an assessor's download gives: the archive's areas, no lock records. */
async function copyOf(name: string, from = original): Promise<string> {
  const to = path.join(tmp, name);
  for (const area of ['activity_logs', 'quarantine', 'manifests', 'signatures']) {
    await fs.cp(path.join(from, area), path.join(to, area), { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  return to;
}

describe('verify of a copy', () => {
  it('reproduces the old failure on the original: every object is checked for its lock record', async () => {
    const result = await verifyArchive(new LocalObjectStore(original), { verifier: keys.verifier, lock });
    expect(result.problems).toEqual([]);
    expect(result.lockState).toBe('checked');
    expect(result.lockChecked).toBeGreaterThan(10);
  });

  it('verifies a copied folder in full, noting once that its locks were not checked', async () => {
    const store = new LocalObjectStore(await copyOf('copy'));
    const result = await verifyArchive(store, { verifier: keys.verifier, lock });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.notes).toEqual([NO_LOCK_RECORDS_NOTE, NO_INDEX_NOTE]);
    expect(NO_LOCK_RECORDS_NOTE).toContain('not checked: this folder has no lock records (a copy?)');
    expect(result.lockState).toBe('not-checked');
    expect(result.objectsChecked).toBe((await verifyArchive(new LocalObjectStore(original))).objectsChecked);
    expect(result.receipts).toHaveLength(1);
  });

  it('fails a copy with --require-locks, in one problem', async () => {
    const store = new LocalObjectStore(await copyOf('copy-required'));
    const result = await verifyArchive(store, { verifier: keys.verifier, lock, requireLocks: true });
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'lock-records-missing',
        key: '.object-lock/',
        message: expect.stringMatching(/has no Object Lock records at all \(a copy\?\), and --require-locks was given/),
      }),
    ]);
  });

  it('still finds tampering in a copy', async () => {
    const dir = await copyOf('copy-tampered');
    const manifests = await fs.readdir(path.join(dir, 'manifests/workspace=sim-acme'));
    await fs.rm(path.join(dir, 'manifests/workspace=sim-acme', manifests[2]!));
    const result = await verifyArchive(new LocalObjectStore(dir), { verifier: keys.verifier, lock });
    expect(result.problems.map((p) => p.code)).toContain('manifest-missing');
    expect(result.receipts).toEqual([]);
  });

  it("verifies an S3 archive's downloaded copy offline with the KMS key's PEM public key (RSASSA-PSS SHA-256, RSA-3072)", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    // What KMS does for the collector: RSASSA-PSS over the SHA-256 digest, salt as long as the digest.
    const kms: ManifestSigner = {
      keyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      algorithm: 'RSASSA_PSS_SHA_256',
      sign: async (m) => cryptoSign('sha256', m, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
      publicKey: async () => ({
        pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        fingerprint: createHash('sha256').update(der).digest('hex'),
      }),
    };
    const s3 = fakeS3();
    const bucket = new S3ObjectStore(s3.client, { bucket: 'archive', prefix: 'intercom' });
    await runCollector(sim, bucket, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: kms });
    // The assessor's download: every object under the prefix, as files.
    const dir = path.join(tmp, 's3-download');
    for (const [key, object] of s3.objects) {
      const file = path.join(dir, key.replace(/^archive\/intercom\//, ''));
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, object.body);
    }
    const pem = path.join(tmp, 'kms-public.pem');
    await fs.writeFile(pem, publicKey.export({ type: 'spki', format: 'pem' }));
    const verifier = PublicKeyVerifier.fromPem(await fs.readFile(pem));
    expect(verifier.algorithm).toBe('RSASSA_PSS_SHA_256');
    const result = await verifyArchive(new LocalObjectStore(dir), { verifier, lock });
    expect(result.problems).toEqual([]);
    expect(result.signaturesChecked).toBeGreaterThan(3);
    expect(result.notes).toEqual([NO_LOCK_RECORDS_NOTE]);
    expect(result.keyFingerprint).toBe(createHash('sha256').update(der).digest('hex'));
    // And a forged signature in the copy is caught offline.
    const victim = path.join(dir, signatureKey('sim-acme', 1));
    const record = JSON.parse(await fs.readFile(victim, 'utf8'));
    record.signature = Buffer.alloc(384, 7).toString('base64');
    await fs.writeFile(victim, JSON.stringify(record));
    expect((await verifyArchive(new LocalObjectStore(dir), { verifier, lock })).problems.map((p) => [p.code, p.key])).toEqual([
      ['signature-invalid', signatureKey('sim-acme', 1)],
      ['signature-chain-broken', signatureKey('sim-acme', 2)], // it chains to the signature that was replaced
    ]);
  });
});

describe('verify and symbolic links', () => {
  it('reports a symlinked part and a symlinked manifest (pointing at their real copies outside) as problems, not OK', async () => {
    const dir = await copyOf('symlinked');
    const outside = path.join(tmp, 'outside');
    const store = new LocalObjectStore(dir);
    let part = '';
    for await (const o of store.list('activity_logs/')) part ||= o.key;
    const manifest = manifestKey('sim-acme', 3);
    for (const key of [part, manifest]) {
      await fs.mkdir(path.dirname(path.join(outside, key)), { recursive: true });
      await fs.rename(path.join(dir, key), path.join(outside, key));
      await fs.symlink(path.join(outside, key), path.join(dir, key));
    }
    const result = await verifyArchive(store, { verifier: keys.verifier, lock });
    expect(result.ok).toBe(false);
    const symlinks = result.problems.filter((p) => p.code === 'symlink').map((p) => p.key);
    expect(symlinks).toEqual([part, manifest].sort());
    expect(result.problems.find((p) => p.code === 'symlink')!.message).toMatch(
      /is a symbolic link inside the archive: it is never followed/,
    );
    expect(result.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['part-missing', 'manifest-missing']));
  });

  it('reports a symlink loop and a symlinked folder, and never aborts', async () => {
    const dir = await copyOf('looped');
    const ws = path.join(dir, 'activity_logs/workspace=sim-acme');
    await fs.symlink(path.join(ws, 'loop-a'), path.join(ws, 'loop-b'));
    await fs.symlink(path.join(ws, 'loop-b'), path.join(ws, 'loop-a'));
    await fs.symlink(path.join(dir, 'signatures'), path.join(dir, 'signatures/workspace=sim-acme/self'));
    const result = await verifyArchive(new LocalObjectStore(dir), { verifier: keys.verifier, lock });
    expect(result.problems.filter((p) => p.code === 'symlink').map((p) => p.key)).toEqual([
      'activity_logs/workspace=sim-acme/loop-a',
      'activity_logs/workspace=sim-acme/loop-b',
      'signatures/workspace=sim-acme/self',
    ]);
  });
});

describe('verify against S3 object versions', () => {
  it('reports delete markers and non-current versions under the archive prefixes', async () => {
    const s3 = fakeS3();
    const store = new S3ObjectStore(s3.client, { bucket: 'b' });
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: keys.signer });
    const live = [...s3.objects.keys()].map((k) => k.slice(2)).sort();
    const part = live.find((k) => k.startsWith('activity_logs/'))!;
    s3.mock.on(ListObjectVersionsCommand).callsFake((input) => {
      const prefix = String(input.Prefix ?? '');
      const versions = live
        .filter((k) => k.startsWith(prefix))
        .map((k) => ({ Key: k, VersionId: `v-${k.length}`, IsLatest: true, Size: 1 }));
      const extra = prefix === 'activity_logs/' ? [{ Key: part, VersionId: 'old-1', IsLatest: false, Size: 5 }] : [];
      const markers =
        prefix === 'manifests/' ? [{ Key: 'manifests/workspace=sim-acme/000000000009.json', VersionId: 'dm-1', IsLatest: true }] : [];
      // Two pages: the adapter follows the markers.
      if (!input.KeyMarker)
        return { Versions: versions.slice(0, 1), IsTruncated: versions.length > 1, NextKeyMarker: 'k', NextVersionIdMarker: 'v' };
      return { Versions: [...versions.slice(1), ...extra], DeleteMarkers: markers, IsTruncated: false };
    });
    const result = await verifyArchive(store, { verifier: keys.verifier, checkVersions: true });
    expect(result.problems.map((p) => [p.code, p.key])).toEqual(
      [
        ['noncurrent-version', part],
        ['delete-marker', 'manifests/workspace=sim-acme/000000000009.json'],
      ].sort((a, b) => (a[1]! < b[1]! ? -1 : 1)),
    );
    expect(result.versionsChecked).toBe(live.length + 2);
    expect(s3.mock.commandCalls(ListObjectVersionsCommand).length).toBeGreaterThanOrEqual(5);
  });
});
