import { createHash, generateKeyPairSync, sign as cryptoSign, constants } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetObjectAttributesCommand, GetObjectRetentionCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsSigner, kmsVerifier } from '../../lambdas/adapters/aws/KmsSigner.ts';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer, keyPaths } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { manifestKey } from '../../lambdas/core/archive/keys.ts';
import { type Manifest, serializeManifest, sha256Hex } from '../../lambdas/core/archive/manifest.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { signManifest, signatureKey } from '../../lambdas/core/signing/signatures.ts';
import { readManifest } from '../../lambdas/core/archive/chain.ts';
import { adoptUnsigned } from '../../lambdas/core/operator/operatorManifest.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';

let sim: RunningSimulator;
let keyDir: string;
beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'keys-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(keyDir, { recursive: true, force: true });
});

function localKeys(name: string) {
  return Ed25519Signer.forArchive(path.join(os.tmpdir(), `archive-${name}`), keyDir);
}

const manifestAt = (store: MemoryObjectStore, seq: number) =>
  JSON.parse(store.objects.get(manifestKey('sim-acme', seq))!.toString()) as Manifest;
const headSeq = (store: MemoryObjectStore) => store.keys('manifests/').length - 1;

describe('signed manifest chain (local Ed25519)', () => {
  it('signs every manifest and verifies them all with the public key', async () => {
    const { signer, verifier } = localKeys('roundtrip');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer });
    const result = await verifyArchive(store, { verifier });
    expect(result.problems).toEqual([]);
    expect(result.signaturesChecked).toBe(headSeq(store) + 1);
    expect(result.keyFingerprint).toBe(verifier.fingerprint);
    expect(result.workspaces[0]!.firstSignedSeq).toBe(0);
  });

  it('catches a forger who rewrites a part and every hash up the chain — which only the signatures can', async () => {
    const { signer, verifier } = localKeys('forger');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer });
    // Rewrite a part (drop its last line), then fix its manifest and re-chain every later one.
    const m1 = manifestAt(store, 1);
    const part = m1.parts[0]!;
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const lines = gunzipSync(store.objects.get(part.key)!).toString().trimEnd().split('\n');
    const forged = gzipSync(`${lines.slice(0, -1).join('\n')}\n`);
    store.tamper.set(part.key, forged);
    m1.parts[0] = { ...part, sha256: sha256Hex(forged), bytes: forged.length, records: part.records - 1 };
    m1.records -= 1;
    store.tamper.set(manifestKey('sim-acme', 1), serializeManifest(m1));
    for (let seq = 2; seq <= headSeq(store); seq++) {
      const m = manifestAt(store, seq);
      m.prev_sha256 = sha256Hex(store.objects.get(manifestKey('sim-acme', seq - 1))!);
      store.tamper.set(manifestKey('sim-acme', seq), serializeManifest(m));
    }
    // Hashes alone are now consistent...
    expect((await verifyArchive(store)).problems).toEqual([]);
    // ...but every rewritten manifest no longer matches what was signed.
    const problems = (await verifyArchive(store, { verifier })).problems.filter((p) => p.code === 'signature-invalid');
    expect(problems.map((p) => p.key)).toEqual(Array.from({ length: headSeq(store) }, (_, i) => signatureKey('sim-acme', i + 1)));
    expect(problems[0]!.message).toMatch(/the manifest was replaced after signing/);
  });

  it('rejects signatures made with another key, naming the fingerprint', async () => {
    const { signer } = localKeys('mallory');
    const { verifier } = localKeys('honest');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer });
    const problems = (await verifyArchive(store, { verifier })).problems;
    expect(problems.length).toBe(headSeq(store) + 1);
    expect(problems[0]!.message).toContain(`does not verify with key ${verifier.fingerprint}`);
  });

  it('reports a missing signature in the middle, and an unsigned head that the next run supersedes with a signed recovery manifest (never signs it)', async () => {
    const { signer, verifier } = localKeys('missing');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer });
    store.tamper.delete(signatureKey('sim-acme', 2));
    store.tamper.delete(signatureKey('sim-acme', headSeq(store)));
    const problems = (await verifyArchive(store, { verifier })).problems;
    expect(problems.filter((p) => p.code === 'signature-missing').map((p) => p.key)).toEqual([
      manifestKey('sim-acme', 2),
      manifestKey('sim-acme', headSeq(store)),
    ]);
    expect(problems.some((p) => p.code === 'signature-chain-broken' && p.key === signatureKey('sim-acme', 3))).toBe(true);
    // A later run does not sign the head it finds unsigned: it supersedes it and re-collects its range.
    const before = headSeq(store);
    const unsignedHead = manifestAt(store, before);
    const result = await runCollector(sim, store, { until: T0 + 2 * DAY + 3600, windowSeconds: DAY / 2, signer });
    expect(store.objects.has(signatureKey('sim-acme', before))).toBe(false);
    expect(result.superseded).toEqual([before]);
    const recovery = manifestAt(store, before + 1);
    expect(recovery).toMatchObject({
      kind: 'recovery',
      format: 'intercom-audit-archive/manifest/v2',
      from: unsignedHead.from,
      supersedes: [{ seq: before, sha256: sha256Hex(store.objects.get(manifestKey('sim-acme', before))!) }],
    });
    expect(store.objects.has(signatureKey('sim-acme', before + 1))).toBe(true);
    const after = await verifyArchive(store, { verifier });
    expect(after.problems.map((p) => p.key)).toEqual([manifestKey('sim-acme', 2), signatureKey('sim-acme', 3)]);
    expect(after.workspaces[0]!.superseded).toEqual([before]);
  });

  it('never starts signing over an archive collected without signing: keys adopt-unsigned does it, explicitly and on the record', async () => {
    const { signer, verifier } = localKeys('late-signing');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2 });
    const unsignedHead = headSeq(store);
    await expect(runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer })).rejects.toThrow(/keys adopt-unsigned/);
    expect(store.keys('signatures/')).toEqual([]);
    const adoption = await adoptUnsigned(store, signer, {
      workspaceId: 'sim-acme',
      reason: 'collected before signing was enabled; reviewed',
      operator: 'alice',
      runId: 'run-op',
      collectorVersion: '0.0.0-test',
    });
    expect(adoption.covered).toHaveLength(unsignedHead + 1);
    expect(manifestAt(store, unsignedHead + 1)).toMatchObject({
      kind: 'adoption',
      reason: 'collected before signing was enabled; reviewed',
      operator: 'alice',
      adopts: Array.from({ length: unsignedHead + 1 }, (_, seq) => ({ seq })),
    });
    await runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer });
    const result = await verifyArchive(store, { verifier });
    expect(result.problems).toEqual([]);
    expect(result.warnings.filter((w) => w.code !== 'superseded')).toEqual([]);
    expect(result.workspaces[0]!.firstSignedSeq).toBe(unsignedHead + 1);
  });

  it('still verifies a v1 archive whose signing began later, warning which manifests only a later signature covers', async () => {
    const { signer, verifier } = localKeys('v1-late');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2 });
    const unsignedHead = headSeq(store);
    // What the first version did: sign the head it found, then continue.
    await signManifest(store, signer, await readManifest(store, 'sim-acme', unsignedHead), undefined);
    await runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer });
    const result = await verifyArchive(store, { verifier });
    expect(result.ok).toBe(true);
    expect(result.workspaces[0]!.firstSignedSeq).toBe(unsignedHead);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'signed-late',
        message: expect.stringMatching(
          new RegExp(`manifests 0–${unsignedHead - 1} were written before signing began.*keys adopt-unsigned`),
        ),
      }),
    ]);
  });

  it('says "unsigned: hash chain only" for a chain collected without a signer', async () => {
    const { verifier } = localKeys('never-signed');
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2 });
    const result = await verifyArchive(store, { verifier });
    expect(result.ok).toBe(true);
    expect(result.workspaces[0]!.signing).toBe('unsigned: hash chain only');
    expect(result.warnings.map((w) => w.code)).toEqual(['unsigned-chain']);
  });

  it('keeps the key pair outside the archive, and refuses a key folder inside it', () => {
    const archive = path.join(os.tmpdir(), 'archive-x');
    expect(keyPaths(archive, keyDir).privateKey.startsWith(keyDir)).toBe(true);
    expect(() => keyPaths(archive, path.join(archive, 'keys'))).toThrow(ConfigurationError);
    expect(() => keyPaths(archive, path.join(archive, 'keys'))).toThrow(/inside the archive/);
  });
});

