/**
 * Head receipts and what they make visible: a deleted tail (manifests, signatures, parts —
 * everything a folder writer without the key can remove) verifies as a shorter valid chain on
 * its own; against a receipt kept outside the archive, or a maximum head age, it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../../../../lambdas/adapters/local/Ed25519Signer.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { manifestKey } from '../../../../lambdas/core/archive/keys.ts';
import { type Manifest, serializeManifest, sha256Hex } from '../../../../lambdas/core/archive/manifest.ts';
import { formatReceipt, parseReceipt, signedHeadReceipt } from '../../../../lambdas/core/signing/receipts.ts';
import { signatureKey } from '../../../../lambdas/core/signing/signatures.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';

let sim: RunningSimulator;
let keyDir: string;
let keys: ReturnType<typeof Ed25519Signer.forArchive>;
const pristine = new MemoryObjectStore();
const UNTIL = T0 + 4 * DAY;

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + 3600 });
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'receipt-keys-'));
  keys = Ed25519Signer.forArchive(path.join(os.tmpdir(), 'archive-receipts'), keyDir);
  await runCollector(sim, pristine, { since: T0, until: UNTIL, windowSeconds: DAY / 2, signer: keys.signer });
});
afterAll(async () => {
  await sim.close();
  rmSync(keyDir, { recursive: true, force: true });
});

function copy(): MemoryObjectStore {
  const store = new MemoryObjectStore();
  for (const [k, v] of pristine.objects) store.objects.set(k, Buffer.from(v));
  return store;
}
const headSeq = (store: MemoryObjectStore) => store.keys('manifests/').length - 1;
const manifestAt = (store: MemoryObjectStore, seq: number) =>
  JSON.parse(store.objects.get(manifestKey('sim-acme', seq))!.toString()) as Manifest;

/** What a folder writer without the key can do: remove the newest manifests, their signatures, parts, indexes and rosters. */
function deleteTail(store: MemoryObjectStore, n: number): void {
  const last = headSeq(store);
  for (let seq = last - n + 1; seq <= last; seq++) {
    const m = manifestAt(store, seq);
    // Its part index and roster too: what the manifest names goes with it.
    for (const part of [...m.parts, ...m.quarantine, ...(m.index ? [m.index] : []), ...(m.roster ? [m.roster] : [])])
      store.tamper.delete(part.key);
    store.tamper.delete(manifestKey('sim-acme', seq));
    store.tamper.delete(signatureKey('sim-acme', seq));
  }
}

describe('head receipts', () => {
  it('formats and reads back both accepted forms, and names the flag on anything else', () => {
    const receipt = { workspaceId: 'sim-acme', seq: 8, sha256: 'ab'.repeat(32) };
    const line = formatReceipt(receipt);
    expect(line).toBe(`head receipt: workspace=sim-acme seq=8 sha256=${'ab'.repeat(32)}`);
    expect(parseReceipt(line)).toEqual(receipt);
    expect(parseReceipt(`sim-acme:8:${'ab'.repeat(32)}`)).toEqual(receipt);
    expect(() => parseReceipt('sim-acme:8:ABC')).toThrow(ConfigurationError);
    expect(() => parseReceipt(`sim-acme:8:${'AB'.repeat(32)}`)).toThrow(
      /--expect-head: .* is not a head receipt; give <workspace>:<seq>:<sha256>/,
    );
  });

  it('is the signed head: seq and the SHA-256 of its manifest', async () => {
    const receipt = (await signedHeadReceipt(pristine, 'sim-acme'))!;
    expect(receipt.seq).toBe(headSeq(pristine));
    expect(receipt.sha256).toBe(sha256Hex(pristine.objects.get(manifestKey('sim-acme', receipt.seq))!));
  });

  it('is not given for an unsigned head', async () => {
    const store = copy();
    store.tamper.delete(signatureKey('sim-acme', headSeq(store)));
    expect(await signedHeadReceipt(store, 'sim-acme')).toBeUndefined();
  });
});

