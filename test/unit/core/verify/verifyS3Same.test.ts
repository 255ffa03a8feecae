/**
 * verify over S3 finds exactly what it found before its reads were reshaped (manifests kept as
 * small records, lock states taken from the reads): the JSON `verify --json` prints for a clean
 * and a tampered archive is byte for byte the one the earlier code printed (the fixtures), at any
 * concurrency.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../../../lambdas/core/verify/verify.ts';
import { s3Verify } from '../../../helpers/tamperedS3Archive.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../../fixtures/verify', name), 'utf8');

describe('verifyArchive() over S3', () => {
  it.each([1, 4, 32])('prints the same JSON for a clean archive as before, at concurrency %i', async (concurrency) => {
    const { json } = await s3Verify('clean', concurrency);
    expect(JSON.parse(json).ok).toBe(true);
    expect(json).toBe(fixture('s3-clean.json'));
  });

  it('reads each object once and takes its lock state from that answer: no lock requests on a clean archive', async () => {
    const { json, requests } = await s3Verify('clean', 4);
    const result = JSON.parse(json) as VerifyResult;
    // 25 manifests, 25 signatures, 6 parts, 6 indexes: every one read once, every one's lock state checked.
    expect(result.lockChecked).toBe(62);
    expect(requests).toEqual({ ListObjectsV2: 6, ListObjectVersions: 7, GetObject: 62 });
  });

  it('asks the lock state of an object the lock check needs but whose read brought none (unlocked, or never read)', async () => {
    const { requests } = await s3Verify('tampered', 4);
    // Manifest 2 is under no retention (its GetObject has no lock headers), part 12 is missing (never read):
    // each gets GetObjectAttributes, GetObjectRetention and GetObjectLegalHold, as before.
    expect(requests).toEqual({
      ListObjectsV2: 6,
      ListObjectVersions: 7,
      GetObject: 59,
      GetObjectAttributes: 1,
      GetObjectLegalHold: 1,
      NoSuchObjectLockConfiguration: 1,
      NoSuchKey: 3,
    });
  });

  it.each([1, 4, 32])('prints the same JSON for a tampered archive as before, at concurrency %i', async (concurrency) => {
    const { json } = await s3Verify('tampered', concurrency);
    const codes = new Set((JSON.parse(json) as VerifyResult).problems.map((p) => p.code));
    // Every tampering is seen: objects altered, missing, replaced, stray; locks missing, wrong, short.
    for (const code of [
      'part-altered',
      'checksum-mismatch',
      'part-missing',
      'index-altered',
      'stray-object',
      'manifest-missing',
      'manifest-invalid',
      'signature-missing',
      'signature-invalid',
      'chain-broken',
      'not-locked',
      'lock-mode',
      'retention-short',
    ])
      expect(codes).toContain(code);
    expect(JSON.parse(json).heldObjects).toHaveLength(2);
    expect(json).toBe(fixture('s3-tampered.json'));
  });
});
