/**
 * The lock state a GetObject answer carries in its headers (Object Lock mode, retain-until date,
 * legal hold, the SHA-256 checksum when asked with ChecksumMode ENABLED, Last-Modified): the same
 * facts GetObjectRetention, GetObjectLegalHold and GetObjectAttributes give, in the same round
 * trip as the bytes. S3 sends the Object Lock headers only to a caller allowed to read them
 * (s3:GetObjectRetention, s3:GetObjectLegalHold) and only for an object under retention, so an
 * answer without a mode says nothing: the caller asks the three calls as before.
 */
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { ObjectLockInfo } from '../../core/ports.ts';

/**
 * An S3 SHA-256 checksum (base64) as the object's own hash (hex); undefined for a composite one
 * (multipart, "…-N", or `ChecksumType` COMPOSITE), which is not — we never write those.
 */
export function wholeObjectSha256(checksum: string | undefined, type?: string): string | undefined {
  if (!checksum || checksum.includes('-') || type === 'COMPOSITE') return undefined;
  return Buffer.from(checksum, 'base64').toString('hex');
}

export function lockFromGetObject(out: GetObjectCommandOutput): ObjectLockInfo | undefined {
  if (!out.ObjectLockMode) return undefined;
  const sha256 = wholeObjectSha256(out.ChecksumSHA256, out.ChecksumType);
  return {
    mode: out.ObjectLockMode,
    ...(out.ObjectLockRetainUntilDate && { retainUntil: out.ObjectLockRetainUntilDate.toISOString() }),
    ...(out.LastModified && { createdAt: out.LastModified.toISOString() }),
    ...(sha256 && { sha256 }),
    ...(out.ObjectLockLegalHoldStatus !== undefined && { legalHold: out.ObjectLockLegalHoldStatus === 'ON' }),
  };
}
