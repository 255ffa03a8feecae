/**
 * A lock state that came with a read is judged exactly as one asked for at the end: for every
 * kind of lock and every SHA-256 the lock check may hold it against, the same problems.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ObjectLockInfo } from '../../../../lambdas/core/ports.ts';
import { LockCapture } from '../../../../lambdas/core/verify/lockCapture.ts';
import { type PromisedLock, checkLock } from '../../../../lambdas/core/verify/lockCheck.ts';

const promised: PromisedLock = { mode: 'COMPLIANCE', years: 7 };
const body = Buffer.from('the bytes read');
const bodySha = createHash('sha256').update(body).digest('hex');
const otherSha = 'f'.repeat(64);
const inOrder: ObjectLockInfo = {
  mode: 'COMPLIANCE',
  retainUntil: '2032-01-02T00:00:00.000Z',
  createdAt: '2025-01-01T00:00:00.000Z',
  sha256: bodySha,
  legalHold: false,
};

const problems = (expected: string | undefined, lock: ObjectLockInfo | undefined) => {
  const out: string[] = [];
  checkLock('k', expected, lock, promised, (code, key, message) => out.push(`${code} ${key} ${message}`));
  return out;
};

describe('LockCapture', () => {
  it.each<[string, ObjectLockInfo]>([
    ['in order', inOrder],
    ['in order, no legal hold status', { ...inOrder, legalHold: undefined } as ObjectLockInfo],
    ['the wrong mode', { ...inOrder, mode: 'GOVERNANCE' }],
    ['retention too short', { ...inOrder, retainUntil: '2026-01-01T00:00:00.000Z' }],
    ['under a legal hold', { ...inOrder, legalHold: true }],
    ['no checksum', { mode: 'COMPLIANCE', retainUntil: inOrder.retainUntil, createdAt: inOrder.createdAt }],
    ['a checksum of other bytes', { ...inOrder, sha256: otherSha }],
  ])('judges a lock %s as if asked for at the end, whatever SHA-256 it is held against', (_name, lock) => {
    for (const expected of [undefined, bodySha, otherSha]) {
      const capture = new LockCapture(promised);
      capture.keep('k', body, lock);
      const kept = capture.take('k');
      expect(problems(expected, kept)).toEqual(problems(expected, lock));
      expect(Boolean(kept?.legalHold)).toBe(Boolean(lock.legalHold));
    }
  });

  it('gives a kept state once, and nothing for an object whose read brought none', () => {
    const capture = new LockCapture(promised);
    capture.keep('k', body, inOrder);
    expect(capture.take('other')).toBeUndefined();
    expect(capture.take('k')).toBeDefined();
    expect(capture.take('k')).toBeUndefined();
  });
});
