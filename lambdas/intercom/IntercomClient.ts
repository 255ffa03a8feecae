/**
 * HTTP client for Intercom's `GET /admins/activity_logs` and `GET /me`.
 *
 * Written by hand on purpose: the official `intercom-client` SDK sends only
 * `created_at_after`/`created_at_before` and never follows the activity-log pages
 * (`pages.next`), so a range with more than one page would silently lose entries.
 * This client pins `Intercom-Version: 2.17` (the first version whose reference documents
 * `page`/`per_page` on this endpoint), follows `pages.next` verbatim, paces itself against
 * the per-10-second rate budget, and retries only what is worth retrying.
 */
import {
  ConfigurationError,
  IntercomAuthError,
  IntercomLimitError,
  IntercomRedirectError,
  IntercomForbiddenError,
  IntercomRequestError,
  IntercomUnavailableError,
  type TransientKind,
} from '../core/errors.ts';
import type { ActivityLogSource, FetchRangeOptions } from '../core/ports.ts';
import { type ActivityPage, type PageEnvelope, type TimeRange, classifyEntries, pageEnvelopeSchema } from '../core/intercom/schema.ts';
import { safeText } from '../core/text/safeText.ts';

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
/** Error bodies are small; anything larger is not read past this. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Checks an access token where it is loaded (environment, secret): printable ASCII without
 * spaces. A line break or control character would otherwise reach the HTTP library, whose
 * error message quotes the whole header value — the token — into logs. The message never
 * contains the token, not even a part of it.
 */
export function checkToken(token: string, where: string): string {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigurationError(
      `${where}: the access token contains whitespace, a line break, a control or a non-ASCII character (it was probably pasted with one); set the token again exactly as the Intercom Developer Hub shows it`,
    );
  }
  return token;
}

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

