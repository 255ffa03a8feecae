/**
 * `verify --from-receipt`: an earlier verified head is trusted and only what came after it is
 * checked — but only while the archive agrees with the receipt. A forged receipt, a receipt that
 * does not match, or a tampered tail must still fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../../../../lambdas/adapters/local/Ed25519Signer.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { dataKey, manifestKey, utcDate } from '../../../../lambdas/core/archive/keys.ts';
import { type Manifest, serializeManifest, sha256Hex } from '../../../../lambdas/core/archive/manifest.ts';
import type { HeadReceipt } from '../../../../lambdas/core/signing/receipts.ts';
import { signatureKey } from '../../../../lambdas/core/signing/signatures.ts';
import { type VerifyOptions, verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';

const WS = 'sim-acme';
let sim: RunningSimulator;
let keyDir: string;
let keys: ReturnType<typeof Ed25519Signer.forArchive>;
let receipt: HeadReceipt;
const pristine = new MemoryObjectStore();
const FIRST = T0 + 3 * DAY;
const UNTIL = T0 + 5 * DAY;

beforeAll(async () => {
  let now = FIRST + 3600;
  sim = await startSimulator({ now: () => now });
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'incremental-keys-'));
  keys = Ed25519Signer.forArchive(path.join(os.tmpdir(), 'archive-incremental'), keyDir);
  await runCollector(sim, pristine, { since: T0, until: FIRST, windowSeconds: DAY / 2, signer: keys.signer });
  const first = await verifyArchive(pristine, { verifier: keys.verifier });
  receipt = first.receipts[0]!;
  now = UNTIL + 3600;
  sim.setNow(() => now);
  await runCollector(sim, pristine, { until: UNTIL, windowSeconds: DAY / 2, signer: keys.signer });
});
afterAll(async () => {
  await sim.close();
  rmSync(keyDir, { recursive: true, force: true });
});

/** A copy of the archive that records every key read. */
function copy(): MemoryObjectStore & { reads: string[] } {
  const store = Object.assign(new MemoryObjectStore(), { reads: [] as string[] });
  for (const [k, v] of pristine.objects) store.objects.set(k, Buffer.from(v));
  const get = store.get.bind(store);
  store.get = async (key: string) => {
    store.reads.push(key);
    return get(key);
  };
  return store;
}
const headSeq = (store: MemoryObjectStore) => store.keys(`manifests/workspace=${WS}/`).length - 1;
const manifestAt = (store: MemoryObjectStore, seq: number) => JSON.parse(store.objects.get(manifestKey(WS, seq))!.toString()) as Manifest;
const tailSeqs = (store: MemoryObjectStore) =>
  [...Array(headSeq(store) + 1).keys()].filter((s) => s > receipt.seq && manifestAt(store, s).parts.length > 0);
const run = (store: MemoryObjectStore, options: Partial<VerifyOptions> = {}) =>
  verifyArchive(store, { verifier: keys.verifier, fromReceipts: [receipt], ...options });

