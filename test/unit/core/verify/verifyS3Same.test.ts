/**
 * verify over S3 finds exactly what it found before its reads were reshaped (manifests kept as
 * small records, lock states taken from the reads): the JSON `verify --json` prints for a clean
 * and a tampered archive is byte for byte the one the earlier code printed (the fixtures), at any
 * concurrency.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { s3VerifyJson } from '../../../helpers/tamperedS3Archive.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../../../fixtures/verify', name), 'utf8');

describe('verifyArchive() over S3', () => {
  it.each([1, 4, 32])('prints the same JSON for a clean archive as before, at concurrency %i', async (concurrency) => {
    const json = await s3VerifyJson('clean', concurrency);
    expect(JSON.parse(json).ok).toBe(true);
    expect(json).toBe(fixture('s3-clean.json'));
  });

  it.each([1, 4, 32])('prints the same JSON for a tampered archive as before, at concurrency %i', async (concurrency) => {
    const json = await s3VerifyJson('tampered', concurrency);
    const codes = new Set((JSON.parse(json) as { problems: { code: string }[] }).problems.map((p) => p.code));
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
