/**
 * A signed archive of many short windows, built straight through the core's manifest, index and
 * signature writers (collecting 100,000 windows over HTTP would take longer than verifying them):
 * a genesis, then windows of 15 minutes, every `busyEvery`-th with one small part and its index.
 */
import { type KeyObject, createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PublicKeyVerifier } from '../lambdas/core/signing/PublicKeyVerifier.ts';
import { Ed25519Signer } from '../lambdas/adapters/local/Ed25519Signer.ts';
import { appendManifest } from '../lambdas/core/archive/chain.ts';
import { dataKey, utcDate } from '../lambdas/core/archive/keys.ts';
import type { Manifest } from '../lambdas/core/archive/manifest.ts';
import { newManifest } from '../lambdas/core/archive/newManifest.ts';
import { indexBody, withIndex } from '../lambdas/core/archive/partIndex.ts';
import type { ObjectInfo, ObjectStore, PutResult } from '../lambdas/core/ports.ts';
import { type SignatureRecord, signManifest } from '../lambdas/core/signing/signatures.ts';

const WORKSPACE = 'bench-ws';
const WINDOW = 900;
const START = Date.UTC(2019, 0, 1) / 1000;

/** Just enough store to write through: create-only puts into a map. */
class MapStore implements ObjectStore {
  readonly location = 'memory://bench';
  readonly retention = { mode: 'COMPLIANCE' as const, years: 7 };
  constructor(readonly objects: Map<string, Buffer>) {}
  async putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    this.objects.set(key, body);
    return { key, sha256, bytes: body.length, created: true };
  }
  async get(key: string): Promise<Buffer> {
    return this.objects.get(key)!;
  }
  async head(): Promise<ObjectInfo | undefined> {
    return undefined;
  }
  async *list(): AsyncGenerator<ObjectInfo> {}
}

export interface BenchArchive {
  readonly objects: Map<string, Buffer>;
  readonly verifier: PublicKeyVerifier;
  readonly workspaceId: string;
}

/** `privateKey` given: the same archive byte for byte on every run (every date follows from its window). */
export async function buildBenchArchive(windows: number, busyEvery = 4, privateKey?: KeyObject): Promise<BenchArchive> {
  const objects = new Map<string, Buffer>();
  const store = new MapStore(objects);
  privateKey ??= generateKeyPairSync('ed25519').privateKey;
  const signer = new Ed25519Signer(privateKey);
  const base = {
    workspaceId: WORKSPACE,
    origin: START,
    api: { host: 'api.bench.test', version: '2.17', perPage: 250 },
    runId: 'bench',
    collectorVersion: 'bench',
    store,
  };
  let head = await appendManifest(
    store,
    newManifest({
      ...base,
      seq: 0,
      kind: 'genesis',
      from: START,
      to: START,
      checkpoint: START,
      prevSha256: null,
      writtenAt: new Date(START * 1000),
    }),
  );
  let signature: SignatureRecord = await signManifest(store, signer, head, undefined, new Date(START * 1000));
  for (let w = 0; w < windows; w++) {
    const from = START + w * WINDOW;
    const fields = { ...base, seq: w + 1, kind: 'window' as const, from, to: from + WINDOW, checkpoint: from + WINDOW };
    let manifest: Manifest = newManifest({ ...fields, prevSha256: head.sha256, writtenAt: new Date((from + WINDOW) * 1000) });
    if (w % busyEvery === 0) manifest = withPart(objects, manifest, from);
    head = await appendManifest(store, manifest);
    signature = await signManifest(store, signer, head, signature, new Date((from + WINDOW) * 1000));
  }
  return { objects, verifier: new PublicKeyVerifier(createPublicKey(privateKey)), workspaceId: WORKSPACE };
}

function withPart(objects: Map<string, Buffer>, manifest: Manifest, from: number): Manifest {
  const lines = [0, 1, 2].map(
    (i) =>
      `{"id":"${manifest.seq}-${i}","workspace_id":"${WORKSPACE}","created_at":${from + 60 * i},"activity_type":"admin_login_success"}\n`,
  );
  // A copy: gzipSync's answer is a view of a 16 KB buffer, and 25,000 of those would be 400 MB of the bench's RSS.
  const body = Buffer.from(gzipSync(lines.join('')));
  const key = dataKey(WORKSPACE, utcDate(from), from, 'part', 0);
  objects.set(key, body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const part = { key, sha256, bytes: body.length, records: 3, min_created_at: from, max_created_at: from + 120 };
  const withParts = withIndex({ ...manifest, parts: [part], records: 3 });
  objects.set(withParts.index!.key, indexBody(withParts)!);
  return withParts;
}
