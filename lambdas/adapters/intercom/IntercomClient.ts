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
import { IntercomRequestError } from '../../core/errors.ts';
import type { ActivityLogSource, FetchRangeOptions, SourcePace } from '../../core/ports.ts';
import { type ActivityPage, type PageEnvelope, type TimeRange, classifyEntries, pageEnvelopeSchema } from '../../core/intercom/schema.ts';
import { checkToken } from './checkToken.ts';
import { JsonGetter, type Validate } from './JsonGetter.ts';
import { PageLimit } from './PageLimit.ts';
import { PaceMeter } from './PaceMeter.ts';
import { RateBudget } from './RateBudget.ts';
import { INTERCOM_API_VERSION, type IntercomClientOptions, REGION_HOSTS, resolveSettings } from './settings.ts';

export { checkToken } from './checkToken.ts';
export {
  type ClientEvent,
  DEFAULT_MAX_PAGE_BYTES,
  INTERCOM_API_VERSION,
  type IntercomClientOptions,
  type IntercomRegion,
  MAX_PER_PAGE,
  REGION_HOSTS,
} from './settings.ts';

interface SizedEnvelope {
  readonly body: PageEnvelope;
  readonly bytes: number;
}

const sizedEnvelope: Validate<SizedEnvelope> = (json, bytes) => {
  const parsed = pageEnvelopeSchema.safeParse(json);
  return parsed.success ? { success: true, data: { body: parsed.data, bytes } } : parsed;
};

export class IntercomClient implements ActivityLogSource {
  readonly host: string;
  readonly apiVersion = INTERCOM_API_VERSION;
  readonly perPage: number;
  private readonly base: URL;
  private readonly http: JsonGetter;
  private readonly rate: RateBudget;
  private readonly meter = new PaceMeter();

  constructor(options: IntercomClientOptions) {
    checkToken(options.token ?? '', 'IntercomClient');
    const settings = resolveSettings(options);
    this.perPage = settings.perPage;
    this.base = new URL(options.baseUrl ?? REGION_HOSTS[options.region ?? 'us']);
    this.host = this.base.host;
    const headers = {
      Authorization: `Bearer ${options.token}`,
      Accept: 'application/json',
      'Intercom-Version': INTERCOM_API_VERSION,
    };
    this.rate = new RateBudget(settings);
    this.http = new JsonGetter(settings, headers, this.rate, this.meter);
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
  async *fetchRange(range: TimeRange, options: FetchRangeOptions = {}, signal?: AbortSignal): AsyncGenerator<ActivityPage> {
    const seen = new Set<string>();
    const request = (url: URL): Promise<SizedEnvelope> => {
      if (seen.has(url.href)) {
        return Promise.reject(
          new IntercomRequestError(200, `pages.next pointed back to a page already read (${url.pathname}${url.search}); refusing to loop`),
        );
      }
      seen.add(url.href);
      const promise = this.http.get(url, options.maxServerRetries, sizedEnvelope, signal);
      promise.catch(() => undefined); // awaited below; this only stops an early `return` leaving it unhandled
      return promise;
    };
    const limit = new PageLimit(range);
    let pending: Promise<SizedEnvelope> | undefined = request(this.rangeUrl(range));
    while (pending) {
      const { body, bytes }: SizedEnvelope = await pending;
      const next: string | null | undefined = body.pages?.next;
      // A server that keeps sending new `pages.next` URLs would keep a run going until killed.
      if (next) limit.check(body);
      // Ask for the next page before handing this one over: the caller's work overlaps the
      // network wait, and still only one request of this range is in flight at a time.
      pending = next ? request(this.checkNext(next)) : undefined;
      const total = body.pages?.total_pages;
      yield { ...classifyEntries(body.activity_logs), ...(typeof total === 'number' && total > 0 && { totalPages: total }), bytes };
    }
  }

  /** The latency and page sizes observed so far, and this app's share of the rate budget per second. */
  pace(): SourcePace {
    const latencySeconds = this.meter.latencySeconds;
    const requestsPerSecond = this.rate.requestsPerSecond();
    const largestPageBytes = this.meter.largestPageBytes;
    return {
      ...(latencySeconds !== undefined && { latencySeconds }),
      ...(requestsPerSecond !== undefined && { requestsPerSecond }),
      ...(largestPageBytes !== undefined && { largestPageBytes }),
    };
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

  private getJson<T>(url: URL, maxServerRetries: number | undefined, validate: Validate<T>): Promise<T> {
    return this.http.get(url, maxServerRetries, validate);
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
}
