import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../cli/exitCodes.ts';
import { checkToken } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import {
  AlertDeliveryError,
  ArchiveError,
  ConcurrentWriterError,
  ConfigurationError,
  IntegrityError,
  IntercomAuthError,
  IntercomForbiddenError,
  IntercomLimitError,
  IntercomRedirectError,
  IntercomRequestError,
  IntercomUnavailableError,
  LockedError,
  PartialPeriodError,
} from '../../lambdas/core/errors.ts';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('exitCodeFor() at the CLI edge', () => {
  // Moved here from IntercomClient.test.ts and reportCoverage.test.ts: the core's errors no longer carry an exit code.
  it('gives exit code 2 to a rejected token (HTTP 401)', () => {
    expect(exitCodeFor(new IntercomAuthError('req-1'))).toBe(2);
  });

  it.each(['SECRET-TOKEN\nX-Injected: 1', 'SECRET TOKEN', 'SECRET\u001b[2J', 'SECRET\u00e9', ''])(
    'gives exit code 2 to a token that fails the load-time check (%j)',
    (token) => {
      const error = thrown(() => checkToken(token, 'INTERCOM_ACCESS_TOKEN'));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(exitCodeFor(error)).toBe(2);
    },
  );

  it('gives exit code 2 to a refused redirect', () => {
    expect(exitCodeFor(new IntercomRedirectError(302, 'https://elsewhere.example'))).toBe(2);
  });

  it('gives exit code 1 to a report over a period the archive does not fully hold', () => {
    expect(exitCodeFor(new PartialPeriodError('NOT COMPLETE: ws-test does not hold 2026-04-01 – 2026-07-01'))).toBe(1);
  });

  it.each([
    ['ConfigurationError', new ConfigurationError('--archive: missing')],
    ['IntercomForbiddenError', new IntercomForbiddenError('api_plan_restricted')],
    ['LockedError', new LockedError('archive locked by pid 1')],
  ])('maps %s (something the operator must fix) to 2', (_name, error) => {
    expect(exitCodeFor(error)).toBe(EXIT.usage);
  });

  it.each([
    ['ArchiveError', new ArchiveError('failed')],
    ['IntercomRequestError', new IntercomRequestError(400, 'bad')],
    ['IntercomLimitError', new IntercomLimitError('too large')],
    ['IntercomUnavailableError', new IntercomUnavailableError('server', 7, 'HTTP 500', 500)],
    ['IntegrityError', new IntegrityError('k', 'hash mismatch')],
    ['ConcurrentWriterError', new ConcurrentWriterError('k')],
    ['AlertDeliveryError', new AlertDeliveryError('sns refused')],
    ['a plain Error', new Error('boom')],
    ['a thrown string', 'boom'],
  ])('maps %s (a run that could not complete) to 1', (_name, error) => {
    expect(exitCodeFor(error)).toBe(EXIT.failed);
  });
});
