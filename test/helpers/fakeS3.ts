/**
 * aws-sdk-client-mock backed by a map, so handler tests exercise the real S3 adapter calls:
 * create-only puts (412 on an existing key), checksums, listing with StartAfter.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';

export function fakeS3() {
  const objects = new Map<string, { body: Buffer; checksum: string }>();
  const mock = mockClient(S3Client);
  const error = (name: string, status: number) =>
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
  mock.on(PutObjectCommand).callsFake((input) => {
    const key = `${input.Bucket}/${input.Key}`;
    if (input.IfNoneMatch === '*' && objects.has(key)) throw error('PreconditionFailed', 412);
    const body = Buffer.from(input.Body as Buffer);
    const checksum = createHash('sha256').update(body).digest('base64');
    if (input.ChecksumSHA256 && input.ChecksumSHA256 !== checksum) throw error('BadDigest', 400);
    objects.set(key, { body, checksum });
    return {};
  });
  mock.on(GetObjectCommand).callsFake((input) => {
    const object = objects.get(`${input.Bucket}/${input.Key}`);
    if (!object) throw error('NoSuchKey', 404);
    return { Body: sdkStreamMixin(Readable.from([object.body])), ContentLength: object.body.length };
  });
  mock.on(HeadObjectCommand).callsFake((input) => {
    const object = objects.get(`${input.Bucket}/${input.Key}`);
    if (!object) throw error('NotFound', 404);
    // S3's ETag of a single-part upload without SSE-KMS is the MD5 of the body, in quotes.
    const eTag = `"${createHash('md5').update(object.body).digest('hex')}"`;
    return { ContentLength: object.body.length, ETag: eTag, ...(input.ChecksumMode === 'ENABLED' && { ChecksumSHA256: object.checksum }) };
  });
  mock.on(ListObjectsV2Command).callsFake((input) => {
    const prefix = `${input.Bucket}/${input.Prefix ?? ''}`;
    const after = input.StartAfter ? `${input.Bucket}/${input.StartAfter}` : '';
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    return {
      Contents: keys.map((k) => ({ Key: k.slice(String(input.Bucket).length + 1), Size: objects.get(k)!.body.length })),
      IsTruncated: false,
    };
  });
  return { mock, objects, client: new S3Client({ region: 'eu-west-1' }) };
}
