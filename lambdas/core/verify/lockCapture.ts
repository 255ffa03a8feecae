/**
 * Lock states that came with the reads (a store's `getWithLock`: on S3, GetObject's headers),
 * kept until the lock check asks for them, so an object verify reads costs one round trip, not
 * two (its bytes, then GetObjectRetention + GetObjectLegalHold + GetObjectAttributes).
 *
 * The lock check still decides, at the end, which objects it checks and against which SHA-256
 * (that needs every chain walked and weighed); a kept state is judged then exactly as one asked
 * for then. What is kept is small: for a lock in order (the promised mode, long enough, no legal
 * hold, the store's checksum that of the bytes read) only the bytes' SHA-256 — the only fact the
 * check can still need — and any other lock state whole.
 */
import { createHash } from 'node:crypto';
import type { ObjectLockInfo } from '../ports.ts';
import { type PromisedLock, checkLock } from './lockCheck.ts';

export class LockCapture {
  readonly #kept = new Map<string, string | ObjectLockInfo>();

  constructor(private readonly promised: PromisedLock) {}

  /** Keeps the lock state that came with `body`. */
  keep(key: string, body: Buffer, lock: ObjectLockInfo): void {
    const sha = createHash('sha256').update(body).digest('hex');
    this.#kept.set(key, lock.sha256 === sha && !lock.legalHold && this.#inOrder(key, lock) ? sha : lock);
  }

  /** The lock state kept for `key` (then forgotten), or undefined when none came with a read. */
  take(key: string): ObjectLockInfo | undefined {
    const kept = this.#kept.get(key);
    if (kept === undefined) return undefined;
    this.#kept.delete(key);
    // In order: the promised mode with the store's checksum is all the check can still look at.
    return typeof kept === 'string' ? { mode: this.promised.mode, sha256: kept } : kept;
  }

  #inOrder(key: string, lock: ObjectLockInfo): boolean {
    let problems = 0;
    checkLock(key, undefined, lock, this.promised, () => {
      problems += 1;
    });
    return problems === 0;
  }
}
