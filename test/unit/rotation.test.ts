/**
 * One key per chain: signature format v2 names the key's fingerprint, the collector refuses a
 * different key, and the only way to change keys is a rotation record signed by both keys,
 * which verify follows. v1 chains (key id only) keep verifying and can be continued.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { manifestKey } from '../../lambdas/core/archive/keys.ts';
import { sha256Hex } from '../../lambdas/core/archive/manifest.ts';
import { KeyMismatchError, chainKey } from '../../lambdas/core/signing/chainKey.ts';
import { ROTATION_FORMAT, type RotationRecord, rotateKey, rotationKey, rotationMessage } from '../../lambdas/core/signing/rotation.ts';
import {
  SIGNATURE_FORMAT,
  SIGNATURE_FORMAT_V1,
  type SignatureRecord,
  canonicalMessage,
  signatureKey,
} from '../../lambdas/core/signing/signatures.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';

let sim: RunningSimulator;
let keyDir: string;
beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'rotation-keys-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(keyDir, { recursive: true, force: true });
});

const newKey = () => Ed25519Signer.generate(path.join(os.tmpdir(), 'archive-rotation'), keyDir);
const fromPem = (pem: string) => PublicKeyVerifier.fromPem(pem);
const headSeq = (store: MemoryObjectStore) => store.keys('manifests/').length - 1;
const record = (store: MemoryObjectStore, seq: number) =>
  JSON.parse(store.objects.get(signatureKey('sim-acme', seq))!.toString()) as SignatureRecord;

/** Rewrites every signature as the previous version wrote it (format v1: key id only, no fingerprint in the signed bytes). */
async function asV1(store: MemoryObjectStore, signer: Ed25519Signer): Promise<void> {
  let previous: { seq: number; signature: string } | undefined;
  for (let seq = 0; seq <= headSeq(store); seq++) {
    const r = record(store, seq);
    const base = {
      workspace_id: r.workspace_id,
      seq,
      manifest_sha256: r.manifest_sha256,
      prev_signature: previous?.signature ?? null,
      prev_signed_seq: previous?.seq ?? null,
    };
    const signature = (await signer.sign(canonicalMessage(base))).toString('base64');
    const v1 = { format: SIGNATURE_FORMAT_V1, ...base, key_id: signer.keyId, algorithm: 'ED25519', signature, signed_at: r.signed_at };
    store.tamper.set(signatureKey('sim-acme', seq), Buffer.from(JSON.stringify(v1)));
    previous = { seq, signature };
  }
}

describe('signature format v2', () => {
  it('records the key fingerprint (SHA-256 of the DER SubjectPublicKeyInfo) and signs it', async () => {
    const key = newKey();
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: key.signer });
    const r = record(store, 1);
    expect(r.format).toBe(SIGNATURE_FORMAT);
    expect(r).toMatchObject({ key_fingerprint: key.verifier.fingerprint });
    expect(canonicalMessage(r).toString()).toContain(`key_fingerprint=${key.verifier.fingerprint}\n`);
    // A record whose fingerprint was swapped no longer verifies, even with the right key.
    store.tamper.set(signatureKey('sim-acme', 1), Buffer.from(JSON.stringify({ ...r, key_fingerprint: 'ab'.repeat(32) })));
    expect((await verifyArchive(store, { verifier: key.verifier })).problems.map((p) => [p.code, p.key])).toEqual([
      ['signature-invalid', signatureKey('sim-acme', 1)],
    ]);
  });

  it('keeps verifying a v1 chain, and continues it with the same key in v2', async () => {
    const key = newKey();
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: key.signer });
    await asV1(store, key.signer);
    expect(record(store, 0).format).toBe(SIGNATURE_FORMAT_V1);
    expect((await verifyArchive(store, { verifier: key.verifier })).problems).toEqual([]);
    expect(await chainKey(store, 'sim-acme')).toMatchObject({ keyId: key.signer.keyId });
    expect((await chainKey(store, 'sim-acme'))!.fingerprint).toBeUndefined();
    await runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: key.signer });
    expect(record(store, headSeq(store)).format).toBe(SIGNATURE_FORMAT);
    expect((await verifyArchive(store, { verifier: key.verifier })).problems).toEqual([]);
  });
});

