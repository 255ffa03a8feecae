/**
 * The object-store port on S3 with Object Lock.
 *
 * Every write is a single-part PutObject with `If-None-Match: *` and a SHA-256 checksum, so S3
 * refuses to overwrite and the checksum S3 stores is the part's own hash (the manifest's).
 * Retention comes from the bucket's default Object Lock rule: per-object lock headers would
 * need s3:PutObjectRetention, which no role of this project holds.
 */
import {
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { IntegrityError, ObjectNotFoundError } from '../../core/errors.ts';
import { lockFromGetObject, wholeObjectSha256 } from './s3LockHeaders.ts';
import type { ObjectInfo, ObjectLockInfo, ObjectStore, ObjectVersionInfo, PutResult, Retention } from '../../core/ports.ts';

export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `archive/`. @default '' */
  readonly prefix?: string;
  /** The bucket's default Object Lock retention, recorded in manifests. */
  readonly retention?: Retention;
  /** Retries of a 409 ConditionalRequestConflict (a concurrent conditional write). @default 5 */
  readonly conflictRetries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

function status(error: unknown): number | undefined {
  return error instanceof S3ServiceException
    ? error.$metadata.httpStatusCode
    : (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly retention: Retention | undefined;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly conflictRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly s3: S3Client,
    options: S3ObjectStoreOptions,
  ) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/\/?$/, '/') : '';
    this.location = `s3://${this.bucket}/${this.prefix}`;
    this.retention = options.retention;
    this.conflictRetries = options.conflictRetries ?? 5;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: body,
            ContentLength: body.length,
            IfNoneMatch: '*',
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: hexToBase64(sha256),
            ContentType: key.endsWith('.json') ? 'application/json' : 'application/gzip',
          }),
        );
        return { key, sha256, bytes: body.length, created: true, ...this.retainUntil() };
      } catch (error) {
        const code = status(error);
        if (code === 412) return this.confirmSame(key, body, sha256);
        if (code === 409 && attempt < this.conflictRetries) {
          // ConditionalRequestConflict: another conditional write to this key is in flight.
          await this.sleep(100 * 2 ** attempt);
          continue;
        }
        throw error;
      }
    }
  }

  /** A 412 means the key exists: it counts as written only if S3's stored checksum is ours. */
  private async confirmSame(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    const head = await this.head(key);
    let stored = head?.sha256;
    if (!stored) {
      const { createHash } = await import('node:crypto');
      stored = createHash('sha256')
        .update(await this.get(key))
        .digest('hex');
    }
    if (stored !== sha256) {
      throw new IntegrityError(
        key,
        `${this.location}${key} already exists with different content (stored SHA-256 ${stored}, new ${sha256}); write-once objects are never overwritten`,
      );
    }
    return { key, sha256, bytes: body.length, created: false };
  }

  async get(key: string): Promise<Buffer> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (error) {
      if (status(error) === 404 || (error as Error).name === 'NoSuchKey') throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  /** One GetObject with its checksum: the bytes, and the lock state its headers carry (see s3LockHeaders.ts). */
  async getWithLock(key: string): Promise<{ body: Buffer; lock?: ObjectLockInfo }> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ChecksumMode: 'ENABLED' }));
      const lock = lockFromGetObject(out);
      return { body: Buffer.from(await out.Body!.transformToByteArray()), ...(lock && { lock }) };
    } catch (error) {
      if (status(error) === 404 || (error as Error).name === 'NoSuchKey') throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ChecksumMode: 'ENABLED' }));
      const sha = wholeObjectSha256(out.ChecksumSHA256);
      return {
        key,
        bytes: out.ContentLength ?? 0,
        ...(sha && { sha256: sha }),
        ...(out.ObjectLockRetainUntilDate && { retainUntil: out.ObjectLockRetainUntilDate.toISOString() }),
        ...(out.ETag && { etag: out.ETag.replace(/"/g, '') }),
      };
    } catch (error) {
      if (status(error) === 404 || (error as Error).name === 'NotFound') return undefined;
      throw error;
    }
  }

  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ...(options.startAfter && !token && { StartAfter: this.prefix + options.startAfter }),
          ...(token && { ContinuationToken: token }),
        }),
      );
      for (const object of out.Contents ?? []) {
        if (object.Key) yield { key: object.Key.slice(this.prefix.length), bytes: object.Size ?? 0 };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** Every version and delete marker under `prefix` (s3:ListBucketVersions), in key order. */
  async *listVersions(prefix: string): AsyncGenerator<ObjectVersionInfo> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ...(keyMarker && { KeyMarker: keyMarker }),
          ...(versionIdMarker && { VersionIdMarker: versionIdMarker }),
        }),
      );
      const page: ObjectVersionInfo[] = [];
      for (const v of out.Versions ?? []) {
        if (v.Key)
          page.push({
            key: v.Key.slice(this.prefix.length),
            versionId: v.VersionId ?? 'null',
            isLatest: v.IsLatest ?? false,
            deleteMarker: false,
            ...(v.Size !== undefined && { bytes: v.Size }),
            ...(v.LastModified && { lastModified: v.LastModified.toISOString() }),
          });
      }
      for (const m of out.DeleteMarkers ?? []) {
        if (m.Key)
          page.push({
            key: m.Key.slice(this.prefix.length),
            versionId: m.VersionId ?? 'null',
            isLatest: m.IsLatest ?? false,
            deleteMarker: true,
            ...(m.LastModified && { lastModified: m.LastModified.toISOString() }),
          });
      }
      page.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* page;
      keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
      versionIdMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
    } while (keyMarker);
  }

  async objectLock(key: string): Promise<ObjectLockInfo | undefined> {
    try {
      const [attributes, retention, legalHold] = await Promise.all([
        this.s3.send(
          new GetObjectAttributesCommand({ Bucket: this.bucket, Key: this.prefix + key, ObjectAttributes: ['Checksum', 'ObjectSize'] }),
        ),
        (async () => {
          try {
            return await this.s3.send(new GetObjectRetentionCommand({ Bucket: this.bucket, Key: this.prefix + key }));
          } catch (error) {
            // No retention at all is an answer too (the object is not locked).
            if ((error as Error).name === 'NoSuchObjectLockConfiguration' || status(error) === 404) return { Retention: undefined };
            throw error;
          }
        })(),
        this.legalHold(key),
      ]);
      const sha256 = wholeObjectSha256(attributes.Checksum?.ChecksumSHA256);
      return {
        ...(retention.Retention?.Mode && { mode: retention.Retention.Mode }),
        ...(retention.Retention?.RetainUntilDate && { retainUntil: retention.Retention.RetainUntilDate.toISOString() }),
        ...(attributes.LastModified && { createdAt: attributes.LastModified.toISOString() }),
        ...(sha256 && { sha256 }),
        ...(legalHold !== undefined && { legalHold }),
      };
    } catch (error) {
      if (status(error) === 404 || (error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /** PutObjectLegalHold on the current version (the bucket policy lets only the legal-hold role do it). */
  async setLegalHold(key: string, on: boolean): Promise<void> {
    await this.s3.send(
      new PutObjectLegalHoldCommand({ Bucket: this.bucket, Key: this.prefix + key, LegalHold: { Status: on ? 'ON' : 'OFF' } }),
    );
  }

  /** The legal-hold status, or undefined when the object never had one or these credentials may not read it. */
  private async legalHold(key: string): Promise<boolean | undefined> {
    try {
      const out = await this.s3.send(new GetObjectLegalHoldCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return out?.LegalHold?.Status === undefined ? undefined : out.LegalHold.Status === 'ON';
    } catch (error) {
      if ((error as Error).name === 'NoSuchObjectLockConfiguration' || status(error) === 404 || status(error) === 403) return undefined;
      throw error;
    }
  }

  private retainUntil(): { retainUntil?: string } {
    if (!this.retention) return {};
    const until = new Date();
    until.setUTCFullYear(until.getUTCFullYear() + this.retention.years);
    return { retainUntil: until.toISOString() };
  }
}
