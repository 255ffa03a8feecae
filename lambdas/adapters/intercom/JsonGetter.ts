import {
  IntercomAuthError,
  IntercomForbiddenError,
  IntercomLimitError,
  IntercomRedirectError,
  IntercomRequestError,
  IntercomUnavailableError,
  ReadCancelledError,
} from '../../core/errors.ts';
import { type TransientFailure, backoffMs, backoffOrThrow } from './backoff.ts';
import type { PaceMeter } from './PaceMeter.ts';
import type { RateBudget } from './RateBudget.ts';
import { PageTooLargeError, formatMb, networkDetail, readCapped, readErrorBody, redirectOrigin, shortIssue } from './responseBodies.ts';
import type { ClientSettings } from './settings.ts';

/** Checks a parsed body; `bytes` is the body's size as read. */
export type Validate<T> = (json: unknown, bytes: number) => { success: true; data: T } | { success: false; error: unknown };

/** What one request came to: the value, a failure worth retrying, or a rate-limit wait already sat out. */
type Attempt<T> = { data: T } | { failure: TransientFailure; server: boolean } | { waited: true };

interface Counters {
  transient: number;
  server: number;
  rateLimitWaits: number;
}

const cancelBody = (response: Response) => response.body?.cancel().catch(() => undefined);

/**
 * One GET against Intercom, retried until it yields validated JSON or a failure that retrying
 * cannot fix. Never follows a redirect, never reads past the page cap, and never passes a
 * library's error on (it can quote the request headers, i.e. the token).
 */
export class JsonGetter {
  constructor(
    private readonly settings: ClientSettings,
    private readonly headers: Record<string, string>,
    private readonly rate: RateBudget,
    private readonly meter: PaceMeter,
  ) {}

  /** `signal` calls the request off: it then throws ReadCancelledError, without retrying. */
  async get<T>(url: URL, maxServerRetries: number | undefined, validate: Validate<T>, signal?: AbortSignal): Promise<T> {
    const counts: Counters = { transient: 0, server: 0, rateLimitWaits: 0 };
    for (;;) {
      if (signal?.aborted) throw new ReadCancelledError();
      await this.rate.pace();
      if (signal?.aborted) {
        this.rate.settled();
        throw new ReadCancelledError();
      }
      const attempt = await this.attempt(url, counts, validate, signal);
      if (signal?.aborted) throw new ReadCancelledError();
      if ('data' in attempt) return attempt.data;
      if (!('failure' in attempt)) continue;
      counts.transient += 1;
      if (attempt.server) {
        counts.server += 1;
        await backoffOrThrow(this.settings, attempt.failure, counts.server, maxServerRetries ?? this.settings.maxRetries);
      } else {
        await backoffOrThrow(this.settings, attempt.failure, counts.transient, this.settings.maxRetries);
      }
    }
  }

  private async attempt<T>(url: URL, counts: Counters, validate: Validate<T>, signal: AbortSignal | undefined): Promise<Attempt<T>> {
    let response: Response;
    const startedMs = this.settings.now();
    try {
      response = await this.settings.fetch(url, {
        headers: this.headers,
        // Never follow a redirect: the entries must come from the host asked (it is their
        // recorded provenance), and the token must not be offered to another one.
        redirect: 'manual',
        signal: signal
          ? AbortSignal.any([AbortSignal.timeout(this.settings.timeoutMs), signal])
          : AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      this.rate.settled();
      if (signal?.aborted) throw new ReadCancelledError();
      // No `cause`: a library's error can quote the request headers, so it is never passed on.
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const failure: TransientFailure = timedOut
        ? { kind: 'timeout', detail: `no answer within ${this.settings.timeoutMs} ms` }
        : { kind: 'network', detail: networkDetail(error) };
      return { failure, server: false };
    }
    this.settings.onEvent?.({ type: 'request', status: response.status });
    this.rate.settled();
    this.rate.update(response.headers);
    const status = await this.checkStatus(response, url, counts);
    if (status === 'waited') return { waited: true };
    if (status !== 'ok') return { failure: status, server: true };
    return this.readPage(response, url, validate, startedMs);
  }

  /** Throws for an answer retrying cannot fix; sits out a 429; returns a 5xx as a failure to retry. */
  private async checkStatus(response: Response, url: URL, counts: Counters): Promise<'ok' | 'waited' | TransientFailure> {
    const status = response.status;
    if (status >= 300 && status < 400) {
      await cancelBody(response);
      throw new IntercomRedirectError(status, redirectOrigin(response.headers.get('location'), url));
    }
    if (status === 429) {
      await cancelBody(response);
      await this.sitOutRateLimit(counts);
      return 'waited';
    }
    if (status === 401) throw new IntercomAuthError((await readErrorBody(response)).requestId);
    if (status === 403) {
      const err = await readErrorBody(response);
      throw new IntercomForbiddenError(err.codes[0] ?? 'forbidden', err.requestId);
    }
    if (status >= 500) {
      await cancelBody(response);
      return { kind: 'server', detail: `HTTP ${status}`, status };
    }
    if (status !== 200) {
      const err = await readErrorBody(response);
      throw new IntercomRequestError(
        status,
        err.codes.length ? err.codes.join(', ') + (err.messages.length ? ` — ${err.messages.join('; ')}` : '') : 'unexpected status',
      );
    }
    return 'ok';
  }

  private async sitOutRateLimit(counts: Counters): Promise<void> {
    counts.rateLimitWaits += 1;
    this.rate.rateLimited();
    if (counts.rateLimitWaits > this.settings.maxRateLimitWaits) {
      throw new IntercomUnavailableError(
        'rate-limit',
        counts.rateLimitWaits,
        'HTTP 429 every time; other apps may be using the whole workspace budget',
        429,
      );
    }
    const waitMs = this.rate.untilResetMs() ?? backoffMs(this.settings, counts.rateLimitWaits);
    this.settings.onEvent?.({ type: 'rate-limited', waitMs });
    await this.settings.sleep(waitMs);
    this.rate.forget();
  }

  /** Reads a 200 body within the page cap and validates it; a cut-off or invalid body is worth a retry. */
  private async readPage<T>(response: Response, url: URL, validate: Validate<T>, startedMs: number): Promise<Attempt<T>> {
    let text: string;
    try {
      text = await readCapped(response, this.settings.maxPageBytes);
    } catch (error) {
      if (error instanceof PageTooLargeError) {
        throw new IntercomLimitError(
          `Intercom sent a page larger than the ${formatMb(this.settings.maxPageBytes)} limit (${url.pathname}); stopped reading it. ` +
            'A page of 250 entries is normally well under 1 MB: if this server really sends pages this large, raise --max-page-mb.',
        );
      }
      return { failure: { kind: 'network', detail: `body cut off: ${networkDetail(error)}` }, server: false };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const detail = /^\s*</.test(text)
        ? 'HTTP 200 with an HTML page instead of JSON'
        : `HTTP 200 with a body that is not valid JSON (${text.length} bytes)`;
      return { failure: { kind: 'invalid-body', detail }, server: false };
    }
    const parsed = validate(json, text.length);
    if (!parsed.success) {
      const detail = `HTTP 200 with JSON that is not an activity-log page: ${shortIssue(parsed.error)}`;
      return { failure: { kind: 'invalid-body', detail }, server: false };
    }
    this.meter.observe((this.settings.now() - startedMs) / 1000, text.length);
    return { data: parsed.data };
  }
}