describe("collect refuses a key that is not the chain's", () => {
  it.each(['v2', 'v1'])('on a %s chain, naming both fingerprints and the deliberate way', async (format) => {
    const key = newKey();
    const other = newKey();
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: key.signer });
    if (format === 'v1') await asV1(store, key.signer);
    const before = store.keys();
    const attempt = runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: other.signer });
    await expect(attempt).rejects.toThrow(KeyMismatchError);
    await expect(runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: other.signer })).rejects.toThrow(
      new RegExp(
        `refusing to sign workspace sim-acme's chain with key ${other.verifier.fingerprint}: the chain is signed with key ${format === 'v2' ? key.verifier.fingerprint : key.signer.keyId}.*audit-archive keys rotate`,
      ),
    );
    expect(store.keys()).toEqual(before); // nothing written
  });
});

describe('key rotation records', () => {
  async function rotated() {
    const oldKey = newKey();
    const next = newKey();
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: oldKey.signer });
    const head = headSeq(store);
    const rotation = await rotateKey(store, 'sim-acme', oldKey.signer, next.signer, new Date('2026-01-01T00:00:00Z'));
    await runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: next.signer });
    return { store, oldKey, next, head, rotation };
  }

  it('writes keys/workspace=<id>/<12-digit first seq>.json with both fingerprints, signed by both keys', async () => {
    const { store, oldKey, next, head, rotation } = await rotated();
    expect(store.objects.has(rotationKey('sim-acme', head + 1))).toBe(true);
    expect(rotationKey('sim-acme', head + 1)).toMatch(/^keys\/workspace=sim-acme\/\d{12}\.json$/);
    expect(rotation).toMatchObject({
      format: ROTATION_FORMAT,
      first_seq: head + 1,
      head_seq: head,
      old_key: { fingerprint: oldKey.verifier.fingerprint },
      new_key: { fingerprint: next.verifier.fingerprint },
    });
    expect(await oldKey.verifier.verify(rotationMessage(rotation), Buffer.from(rotation.old_signature, 'base64'))).toBe(true);
    expect(await next.verifier.verify(rotationMessage(rotation), Buffer.from(rotation.new_signature, 'base64'))).toBe(true);
    expect(record(store, head + 1).key_id).toBe(next.signer.keyId);
  });

  it('is followed by verify, from the old key forward and from the new key back', async () => {
    const { store, oldKey, next } = await rotated();
    expect((await verifyArchive(store, { verifier: oldKey.verifier, publicKeyFromPem: fromPem })).problems).toEqual([]);
    expect((await verifyArchive(store, { verifier: next.verifier, publicKeyFromPem: fromPem })).problems).toEqual([]);
    const stranger = PublicKeyVerifier.fromPem(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    expect((await verifyArchive(store, { verifier: stranger, publicKeyFromPem: fromPem })).ok).toBe(false);
  });

  it('makes the next collect take the new key and refuse the old one', async () => {
    const { store, oldKey, next } = await rotated();
    expect((await chainKey(store, 'sim-acme'))!.fingerprint).toBe(next.verifier.fingerprint);
    await expect(runCollector(sim, store, { until: T0 + 3 * DAY, windowSeconds: DAY / 2, signer: oldKey.signer })).rejects.toThrow(
      KeyMismatchError,
    );
  });

  it('refuses to rotate twice at the same seq, and to rotate to the same key', async () => {
    const { store, next } = await rotated();
    const third = newKey();
    await rotateKey(store, 'sim-acme', next.signer, third.signer);
    await expect(rotateKey(store, 'sim-acme', third.signer, newKey().signer)).rejects.toThrow(
      /already recorded at keys\/workspace=sim-acme\/.*collect once with the new key before rotating again/,
    );
    await expect(rotateKey(store, 'sim-acme', third.signer, third.signer)).rejects.toThrow(/nothing to rotate/);
  });

  it('catches a folder writer who plants a rotation to a key of their own and signs on with it', async () => {
    const oldKey = newKey();
    const mallory = newKey();
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: oldKey.signer });
    const head = headSeq(store);
    // Without the old key, the old signature can only be faked.
    const base = {
      workspace_id: 'sim-acme',
      first_seq: head + 1,
      head_seq: head,
      head_sha256: sha256Hex(store.objects.get(manifestKey('sim-acme', head))!),
      old_key: {
        fingerprint: oldKey.verifier.fingerprint,
        key_id: oldKey.signer.keyId,
        algorithm: 'ED25519' as const,
        public_key_pem: oldKey.verifier.pem,
      },
      new_key: {
        fingerprint: mallory.verifier.fingerprint,
        key_id: mallory.signer.keyId,
        algorithm: 'ED25519' as const,
        public_key_pem: mallory.verifier.pem,
      },
    };
    const forged: RotationRecord = {
      format: ROTATION_FORMAT,
      ...base,
      rotated_at: 'x',
      old_signature: (await mallory.signer.sign(rotationMessage(base))).toString('base64'),
      new_signature: (await mallory.signer.sign(rotationMessage(base))).toString('base64'),
    };
    store.tamper.set(rotationKey('sim-acme', head + 1), Buffer.from(JSON.stringify(forged)));
    // The collector checks both signatures before it follows a rotation record: it signs on with
    // neither mallory's key nor (as before) asks the operator to "restore" a key that never existed.
    const planted = new RegExp(
      `${rotationKey('sim-acme', head + 1)} claims to hand workspace sim-acme's chain to key ${mallory.verifier.fingerprint}, but it is not signed by both the chain's key \\(${oldKey.verifier.fingerprint}.*it was planted or altered, and the collector does not follow it`,
    );
    await expect(runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: mallory.signer })).rejects.toThrow(
      planted,
    );
    await expect(runCollector(sim, store, { until: T0 + 2 * DAY, windowSeconds: DAY / 2, signer: oldKey.signer })).rejects.toThrow(planted);
    expect(store.objects.has(signatureKey('sim-acme', head + 1))).toBe(false);
    const problems = (await verifyArchive(store, { verifier: oldKey.verifier, publicKeyFromPem: fromPem })).problems;
    expect(problems.find((p) => p.code === 'rotation-invalid')).toMatchObject({
      key: rotationKey('sim-acme', head + 1),
      message: expect.stringMatching(/is not signed by both keys \(old key .* does not verify\)/),
    });
  });

  it('does not follow a planted rotation record whose old-key signature is by the new key (the CLI attack: chain key unchanged, clear error)', async () => {
    const oldKey = newKey();
    const mallory = newKey();
    const store = new MemoryObjectStore();
    await runCollector(sim, store, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: oldKey.signer });
    const head = headSeq(store);
    const base = {
      workspace_id: 'sim-acme',
      first_seq: head + 1,
      head_seq: head,
      head_sha256: sha256Hex(store.objects.get(manifestKey('sim-acme', head))!),
      old_key: {
        fingerprint: oldKey.verifier.fingerprint,
        key_id: oldKey.signer.keyId,
        algorithm: 'ED25519' as const,
        public_key_pem: mallory.verifier.pem,
      },
      new_key: {
        fingerprint: mallory.verifier.fingerprint,
        key_id: mallory.signer.keyId,
        algorithm: 'ED25519' as const,
        public_key_pem: mallory.verifier.pem,
      },
    };
    // The old key's PEM swapped for mallory's: the signature verifies with that PEM, but its fingerprint is not the old key's.
    const sig = (await mallory.signer.sign(rotationMessage(base))).toString('base64');
    store.tamper.set(
      rotationKey('sim-acme', head + 1),
      Buffer.from(JSON.stringify({ format: ROTATION_FORMAT, ...base, rotated_at: 'x', old_signature: sig, new_signature: sig })),
    );
    await expect(chainKey(store, 'sim-acme')).rejects.toThrow(/is not signed by both the chain's key/);
  });

  it('verifies a rotated chain without a key (hashes only) and names a garbled rotation record to the collector', async () => {
    const { store } = await rotated();
    expect((await verifyArchive(store)).problems).toEqual([]);
    // Garbled between the rotation and the first run with the new key: the collector cannot know its key.
    const oldKey = newKey();
    const next = newKey();
    const fresh = new MemoryObjectStore();
    await runCollector(sim, fresh, { since: T0, until: T0 + DAY, windowSeconds: DAY / 2, signer: oldKey.signer });
    const rotation = await rotateKey(fresh, 'sim-acme', oldKey.signer, next.signer);
    fresh.tamper.set(rotationKey('sim-acme', rotation.first_seq), Buffer.from('{"format":"nonsense"}'));
    await expect(runCollector(sim, fresh, { until: T0 + 3 * DAY, windowSeconds: DAY / 2, signer: next.signer })).rejects.toThrow(
      /is not a valid key rotation record, so the chain's key is unknown/,
    );
  });

  it("fails the chain after a rotation record is deleted (the new key's signatures are no longer vouched for)", async () => {
    const { store, oldKey, head } = await rotated();
    store.tamper.delete(rotationKey('sim-acme', head + 1));
    const problems = (await verifyArchive(store, { verifier: oldKey.verifier, publicKeyFromPem: fromPem })).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.code === 'signature-invalid')).toBe(true);
    expect(problems[0]!.message).toMatch(
      /it names key [0-9a-f]{64} \(forged, or made with another key; a key changes only through a rotation record\)/,
    );
  });
});
