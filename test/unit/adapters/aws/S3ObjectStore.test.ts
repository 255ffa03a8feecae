import { createHash } from 'node:crypto';
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
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { IntegrityError, ObjectNotFoundError } from '../../../../lambdas/core/errors.ts';

const s3 = mockClient(S3Client);
const body = Buffer.from('{"id":"1"}\n');
const sha = createHash('sha256').update(body).digest('hex');
const b64 = Buffer.from(sha, 'hex').toString('base64');

function serviceError(name: string, status: number) {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

function store() {
  return new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), {
    bucket: 'archive-bucket',
    prefix: 'p',
    retention: { mode: 'COMPLIANCE', years: 7 },
    sleep: async () => undefined,
  });
}

beforeEach(() => s3.reset());

describe('S3ObjectStore.putIfAbsent()', () => {
  it('sends a single-part create-only PutObject with the SHA-256 checksum and no lock headers', async () => {
    s3.on(PutObjectCommand).resolves({});
    const result = await store().putIfAbsent('activity_logs/a.jsonl.gz', body, sha);
    expect(result).toMatchObject({ key: 'activity_logs/a.jsonl.gz', sha256: sha, bytes: body.length, created: true });
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toEqual({
      Bucket: 'archive-bucket',
      Key: 'p/activity_logs/a.jsonl.gz',
      Body: body,
      ContentLength: body.length,
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: b64,
      ContentType: 'application/gzip',
    });
    expect(input).not.toHaveProperty('ObjectLockMode');
    expect(input).not.toHaveProperty('ObjectLockRetainUntilDate');
  });

  it('treats a 412 as already written when the stored checksum is ours', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    s3.on(HeadObjectCommand).resolves({ ContentLength: body.length, ChecksumSHA256: b64 });
    await expect(store().putIfAbsent('k', body, sha)).resolves.toMatchObject({ created: false });
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'archive-bucket', Key: 'p/k', ChecksumMode: 'ENABLED' });
  });

  it('raises a loud integrity error on a 412 for different content', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 3, ChecksumSHA256: Buffer.alloc(32, 7).toString('base64') });
    const error = await store()
      .putIfAbsent('k', body, sha)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(/s3:\/\/archive-bucket\/p\/k already exists with different content/);
  });

  it('hashes the stored object when S3 has no checksum for it', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    s3.on(HeadObjectCommand).resolves({ ContentLength: body.length });
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([body])) });
    await expect(store().putIfAbsent('k', body, sha)).resolves.toMatchObject({ created: false });
  });

  it('retries a 409 ConditionalRequestConflict, then succeeds', async () => {
    s3.on(PutObjectCommand).rejectsOnce(serviceError('ConditionalRequestConflict', 409)).resolvesOnce({});
    await expect(store().putIfAbsent('k', body, sha)).resolves.toMatchObject({ created: true });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('gives up on 409 after its retries', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('ConditionalRequestConflict', 409));
    await expect(store().putIfAbsent('k', body, sha)).rejects.toThrow('ConditionalRequestConflict');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(6);
  });

  it('passes other failures on unchanged', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403));
    await expect(store().putIfAbsent('k', body, sha)).rejects.toThrow('AccessDenied');
  });
});

describe('S3ObjectStore reads', () => {
  it('gets bytes, and maps NoSuchKey to ObjectNotFoundError', async () => {
    s3.on(GetObjectCommand, { Key: 'p/a' }).resolves({ Body: sdkStreamMixin(Readable.from([body])) });
    s3.on(GetObjectCommand, { Key: 'p/b' }).rejects(serviceError('NoSuchKey', 404));
    expect(await store().get('a')).toEqual(body);
    await expect(store().get('b')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('heads with the stored checksum and retention, undefined when absent', async () => {
    s3.on(HeadObjectCommand, { Key: 'p/a' }).resolves({
      ContentLength: 11,
      ChecksumSHA256: b64,
      ObjectLockRetainUntilDate: new Date('2033-01-01T00:00:00Z'),
    });
    s3.on(HeadObjectCommand, { Key: 'p/b' }).rejects(serviceError('NotFound', 404));
    expect(await store().head('a')).toEqual({ key: 'a', bytes: 11, sha256: sha, retainUntil: '2033-01-01T00:00:00.000Z' });
    expect(await store().head('b')).toBeUndefined();
  });

  it('lists every page under the prefix, after startAfter, without the store prefix', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/x/1', Size: 1 }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/x/2', Size: 2 }], IsTruncated: false });
    const keys: string[] = [];
    for await (const o of store().list('x/', { startAfter: 'x/0' })) keys.push(o.key);
    expect(keys).toEqual(['x/1', 'x/2']);
    const calls = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Bucket: 'archive-bucket', Prefix: 'p/x/', StartAfter: 'p/x/0' },
      { Bucket: 'archive-bucket', Prefix: 'p/x/', ContinuationToken: 't1' },
    ]);
  });
});
