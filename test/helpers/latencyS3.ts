/**
 * An in-process S3 for the verify bench: the real S3ObjectStore and S3Client command objects,
 * answered from a map after an injected delay per request (s3rver cannot inject latency).
 * Every object is locked COMPLIANCE for seven years, with S3's SHA-256 checksum.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';

export function latencyS3(objects: ReadonlyMap<string, Buffer>, bucket: string, latencyMs: number) {
  const mock = mockClient(S3Client);
  const counts = { requests: 0, inFlight: 0, maxInFlight: 0 };
  const keys = [...objects.keys()].sort();
  const written = new Date(Date.UTC(2025, 0, 1));
  const until = new Date(Date.UTC(2032, 0, 2));
  const delayed =
    <I, O>(answer: (input: I) => O) =>
    async (input: I): Promise<O> => {
      counts.requests += 1;
      counts.inFlight += 1;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      counts.inFlight -= 1;
      return answer(input);
    };
  const page = (prefix: string, after: string) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! <= after || keys[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < keys.length && out.length < 1000 && keys[i]!.startsWith(prefix); i++) out.push(keys[i]!);
    return out;
  };
  mock.on(ListObjectsV2Command).callsFake(
    delayed((input: { Prefix?: string; StartAfter?: string; ContinuationToken?: string }) => {
      const found = page(input.Prefix ?? '', input.ContinuationToken ?? input.StartAfter ?? '');
      const more = found.length === 1000 && page(input.Prefix ?? '', found[999]!).length > 0;
      return {
        Contents: found.map((Key) => ({ Key, Size: objects.get(Key)!.length })),
        IsTruncated: more,
        ...(more && { NextContinuationToken: found[999] }),
      };
    }),
  );
  mock.on(ListObjectVersionsCommand).callsFake(
    delayed((input: { Prefix?: string; KeyMarker?: string }) => {
      const found = page(input.Prefix ?? '', input.KeyMarker ?? '');
      const more = found.length === 1000 && page(input.Prefix ?? '', found[999]!).length > 0;
      return {
        Versions: found.map((Key) => ({ Key, VersionId: 'v1', IsLatest: true, Size: objects.get(Key)!.length, LastModified: written })),
        IsTruncated: more,
        ...(more && { NextKeyMarker: found[999], NextVersionIdMarker: 'v1' }),
      };
    }),
  );
  mock.on(GetObjectCommand).callsFake(
    delayed((input: { Key?: string }) => {
      const body = objects.get(input.Key!)!;
      return { Body: sdkStreamMixin(Readable.from([body])), ContentLength: body.length };
    }),
  );
  mock.on(GetObjectAttributesCommand).callsFake(
    delayed((input: { Key?: string }) => ({
      LastModified: written,
      ObjectSize: objects.get(input.Key!)!.length,
      Checksum: { ChecksumSHA256: createHash('sha256').update(objects.get(input.Key!)!).digest('base64') },
    })),
  );
  mock.on(GetObjectRetentionCommand).callsFake(delayed(() => ({ Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until } })));
  mock.on(GetObjectLegalHoldCommand).callsFake(delayed(() => ({ LegalHold: { Status: 'OFF' } })));
  return { client: new S3Client({ region: 'eu-west-1' }), counts, bucket, restore: () => mock.restore() };
}