interface RateState {
  limit: number;
  remaining: number;
  resetAtMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class IntercomClient implements ActivityLogSource {
  readonly host: string;
  readonly apiVersion = INTERCOM_API_VERSION;
  readonly perPage: number;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly opts: Required<Omit<IntercomClientOptions, 'baseUrl' | 'region' | 'onEvent' | 'token'>> &
    Pick<IntercomClientOptions, 'onEvent'>;
  private rate: RateState | undefined;

  constructor(options: IntercomClientOptions) {
    checkToken(options.token ?? '', 'IntercomClient');
    const budgetShare = options.budgetShare ?? 1;
    if (!(budgetShare > 0 && budgetShare <= 1)) throw new RangeError(`budgetShare must be in (0, 1], got ${budgetShare}`);
    this.perPage = options.perPage ?? MAX_PER_PAGE;
    if (!Number.isInteger(this.perPage) || this.perPage < 1 || this.perPage > MAX_PER_PAGE) {
      throw new RangeError(`perPage must be an integer from 1 to ${MAX_PER_PAGE}, got ${options.perPage}`);
    }
    this.base = new URL(options.baseUrl ?? REGION_HOSTS[options.region ?? 'us']);
    this.host = this.base.host;
    this.headers = {
      Authorization: `Bearer ${options.token}`,
      Accept: 'application/json',
      'Intercom-Version': INTERCOM_API_VERSION,
    };
    this.opts = {
      perPage: this.perPage,
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

  /** The first-page URL for a range; later pages come from `pages.next`. */
  rangeUrl(range: TimeRange): URL {
    const url = new URL('admins/activity_logs', this.withSlash(this.base));
    url.searchParams.set('created_at_after', String(range.after));
    url.searchParams.set('created_at_before', String(range.before));
    url.searchParams.set('per_page', String(this.perPage));
    return url;
  }

  /**
   * Yields the pages of one range as they arrive, following `pages.next` until it is null or absent.
   * @example for await (const page of client.fetchRange({ after: 1700000000, before: 1700086400 })) { ... }
   */
  async *fetchRange(range: TimeRange, options: FetchRangeOptions = {}): AsyncGenerator<ActivityPage> {
    const seen = new Set<string>();
    const request = (url: URL): Promise<PageEnvelope> => {
      if (seen.has(url.href)) {
        return Promise.reject(
          new IntercomRequestError(200, `pages.next pointed back to a page already read (${url.pathname}${url.search}); refusing to loop`),
        );
      }
      seen.add(url.href);
      const promise = this.getJson(url, options.maxServerRetries, (json) => pageEnvelopeSchema.safeParse(json));
      promise.catch(() => undefined); // awaited below; this only stops an early `return` leaving it unhandled
      return promise;
    };
    const limit = new PageLimit(range);
    let pending: Promise<PageEnvelope> | undefined = request(this.rangeUrl(range));
    while (pending) {
      const body: PageEnvelope = await pending;
      const next: string | null | undefined = body.pages?.next;
      // A server that keeps sending new `pages.next` URLs would keep a run going until killed.
      if (next) limit.check(body);
      // Ask for the next page before handing this one over: the caller's work overlaps the
      // network wait, and still only one request of this range is in flight at a time.
      pending = next ? request(this.checkNext(next)) : undefined;
      const total = body.pages?.total_pages;
      yield { ...classifyEntries(body.activity_logs), ...(typeof total === 'number' && total > 0 && { totalPages: total }) };
    }
  }

  async workspaceId(): Promise<string> {
    const url = new URL('me', this.withSlash(this.base));
    const body = await this.getJson(url, undefined, (json) => {
      const app = (json as { app?: { id_code?: unknown } } | null)?.app;
      return typeof app?.id_code === 'string' && app.id_code.length > 0
        ? { success: true as const, data: app.id_code }
        : { success: false as const, error: new Error('GET /me has no app.id_code') };
    });
    return body;
  }

  /**
   * The workspace's teammates (`GET /admins`, not paginated), each admin object as served.
   * Needs the app's "Read admins" permission: without it Intercom answers 401/403 and this throws
   * the client's usual auth errors (the collector turns them into one warning).
   */
  async listAdmins(): Promise<unknown[]> {
    const url = new URL('admins', this.withSlash(this.base));
    return this.getJson(url, undefined, (json) => {
      const body = json as { type?: unknown; admins?: unknown } | null;
      return body?.type === 'admin.list' && Array.isArray(body.admins)
        ? { success: true as const, data: body.admins as unknown[] }
        : { success: false as const, error: new Error("GET /admins is not an 'admin.list' with an 'admins' array") };
    });
  }

  private withSlash(url: URL): URL {
    return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
  }

  /** `pages.next` is followed verbatim, but never to another origin: the token must not leave Intercom. */
  private checkNext(next: string): URL {
    const url = new URL(next);
    if (url.origin !== this.base.origin) {
      throw new IntercomRequestError(200, `pages.next points to another host (${url.origin}); refusing to send the token there`);
    }
    return url;
  }

  private async getJson<T>(
    url: URL,
    maxServerRetries: number | undefined,
    validate: (json: unknown) => { success: true; data: T } | { success: false; error: unknown },
  ): Promise<T> {
    let transientFailures = 0;
    let serverFailures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      await this.pace();
      // No `cause`: a library's error can quote the request headers, so it is never passed on.
      let failure: { kind: TransientKind; detail: string; status?: number };
      let response: Response;
      try {
        response = await this.opts.fetch(url, {
          headers: this.headers,
          // Never follow a redirect: the entries must come from the host asked (it is their
          // recorded provenance), and the token must not be offered to another one.
          redirect: 'manual',
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        failure = timedOut
          ? { kind: 'timeout', detail: `no answer within ${this.opts.timeoutMs} ms` }
          : { kind: 'network', detail: networkDetail(error) };
        transientFailures += 1;
        await this.backoffOrThrow(failure, transientFailures, this.opts.maxRetries);
        continue;
      }
      this.opts.onEvent?.({ type: 'request', status: response.status });
      this.updateRate(response.headers);

      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => undefined);
        throw new IntercomRedirectError(response.status, redirectOrigin(response.headers.get('location'), url));
      }
      if (response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        rateLimitWaits += 1;
        if (rateLimitWaits > this.opts.maxRateLimitWaits) {
          throw new IntercomUnavailableError(
            'rate-limit',
            rateLimitWaits,
            'HTTP 429 every time; other apps may be using the whole workspace budget',
            429,
          );
        }
        const waitMs = this.untilResetMs() ?? this.backoffMs(rateLimitWaits);
        this.opts.onEvent?.({ type: 'rate-limited', waitMs });
        await this.opts.sleep(waitMs);
        this.rate = undefined; // a new window: the next answer tells us its budget
        continue;
      }
      if (response.status === 401) {
        const err = await readErrorBody(response);
        throw new IntercomAuthError(err.requestId);
      }
      if (response.status === 403) {
        const err = await readErrorBody(response);
        throw new IntercomForbiddenError(err.codes[0] ?? 'forbidden', err.requestId);
      }
      if (response.status >= 500) {
        await response.body?.cancel().catch(() => undefined);
        serverFailures += 1;
        transientFailures += 1;
        failure = { kind: 'server', detail: `HTTP ${response.status}`, status: response.status };
        await this.backoffOrThrow(failure, serverFailures, maxServerRetries ?? this.opts.maxRetries);
        continue;
      }
      if (response.status !== 200) {
        const err = await readErrorBody(response);
        throw new IntercomRequestError(
          response.status,
          err.codes.length ? err.codes.join(', ') + (err.messages.length ? ` — ${err.messages.join('; ')}` : '') : 'unexpected status',
        );
      }

      let text: string;
      try {
        text = await readCapped(response, this.opts.maxPageBytes);
      } catch (error) {
        if (error instanceof PageTooLargeError) {
          throw new IntercomLimitError(
            `Intercom sent a page larger than the ${formatMb(this.opts.maxPageBytes)} limit (${url.pathname}); stopped reading it. ` +
              'A page of 250 entries is normally well under 1 MB: if this server really sends pages this large, raise --max-page-mb.',
          );
        }
        transientFailures += 1;
        await this.backoffOrThrow(
          { kind: 'network', detail: `body cut off: ${networkDetail(error)}` },
          transientFailures,
          this.opts.maxRetries,
        );
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        const looksHtml = /^\s*</.test(text);
        transientFailures += 1;
        await this.backoffOrThrow(
          {
            kind: 'invalid-body',
            detail: looksHtml
              ? 'HTTP 200 with an HTML page instead of JSON'
              : `HTTP 200 with a body that is not valid JSON (${text.length} bytes)`,
          },
          transientFailures,
          this.opts.maxRetries,
        );
        continue;
      }
      const parsed = validate(json);
      if (!parsed.success) {
        transientFailures += 1;
        await this.backoffOrThrow(
          { kind: 'invalid-body', detail: `HTTP 200 with JSON that is not an activity-log page: ${shortIssue(parsed.error)}` },
          transientFailures,
          this.opts.maxRetries,
        );
        continue;
      }
      return parsed.data;
    }
  }

  private async backoffOrThrow(
    failure: { kind: TransientKind; detail: string; status?: number },
    attempt: number,
    maxRetries: number,
  ): Promise<void> {
    if (attempt > maxRetries) {
      throw new IntercomUnavailableError(failure.kind, attempt, failure.detail, failure.status);
    }
    const waitMs = this.backoffMs(attempt);
    this.opts.onEvent?.({
      type: 'retry',
      kind: failure.kind,
      attempt,
      waitMs,
      ...(failure.status !== undefined && { status: failure.status }),
    });
    await this.opts.sleep(waitMs);
  }

  /** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.opts.random() * ceiling) / 2);
  }

  private updateRate(headers: Headers): void {
    const limit = Number(headers.get('x-ratelimit-limit'));
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (!headers.has('x-ratelimit-limit') || !Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    this.rate = { limit, remaining, resetAtMs: reset * 1000 };
  }

  private untilResetMs(): number | undefined {
    if (!this.rate) return undefined;
    // Reset is in whole seconds: add a little so we never arrive a moment early.
    return Math.max(0, this.rate.resetAtMs - this.opts.now()) + 50 + Math.round(this.opts.random() * 100);
  }

  /**
   * Waits for the next rate window when this app's share of the budget is spent. The budget
   * is per 10-second window and shared with the workspace's other apps, so we keep
   * `(1 - budgetShare) * limit` of it untouched and count our own requests in flight.
   */
  private async pace(): Promise<void> {
    const rate = this.rate;
    if (!rate) return;
    if (this.opts.now() >= rate.resetAtMs) {
      this.rate = undefined;
      return;
    }
    const reserve = Math.floor(rate.limit * (1 - this.opts.budgetShare));
    if (rate.remaining <= reserve + 1) {
      const waitMs = this.untilResetMs() ?? 0;
      this.opts.onEvent?.({ type: 'paced', waitMs });
      await this.opts.sleep(waitMs);
      this.rate = undefined;
      return;
    }
    rate.remaining -= 1;
  }
}

/**
 * What went wrong on the wire, from error codes only: a library's message can quote request
 * headers (undici: 'Headers.append: "Bearer …" is an invalid header value'), so none is passed on.
 */
function networkDetail(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  const name = error instanceof Error ? error.name : typeof error;
  return `request failed (${/^[A-Za-z]{1,40}$/.test(name) ? name : 'error'})`;
}

class PageTooLargeError extends Error {}

/** Reads a body as text, stopping (and cancelling the stream) once it passes `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new PageTooLargeError();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PageTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

const formatMb = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(3))} MB`;

/** The origin a redirect points to, and nothing of its path or query (which may carry anything). */
function redirectOrigin(location: string | null, base: URL): string {
  if (!location) return 'no Location header';
  try {
    return safeText(new URL(location, base).origin);
  } catch {
    return 'an invalid Location header';
  }
}

/**
 * How many pages one range may take: the server's own `total_pages` (the largest it reported), or
 * without one the pages its distinct entries fill, plus slack for entries arriving while it is read. A server
 * that sends empty or repeated pages with ever new `pages.next` links stops within the slack.
 */
class PageLimit {
  private pages = 0;
  private totalPages = 0;
  private pageSize = 1;
  private readonly ids = new Set<string>();
  private anonymous = 0;

  constructor(private readonly range: TimeRange) {}

  check(body: PageEnvelope): void {
    this.pages += 1;
    const total = body.pages?.total_pages;
    if (typeof total === 'number' && total > this.totalPages) this.totalPages = total;
    this.pageSize = Math.max(this.pageSize, body.activity_logs.length);
    for (const raw of body.activity_logs) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string') this.ids.add(id);
      else this.anonymous += 1;
    }
    const filled = Math.ceil((this.ids.size + this.anonymous) / this.pageSize);
    // The server's own count when it gives one; otherwise the pages its distinct entries fill.
    const base = this.totalPages > 0 ? this.totalPages : filled;
    const allowed = base + Math.max(3, Math.ceil(base / 10));
    if (this.pages >= allowed) {
      throw new IntercomLimitError(
        `Intercom kept sending pages.next for the range ${this.range.after}–${this.range.before}: ${this.pages} pages read, but it reported ${this.totalPages || 'no'} total_pages ` +
          `and served ${this.ids.size + this.anonymous} distinct entries (${filled} pages' worth); stopped instead of following it further. A rerun tries again.`,
      );
    }
  }
}

function shortIssue(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (issues?.length)
    return issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads Intercom's `error.list` body; only codes, messages and the request id, never headers.
 * They are the server's words: control characters are stripped and each is cut to a sane length.
 */
async function readErrorBody(response: Response): Promise<{ requestId?: string; codes: string[]; messages: string[] }> {
  try {
    const body = JSON.parse(await readCapped(response, MAX_ERROR_BODY_BYTES)) as {
      request_id?: unknown;
      errors?: { code?: unknown; message?: unknown }[];
    };
    const errors = Array.isArray(body.errors) ? body.errors.slice(0, 5) : [];
    const clean = (text: string, max: number) => safeText(text).slice(0, max);
    return {
      ...(typeof body.request_id === 'string' && { requestId: clean(body.request_id, 100) }),
      codes: errors
        .map((e) => e?.code)
        .filter((c): c is string => typeof c === 'string')
        .map((c) => clean(c, 100)),
      messages: errors
        .map((e) => e?.message)
        .filter((m): m is string => typeof m === 'string')
        .map((m) => clean(m, 300)),
    };
  } catch {
    return { codes: [], messages: [] };
  }
}