describe('verify against head receipts and a maximum head age', () => {
  it('prints a receipt for a clean, signed chain — the same one collect gave', async () => {
    const result = await verifyArchive(pristine, { verifier: keys.verifier });
    expect(result.problems).toEqual([]);
    expect(result.receipts).toEqual([await signedHeadReceipt(pristine, 'sim-acme')]);
  });

  it('reproduces the attack: a deleted tail verifies as a shorter, valid chain without a receipt', async () => {
    const store = copy();
    deleteTail(store, 3);
    const result = await verifyArchive(store, { verifier: keys.verifier });
    expect(result.problems).toEqual([]);
    expect(result.workspaces[0]!.manifests).toBe(headSeq(pristine) + 1 - 3);
  });

  it.each([1, 3, 6])('fails with --expect-head when the newest %i manifests were deleted, and gives no receipt', async (n) => {
    const receipt = (await signedHeadReceipt(pristine, 'sim-acme'))!;
    const store = copy();
    deleteTail(store, n);
    const result = await verifyArchive(store, { verifier: keys.verifier, expectHeads: [receipt] });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'head-missing',
        key: manifestKey('sim-acme', receipt.seq),
        message: expect.stringMatching(new RegExp(`ends at seq ${receipt.seq - n}, but a head receipt says it reached seq ${receipt.seq}`)),
      }),
    ]);
    expect(result.receipts).toEqual([]);
  });

  it('accepts an older receipt on a chain that grew past it', async () => {
    const older = { workspaceId: 'sim-acme', seq: 2, sha256: sha256Hex(pristine.objects.get(manifestKey('sim-acme', 2))!) };
    const result = await verifyArchive(pristine, {
      verifier: keys.verifier,
      expectHeads: [older, (await signedHeadReceipt(pristine, 'sim-acme'))!],
    });
    expect(result.problems).toEqual([]);
  });

  it('fails when the manifest at the receipt seq has another SHA-256 (a chain rebuilt from there)', async () => {
    const receipt = { workspaceId: 'sim-acme', seq: 3, sha256: 'ff'.repeat(32) };
    const result = await verifyArchive(pristine, { verifier: keys.verifier, expectHeads: [receipt] });
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'head-mismatch',
        key: manifestKey('sim-acme', 3),
        message: expect.stringContaining(`the head receipt recorded ${'ff'.repeat(32)}`),
      }),
    ]);
  });

  it('fails for a receipt of a workspace the archive does not hold', async () => {
    const result = await verifyArchive(pristine, {
      verifier: keys.verifier,
      expectHeads: [{ workspaceId: 'other', seq: 0, sha256: '00'.repeat(32) }],
    });
    expect(result.problems.map((p) => p.code)).toEqual(['head-missing']);
    expect(result.problems[0]!.message).toMatch(/is not in this archive/);
  });

  it('catches a deleted tail with --max-head-age, without any receipt', async () => {
    const store = copy();
    deleteTail(store, 4); // two days of half-day windows
    const now = () => new Date((UNTIL + 3600) * 1000);
    expect((await verifyArchive(pristine, { verifier: keys.verifier, maxHeadAgeSeconds: DAY, now })).problems).toEqual([]);
    const result = await verifyArchive(store, { verifier: keys.verifier, maxHeadAgeSeconds: DAY, now });
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'head-stale',
        key: manifestKey('sim-acme', headSeq(store)),
        message: expect.stringMatching(/ends at .*, 2 d ago, more than the allowed 24 h: the tail was deleted, or the collector stopped/),
      }),
    ]);
    expect(result.receipts).toEqual([]);
  });

  it('fails --max-head-age when every manifest, signature and part was deleted (no chain left at all)', async () => {
    const store = copy();
    for (const key of [...store.objects.keys()]) store.objects.delete(key);
    const now = () => new Date((UNTIL + 3600) * 1000);
    const result = await verifyArchive(store, { verifier: keys.verifier, maxHeadAgeSeconds: DAY, now });
    expect(result.problems).toEqual([
      expect.objectContaining({ code: 'head-stale', key: 'manifests/', message: expect.stringMatching(/holds no manifest chain at all/) }),
    ]);
    expect((await verifyArchive(store, { verifier: keys.verifier, now })).problems).toEqual([]);
  });

  it('gives no receipt for a workspace with any problem', async () => {
    const store = copy();
    const m = manifestAt(store, 2);
    m.records += 1;
    store.tamper.set(manifestKey('sim-acme', 2), serializeManifest(m));
    const result = await verifyArchive(store, { verifier: keys.verifier });
    expect(result.ok).toBe(false);
    expect(result.receipts).toEqual([]);
  });
});
