/**
 * A small signed archive, the same bytes on every run, verified through the real S3ObjectStore
 * against the in-process S3: clean, or tampered in every way verify over S3 can see (objects
 * altered, missing, replaced, stray; locks missing, in the wrong mode, too short, held). The
 * result's JSON is compared byte for byte with what verify gave before its reads were reshaped.
 */
import { createPrivateKey } from 'node:crypto';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { dataKey, manifestKey, utcDate } from '../../lambdas/core/archive/keys.ts';
import { indexKey } from '../../lambdas/core/archive/partIndex.ts';
import { signatureKey } from '../../lambdas/core/signing/signatures.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { buildBenchArchive } from '../../bench/s3Archive.ts';
import { latencyS3 } from './latencyS3.ts';
import type { FakeLock } from './s3Answers.ts';

const WS = 'bench-ws';
const START = Date.UTC(2019, 0, 1) / 1000;
/** A fixed Ed25519 key (PKCS#8 of a fixed seed): signatures are deterministic. */
const KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]),
  format: 'der',
  type: 'pkcs8',
});

const partOf = (w: number) => dataKey(WS, utcDate(START + w * 900), START + w * 900, 'part', 0);

/** Windows 0, 4, 8, … (manifests 1, 5, 9, …) have a part and an index. */
function tamper(objects: Map<string, Buffer>): Map<string, FakeLock> {
  const flip = (key: string) => {
    const body = Buffer.from(objects.get(key)!);
    body[body.length - 3]! ^= 0xff;
    objects.set(key, body);
  };
  flip(partOf(0)); // part-altered (the store's own checksum is the new body's)
  objects.delete(manifestKey(WS, 6)); // manifest-missing; its signature signs nothing read
  objects.delete(signatureKey(WS, 8)); // signature-missing
  const m11 = objects.get(manifestKey(WS, 11))!.toString('utf8');
  objects.set(manifestKey(WS, 11), Buffer.from(m11.replace('"collector_version": "bench"', '"collector_version": "forged"'))); // replaced after signing
  objects.delete(partOf(12)); // part-missing (and it has no lock state)
  flip(indexKey(WS, 17)); // index-altered
  objects.set(`activity_logs/workspace=${WS}/dt=2019-01-01/stray.jsonl.gz`, Buffer.from('stray')); // stray-object
  objects.set(manifestKey(WS, 19), Buffer.from('{"not":"a manifest"}')); // manifest-invalid
  return new Map<string, FakeLock>([
    [manifestKey(WS, 2), { mode: null }], // not-locked
    [signatureKey(WS, 3), { mode: 'GOVERNANCE' }], // lock-mode
    [partOf(8), { retainUntil: new Date(Date.UTC(2025, 6, 1)) }], // retention-short
    [indexKey(WS, 9), { legalHold: 'ON' }], // held
    [manifestKey(WS, 7), { legalHold: 'ON', mode: 'GOVERNANCE' }],
  ]);
}

/** verify's result as `verify --json` prints it, for the clean or the tampered archive, and the requests it took by S3 operation. */
export async function s3Verify(
  kind: 'clean' | 'tampered',
  concurrency: number,
): Promise<{ json: string; requests: Record<string, number> }> {
  const archive = await buildBenchArchive(24, 4, KEY);
  const locks = kind === 'tampered' ? tamper(archive.objects) : new Map<string, FakeLock>();
  const s3 = latencyS3(archive.objects, 'bucket', 0, locks);
  try {
    const result = await verifyArchive(new S3ObjectStore(s3.client, { bucket: 'bucket' }), {
      verifier: archive.verifier,
      lock: { mode: 'COMPLIANCE', years: 7 },
      checkVersions: true,
      concurrency,
    });
    return { json: `${JSON.stringify(result, null, 2)}\n`, requests: s3.counts.byOperation };
  } finally {
    s3.restore();
  }
}
