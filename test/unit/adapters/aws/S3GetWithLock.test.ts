/** S3ObjectStore.getWithLock(): one GetObject with ChecksumMode, its lock headers read as objectLock() reads the three lock calls. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { ObjectNotFoundError } from '../../../../lambdas/core/errors.ts';

const s3 = mockClient(S3Client);
const body = Buffer.from('{"id":"1"}\n');
const sha = createHash('sha256').update(body).digest('hex');
const b64 = Buffer.from(sha, 'hex').toString('base64');
const written = new Date(Date.UTC(2025, 0, 1));
const until = new Date(Date.UTC(2032, 0, 2));
const store = () => new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), { bucket: 'archive-bucket', prefix: 'p' });
const answer = (extra: Record<string, unknown>) => ({ Body: sdkStreamMixin(Readable.from([body])), LastModified: written, ...extra });

beforeEach(() => s3.reset());

describe('S3ObjectStore.getWithLock()', () => {
  it('asks GetObject for the checksum and reads mode, retention, legal hold and checksum from its headers', async () => {
    s3.on(GetObjectCommand).resolves(
      answer({ ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until, ObjectLockLegalHoldStatus: 'ON', ChecksumSHA256: b64 }),
    );
    const got = await store().getWithLock('manifests/a.json');
    expect(got.body.equals(body)).toBe(true);
    expect(got.lock).toEqual({
      mode: 'COMPLIANCE',
      retainUntil: until.toISOString(),
      createdAt: written.toISOString(),
      sha256: sha,
      legalHold: true,
    });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'archive-bucket',
      Key: 'p/manifests/a.json',
      ChecksumMode: 'ENABLED',
    });
  });

  it.each([
    ['a composite checksum (multipart)', { ChecksumSHA256: `${b64}-3`, ChecksumType: 'COMPOSITE' }],
    ['no checksum', {}],
  ])('leaves out %s, as objectLock() does', async (_name, extra) => {
    s3.on(GetObjectCommand).resolves(answer({ ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: until, ...extra }));
    const { lock } = await store().getWithLock('k');
    expect(lock).toEqual({ mode: 'GOVERNANCE', retainUntil: until.toISOString(), createdAt: written.toISOString() });
  });

  it('brings no lock state when the answer has no Object Lock mode (not locked, or not allowed to see it): the caller asks', async () => {
    s3.on(GetObjectCommand).resolves(answer({ ChecksumSHA256: b64, ObjectLockLegalHoldStatus: 'OFF' }));
    const got = await store().getWithLock('k');
    expect(got.lock).toBeUndefined();
    expect(got.body.equals(body)).toBe(true);
  });

  it('throws ObjectNotFoundError for a missing key, like get()', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'NoSuchKey' }),
    );
    await expect(store().getWithLock('gone')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });
});
