import { IntercomUnavailableError, type TransientKind } from '../../core/errors.ts';
import type { ClientSettings } from './settings.ts';

/** A failure worth retrying; `detail` never carries a body, a header or the token. */
export interface TransientFailure {
  kind: TransientKind;
  detail: string;
  status?: number;
}

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
export function backoffMs(settings: ClientSettings, attempt: number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (settings.random() * ceiling) / 2);
}

/** Sleeps before the next attempt, or throws `IntercomUnavailableError` once `maxRetries` are spent. */
export async function backoffOrThrow(
  settings: ClientSettings,
  failure: TransientFailure,
  attempt: number,
  maxRetries: number,
): Promise<void> {
  if (attempt > maxRetries) {
    throw new IntercomUnavailableError(failure.kind, attempt, failure.detail, failure.status);
  }
  const waitMs = backoffMs(settings, attempt);
  settings.onEvent?.({
    type: 'retry',
    kind: failure.kind,
    attempt,
    waitMs,
    ...(failure.status !== undefined && { status: failure.status }),
  });
  await settings.sleep(waitMs);
}
