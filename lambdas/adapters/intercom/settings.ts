/** The Intercom client's options, their defaults (defined once here) and the events it reports. */
import type { TransientKind } from '../../core/errors.ts';

export const INTERCOM_API_VERSION = '2.17';
export const MAX_PER_PAGE = 250;

export const REGION_HOSTS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;
export type IntercomRegion = keyof typeof REGION_HOSTS;

/** @default 32 MiB: a full page of 250 entries is well under 1 MiB. */
export const DEFAULT_MAX_PAGE_BYTES = 32 * 1024 * 1024;

/** Something the client observed, for metrics and progress (never carries a body or token). */
export type ClientEvent =
  | { type: 'request'; status: number }
  | { type: 'rate-limited'; waitMs: number }
  | { type: 'paced'; waitMs: number }
  | { type: 'retry'; kind: TransientKind; attempt: number; waitMs: number; status?: number };

export interface IntercomClientOptions {
  readonly token: string;
  /** Explicit base URL (simulator, proxy); wins over `region`. */
  readonly baseUrl?: string;
  /** @default 'us' */
  readonly region?: IntercomRegion;
  /** @default 250 — the endpoint's maximum; the client still works if the server ignores it. */
  readonly perPage?: number;
  /** Share of the rate budget this app may use, (0, 1]. Other apps share the workspace budget. @default 1 */
  readonly budgetShare?: number;
  /** Retries of a transient failure before giving up. @default 6 */
  readonly maxRetries?: number;
  /** How many 429 answers in a row to sit out before giving up. @default 30 */
  readonly maxRateLimitWaits?: number;
  /** Per-request timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** First backoff delay; doubles per attempt with full jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** @default 20000 */
  readonly maxDelayMs?: number;
  /** Largest page body read; a larger one stops the run. @default 32 MiB */
  readonly maxPageBytes?: number;
  readonly onEvent?: (event: ClientEvent) => void;
  /** Injected for tests. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Every option with its default filled in. */
export type ClientSettings = Required<Omit<IntercomClientOptions, 'baseUrl' | 'region' | 'onEvent' | 'token'>> &
  Pick<IntercomClientOptions, 'onEvent'>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Validates the numeric options and fills in the defaults; throws a RangeError naming the bad option. */
export function resolveSettings(options: IntercomClientOptions): ClientSettings {
  const budgetShare = options.budgetShare ?? 1;
  if (!(budgetShare > 0 && budgetShare <= 1)) throw new RangeError(`budgetShare must be in (0, 1], got ${budgetShare}`);
  const perPage = options.perPage ?? MAX_PER_PAGE;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw new RangeError(`perPage must be an integer from 1 to ${MAX_PER_PAGE}, got ${options.perPage}`);
  }
  return {
    perPage,
    budgetShare,
    maxRetries: options.maxRetries ?? 6,
    maxRateLimitWaits: options.maxRateLimitWaits ?? 30,
    timeoutMs: options.timeoutMs ?? 30_000,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 20_000,
    maxPageBytes: options.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES,
    onEvent: options.onEvent,
    fetch: options.fetch ?? globalThis.fetch,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
}