describe('signed manifest chain (KMS)', () => {
  const kms = mockClient(KMSClient);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });

  beforeAll(() => {
    kms.on(SignCommand).callsFake((input) => {
      // KMS signs the digest it is sent (MessageType DIGEST) with RSASSA-PSS SHA-256.
      const signature = cryptoSign(null, Buffer.from(input.Message as Uint8Array), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
      return { Signature: signature, KeyId: input.KeyId, SigningAlgorithm: 'RSASSA_PSS_SHA_256' };
    });
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc', PublicKey: publicKey.export({ type: 'spki', format: 'der' }) });
  });

  it('signs the SHA-256 digest with RSASSA-PSS and verifies with the key KMS publishes', async () => {
    const client = new KMSClient({ region: 'eu-west-1' });
    const signer = new KmsSigner(client, 'alias/manifest-signing');
    const message = Buffer.from('hello');
    await signer.sign(message);
    const input = kms.commandCalls(SignCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: 'alias/manifest-signing', MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_256' });
    expect(Buffer.from(input.Message as Uint8Array)).toEqual(createHash('sha256').update(message).digest());
    const verifier = await kmsVerifier(client, 'alias/manifest-signing');
    expect(verifier.algorithm).toBe('RSASSA_PSS_SHA_256');
    expect(verifier.fingerprint).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
  });

  it("gives the KMS key's public key and fingerprint for signature format v2, fetched once", async () => {
    const signer = new KmsSigner(new KMSClient({ region: 'eu-west-1' }), 'alias/manifest-signing');
    const before = kms.commandCalls(GetPublicKeyCommand).length;
    const key = await signer.publicKey();
    await signer.publicKey();
    expect(key.fingerprint).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
    expect(key.pem).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect(kms.commandCalls(GetPublicKeyCommand).length - before).toBe(1);
  });

  it('verifies a chain signed through KMS, and catches a forged manifest', async () => {
    const client = new KMSClient({ region: 'eu-west-1' });
    // A DIGEST signature checks out against the message with the public key's sha256 verify.
    const signer = {
      keyId: 'k',
      algorithm: 'RSASSA_PSS_SHA_256' as const,
      sign: async (m: Buffer) => cryptoSign('sha256', m, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
      publicKey: async () => ({
        pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        fingerprint: createHash('sha256')
          .update(publicKey.export({ type: 'spki', format: 'der' }))
          .digest('hex'),
      }),
    };
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer });
    const verifier = await kmsVerifier(client, 'k');
    expect((await verifyArchive(store, { verifier })).problems).toEqual([]);
    const m = manifestAt(store, 1);
    m.records += 1;
    store.tamper.set(manifestKey('sim-acme', 1), serializeManifest(m));
    expect((await verifyArchive(store, { verifier })).problems.map((p) => p.code)).toEqual(
      expect.arrayContaining(['chain-broken', 'signature-invalid']),
    );
  });

  it('reads a PEM public key from a file for verify --public-key', () => {
    const verifier = PublicKeyVerifier.fromPem(publicKey.export({ type: 'spki', format: 'pem' }));
    expect(verifier.algorithm).toBe('RSASSA_PSS_SHA_256');
    expect(() => PublicKeyVerifier.fromPem('not a key')).toThrow(/--public-key: not a PEM public key/);
  });
});

