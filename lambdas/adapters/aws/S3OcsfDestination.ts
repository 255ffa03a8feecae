/**
 * Exported OCSF objects into a Security Lake bucket (with the custom source's provider role).
 * Create-only: an object name carries a hash of its events, so a name that exists already holds
 * the same events and a retried day writes nothing twice.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { OcsfDestination } from '../../core/ocsf/exportOcsf.ts';

export class S3OcsfDestination implements OcsfDestination {
  readonly location: string;

  /** `clientFor` picks the client (the provider role's credentials) of the custom source a key is under. */
  constructor(
    private readonly clientFor: (sourceName: string) => S3Client,
    private readonly bucket: string,
  ) {
    this.location = `s3://${bucket}/`;
  }

  async write(key: string, body: Buffer): Promise<void> {
    const source = /^ext\/([^/]+)\//.exec(key)?.[1] ?? '';
    try {
      await this.clientFor(source).send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          IfNoneMatch: '*',
          ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
          ContentType: 'application/vnd.apache.parquet',
        }),
      );
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412) return; // already exported by an earlier run of the same day
      throw error;
    }
  }
}
