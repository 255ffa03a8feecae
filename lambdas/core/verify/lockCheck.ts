/**
 * Object Lock: every part, manifest and signature locked in the expected mode, long enough,
 * with the checksum the store computed when it was written.
 */
import type { ObjectLockInfo, ObjectStore } from '../ports.ts';
import type { LockCapture } from './lockCapture.ts';
import { inOrder } from './pipeline.ts';
import type { ProblemList, Report } from './ProblemList.ts';
import { NO_LOCK_RECORDS_NOTE, type VerifyOptions, type VerifyResult } from './types.ts';

export interface LockOutcome {
  readonly lockChecked: number;
  /** Objects under a legal hold, in the order checked. */
  readonly heldObjects: string[];
  readonly lockState: VerifyResult['lockState'];
}

export type PromisedLock = NonNullable<VerifyOptions['lock']>;

/**
 * `expected`: each object to check, with the SHA-256 the chain records for it (if any). A lock
 * state that came with a read (`captured`) is judged as if asked for now.
 */
export async function checkLocks(
  store: ObjectStore,
  options: Pick<VerifyOptions, 'lock' | 'requireLocks'>,
  expected: () => Map<string, string | undefined>,
  problems: ProblemList,
  concurrency: number,
  captured?: LockCapture,
): Promise<LockOutcome> {
  const { report } = problems;
  const outcome = { lockChecked: 0, heldObjects: [] as string[] };
  let lockState: VerifyResult['lockState'] = !options.lock ? 'not-requested' : store.objectLock ? 'checked' : 'unsupported';
  if (options.lock && store.objectLock && store.hasLockRecords && !(await store.hasLockRecords())) {
    // A copy (aws s3 sync, an assessor's download) carries no lock state: said once, not per object.
    lockState = 'not-checked';
    if (options.requireLocks)
      report(
        'lock-records-missing',
        '.object-lock/',
        `${store.location} has no Object Lock records at all (a copy?), and --require-locks was given: verify the original archive, or drop --require-locks to verify a copy`,
      );
    else problems.note(NO_LOCK_RECORDS_NOTE);
  }
  if (lockState === 'unsupported' && options.requireLocks)
    report('lock-records-missing', '.object-lock/', `${store.location} keeps no Object Lock state, and --require-locks was given`);
  if (options.lock && store.objectLock && lockState === 'checked') {
    const ask = async ([key, sha]: [string, string | undefined]) => ({
      key,
      sha,
      lock: captured?.take(key) ?? (await store.objectLock!(key)),
    });
    for await (const { key, sha, lock } of inOrder(expected(), concurrency, ask)) {
      outcome.lockChecked += 1;
      if (lock?.legalHold) outcome.heldObjects.push(key);
      checkLock(key, sha, lock, options.lock, problems.report);
    }
  }
  return { ...outcome, lockState };
}

export function checkLock(
  key: string,
  sha: string | undefined,
  lock: ObjectLockInfo | undefined,
  promised: PromisedLock,
  report: Report,
): void {
  if (!lock?.mode) {
    report('not-locked', key, `${key} is not under Object Lock (expected ${promised.mode} for ${promised.years} years)`);
    return;
  }
  if (lock.mode !== promised.mode) report('lock-mode', key, `${key} is locked in ${lock.mode} mode, but ${promised.mode} was promised`);
  if (lock.retainUntil && lock.createdAt) {
    const days = (Date.parse(lock.retainUntil) - Date.parse(lock.createdAt)) / 86_400_000;
    if (days < promised.years * 365 - 1)
      report(
        'retention-short',
        key,
        `${key} is retained until ${lock.retainUntil}, only ${Math.floor(days)} days after it was written (${lock.createdAt}); ${promised.years} years were promised`,
      );
  }
  if (sha && lock.sha256 && lock.sha256 !== sha)
    report('checksum-mismatch', key, `${key}: the store's own SHA-256 is ${lock.sha256}, the chain says ${sha}`);
}