describe('verify against S3 Object Lock state', () => {
  async function archiveInS3() {
    const s3 = fakeS3();
    const store = new S3ObjectStore(s3.client, { bucket: 'b' });
    const { signer, verifier } = localKeys('s3');
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer });
    return { s3, store, verifier };
  }
  const written = new Date('2026-01-01T00:00:00Z');
  const years = (n: number, days = 0) => new Date(Date.UTC(2026 + n, 0, 1) + days * 86_400_000);

  function lockState(
    s3: ReturnType<typeof fakeS3>,
    override: (key: string) => { mode?: string; until?: Date; checksum?: string } | 'none' | undefined,
  ) {
    s3.mock.on(GetObjectRetentionCommand).callsFake((input) => {
      const o = override(input.Key as string);
      if (o === 'none') throw Object.assign(new Error('NoSuchObjectLockConfiguration'), { name: 'NoSuchObjectLockConfiguration' });
      return { Retention: { Mode: o?.mode ?? 'COMPLIANCE', RetainUntilDate: o?.until ?? years(7) } };
    });
    s3.mock.on(GetObjectAttributesCommand).callsFake((input) => {
      const o = override(input.Key as string);
      const stored = s3.objects.get(`${input.Bucket}/${input.Key}`)!;
      return {
        LastModified: written,
        ObjectSize: stored.body.length,
        Checksum: { ChecksumSHA256: o !== 'none' && o?.checksum ? o.checksum : stored.checksum },
      };
    });
  }

  it('passes when every object is locked in COMPLIANCE mode for the promised years, with matching checksums', async () => {
    const { s3, store, verifier } = await archiveInS3();
    lockState(s3, () => undefined);
    const result = await verifyArchive(store, { verifier, lock: { mode: 'COMPLIANCE', years: 7 } });
    expect(result.problems).toEqual([]);
    expect(result.lockChecked).toBeGreaterThan(5);
  });

  it.each([
    [
      'GOVERNANCE mode where COMPLIANCE was promised',
      'lock-mode',
      { mode: 'GOVERNANCE' },
      /locked in GOVERNANCE mode, but COMPLIANCE was promised/,
    ],
    ['a lock that ends early', 'retention-short', { until: years(1) }, /only 365 days after it was written/],
    ['no lock at all', 'not-locked', 'none', /is not under Object Lock/],
    [
      'a stored checksum that differs',
      'checksum-mismatch',
      { checksum: Buffer.alloc(32, 9).toString('base64') },
      /the store's own SHA-256 is/,
    ],
  ] as const)('names an object with %s', async (_name, code, state, message) => {
    const { s3, store, verifier } = await archiveInS3();
    let victim = '';
    for await (const o of store.list('activity_logs/')) {
      victim = o.key;
      break;
    }
    lockState(s3, (key) => (key === victim ? state : undefined));
    const problems = (await verifyArchive(store, { verifier, lock: { mode: 'COMPLIANCE', years: 7 } })).problems;
    expect(problems).toEqual([expect.objectContaining({ code, key: victim, message: expect.stringMatching(message) })]);
  });
});
