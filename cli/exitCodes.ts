/**
 * The CLI's exit codes, decided here at the edge rather than by the core's errors:
 * 2 for a usage or configuration problem the operator must fix (retrying will not help),
 * 1 for a run that could not complete or an archive that failed its checks.
 */
import { ConfigurationError } from '../lambdas/core/errors.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Error class → exit code, first match wins (subclasses inherit their parent's code:
 * `IntercomAuthError`, `IntercomForbiddenError`, `IntercomRedirectError` and `LockedError` are
 * configuration errors). Anything not listed is a failed run.
 */
const EXIT_BY_CLASS: readonly (readonly [abstract new (...args: never[]) => Error, ExitCode])[] = [[ConfigurationError, EXIT.usage]];

/** The exit code for an error a command threw. */
export function exitCodeFor(error: unknown): ExitCode {
  for (const [type, code] of EXIT_BY_CLASS) if (error instanceof type) return code;
  return EXIT.failed;
}
