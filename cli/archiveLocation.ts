/** Opens the archive a command names: a local folder, or `s3://bucket[/prefix]` with the caller's AWS credentials. */
import { promises as fs } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../lambdas/adapters/aws/S3ObjectStore.ts';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import type { ObjectStore } from '../lambdas/core/ports.ts';

export function s3Archive(location: string): S3ObjectStore {
  const url = new URL(location);
  return new S3ObjectStore(new S3Client({}), { bucket: url.host, prefix: url.pathname.replace(/^\//, '') });
}

/** The folder must exist; `allowS3` also accepts an s3:// location. */
export async function openArchive(location: string, { allowS3 }: { allowS3: boolean }): Promise<ObjectStore> {
  if (allowS3 && location.startsWith('s3://')) return s3Archive(location);
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new ConfigurationError(
      `--archive: '${location}' is not a folder${allowS3 ? ' or s3:// location' : ''} (give the folder that collect wrote)`,
    );
  }
  return new LocalObjectStore(location);
}
