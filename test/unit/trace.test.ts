/** trace: an entry's proof of custody verifies offline and fails when any byte of it changes. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { type TraceProof, traceEntry, verifyProof } from '../../lambdas/core/trace/trace.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';

let sim: RunningSimulator;
let keyDir: string;
let proof: TraceProof;
let verifier: PublicKeyVerifier;
let targetId: string;

beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 10 * DAY });
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'trace-keys-'));
  const keys = Ed25519Signer.forArchive(path.join(os.tmpdir(), 'trace-archive'), keyDir);
  verifier = keys.verifier;
  const store = new MemoryObjectStore();
  await runCollector(sim, store, { since: T0, until: T0 + 4 * DAY, signer: keys.signer });
  targetId = sim.workspace.entriesBetween(T0 + DAY, T0 + 2 * DAY)[5]!.id;
  proof = (await traceEntry(store, targetId, [sim.workspace.workspaceId], null))!;
});
afterAll(async () => {
  await sim.close();
  rmSync(keyDir, { recursive: true, force: true });
});

const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'a' ? 'b' : 'a'}${text.slice(at + 1)}`;

describe('trace', () => {
  it("finds the entry and links it to its part, the manifest that lists the part, and that manifest's signature", async () => {
    expect(proof.entry_id).toBe(targetId);
    expect(JSON.parse(proof.entry_line)).toMatchObject({ id: targetId });
    expect(proof.part.key).toMatch(/^activity_logs\/workspace=sim-acme\/dt=2025-03-0\d\//);
    expect(JSON.parse(proof.manifest.text).parts.map((p: { key: string }) => p.key)).toContain(proof.part.key);
    expect(proof.signature).toMatchObject({ seq: proof.manifest.seq, manifest_sha256: proof.manifest.sha256 });
    expect(await verifyProof(proof, verifier)).toEqual({ ok: true, problems: [] });
  });

  it('returns nothing for an id no listed part holds', async () => {
    expect(await traceEntry(new MemoryObjectStore(), 'nope', ['sim-acme'], null)).toBeUndefined();
  });

  it.each([
    [
      'the entry line',
      (p: TraceProof) => ({ ...p, entry_line: p.entry_line.replace(/"activity_type":"[^"]*"/, '"activity_type":"forged"') }),
      /^entry: the entry line is not in the part$/,
    ],
    ['a byte of the part', (p: TraceProof) => ({ ...p, part: { ...p.part, base64: flip(p.part.base64, 40) } }), /^part: /],
    [
      'a byte of the manifest',
      (p: TraceProof) => ({ ...p, manifest: { ...p.manifest, text: p.manifest.text.replace('"records": ', '"records": 1') } }),
      /^manifest: its text hashes to/,
    ],
    [
      'the signature',
      (p: TraceProof) => ({ ...p, signature: { ...p.signature!, signature: Buffer.from('x'.repeat(64)).toString('base64') } }),
      /^signature: it does not verify/,
    ],
  ])('fails when %s changes', async (_name, change, message) => {
    const result = await verifyProof(change(proof), verifier);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(message);
  });

  // The summary fields are what trace verify prints ("listed by manifest <seq>"): editing them must fail too.
  it.each([
    [
      'seq',
      (p: TraceProof) => ({ ...p, manifest: { ...p.manifest, seq: p.manifest.seq + 7 } }),
      /^manifest: the proof says seq \d+, the manifest text says \d+$/,
    ],
    [
      'from_iso',
      (p: TraceProof) => ({ ...p, manifest: { ...p.manifest, from_iso: '2020-01-01T00:00:00Z' } }),
      /^manifest: the proof says from_iso 2020-01-01T00:00:00Z, the manifest text says /,
    ],
    [
      'to_iso',
      (p: TraceProof) => ({ ...p, manifest: { ...p.manifest, to_iso: '2030-01-01T00:00:00Z' } }),
      /^manifest: the proof says to_iso /,
    ],
    [
      'kind',
      (p: TraceProof) => ({ ...p, manifest: { ...p.manifest, kind: 'late' } }),
      /^manifest: the proof says kind late, the manifest text says /,
    ],
    [
      'key',
      (p: TraceProof) => ({ ...p, manifest: { ...p.manifest, key: 'manifests/workspace=sim-acme/000000000099.json' } }),
      /^manifest: the proof says key manifests\/workspace=sim-acme\/000000000099\.json/,
    ],
    [
      'workspace_id',
      (p: TraceProof) => ({ ...p, workspace_id: 'other' }),
      /^manifest: the proof says workspace_id other, the manifest text says sim-acme$/,
    ],
  ])("fails when the proof's unsigned %s is edited", async (_name, change, message) => {
    const result = await verifyProof(change(proof), verifier);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(message)]);
  });

  it('fails with another key', async () => {
    const other = PublicKeyVerifier.fromPem(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    expect((await verifyProof(proof, other)).problems).toEqual([
      expect.stringMatching(/^signature: it does not verify with the key given/),
    ]);
  });
});