describe('verify from a receipt', () => {
  it('checks only what was added after the receipt, and says what it trusted', async () => {
    const store = copy();
    const full = await verifyArchive(copy(), { verifier: keys.verifier });
    const result = await run(store);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.workspaces[0]!.checkedFrom).toBe(receipt.seq);
    expect(result.receipts).toEqual(full.receipts);
    expect(result.objectsChecked).toBeGreaterThan(0);
    expect(result.objectsChecked).toBeLessThan(full.objectsChecked);
    expect(result.signaturesChecked).toBe(headSeq(store) - receipt.seq + 1);
    // Nothing before the receipt is read: no earlier manifest, signature or part.
    const earlierParts = new Set([...Array(receipt.seq + 1).keys()].flatMap((s) => manifestAt(pristine, s).parts.map((p) => p.key)));
    const earlierManifests = [...Array(receipt.seq).keys()].map((s) => manifestKey(WS, s));
    const earlierSignatures = [...Array(receipt.seq).keys()].map((s) => signatureKey(WS, s));
    expect(store.reads.filter((k) => earlierParts.has(k) || earlierManifests.includes(k) || earlierSignatures.includes(k))).toEqual([]);
    expect(result.notes.some((n) => n.includes(`checked from the receipt at manifest ${receipt.seq} on`))).toBe(true);
  });

  it('still finds a part altered after the receipt', async () => {
    const store = copy();
    const part = manifestAt(store, tailSeqs(store)[0]!).parts[0]!;
    store.tamper.set(part.key, gzipSync('{"id":"x"}\n'));
    const result = await run(store);
    expect(result.ok).toBe(false);
    expect(result.problems.find((p) => p.code === 'part-altered')?.key).toBe(part.key);
  });

  it('does not let a forged receipt for a rewritten head pass the tampered tail', async () => {
    const store = copy();
    const head = headSeq(store);
    const m = manifestAt(store, head);
    const forged = serializeManifest({ ...m, parts: [], records: 0 });
    store.tamper.set(manifestKey(WS, head), forged);
    const result = await run(store, { fromReceipts: [{ workspaceId: WS, seq: head, sha256: sha256Hex(forged) }] });
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.code)).toContain('signature-invalid');
    expect(result.receipts).toEqual([]);
  });

  it('does not trust a receipt whose manifest has no signature', async () => {
    const store = copy();
    store.tamper.delete(signatureKey(WS, receipt.seq));
    const result = await run(store);
    expect(result.ok).toBe(false);
    const missing = result.problems.find((p) => p.code === 'signature-missing' && p.key === manifestKey(WS, receipt.seq));
    expect(missing?.message).toMatch(/the head a receipt trusts/);
  });

  it('fails loudly on a receipt that does not match the manifest at its seq, and checks the whole chain', async () => {
    const store = copy();
    const full = await verifyArchive(copy(), { verifier: keys.verifier });
    const result = await run(store, { fromReceipts: [{ ...receipt, sha256: 'ab'.repeat(32) }] });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ code: 'head-mismatch', key: manifestKey(WS, receipt.seq) })]);
    expect(result.objectsChecked).toBe(full.objectsChecked);
    expect(result.workspaces[0]!.checkedFrom).toBeUndefined();
    expect(result.notes.some((n) => n.includes('does not match this archive, so its whole chain was checked'))).toBe(true);
  });

  it('fails on a receipt beyond the chain head (a deleted tail)', async () => {
    const store = copy();
    const result = await run(store, { fromReceipts: [{ ...receipt, seq: headSeq(store) + 5 }] });
    expect(result.problems.map((p) => p.code)).toContain('head-missing');
  });

  it('still reports a manifest deleted before the receipt (the listing is read in full)', async () => {
    const store = copy();
    store.tamper.delete(manifestKey(WS, 1));
    const result = await run(store);
    expect(result.problems.map((p) => `${p.code} ${p.key}`)).toContain(`manifest-missing ${manifestKey(WS, 1)}`);
  });

  it('reports an object written after the receipt that no manifest lists, but not the parts of the trusted range', async () => {
    const store = copy();
    const late = manifestAt(store, headSeq(store)).from;
    const stray = dataKey(WS, utcDate(late), late, 'part', 77);
    store.tamper.set(stray, gzipSync('{"id":"stray"}\n'));
    const result = await run(store);
    expect(result.problems.map((p) => `${p.code} ${p.key}`)).toEqual([`stray-object ${stray}`]);
  });

  it('catches a tail re-signed by nobody: a rewritten manifest after the receipt', async () => {
    const store = copy();
    const seq = tailSeqs(store)[0]!;
    const m = manifestAt(store, seq);
    store.tamper.set(manifestKey(WS, seq), serializeManifest({ ...m, records: m.records + 1 }));
    const result = await run(store);
    expect(result.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['signature-invalid', 'chain-broken']));
  });

  it('takes one receipt per workspace, and only with the signing key', async () => {
    await expect(run(copy(), { fromReceipts: [receipt, receipt] })).rejects.toThrow(ConfigurationError);
    await expect(verifyArchive(copy(), { fromReceipts: [receipt] })).rejects.toThrow(/needs the signing key/);
  });
});
