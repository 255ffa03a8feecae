/**
 * An in-memory ActivityLogSource: serves a list of raw entries (valid or not) for a range with
 * inclusive bounds like the API, in pages of `perPage`, so the collector's parts are tested
 * without HTTP. Options make it hostile the way Intercom can be: 5xx on wide ranges, a page
 * served twice, and a clock that moves with each page (for runs with a time budget).
 */
import { IntercomUnavailableError } from '../../lambdas/core/errors.ts';
import type { ActivityLogSource, FetchRangeOptions } from '../../lambdas/core/ports.ts';
import { type ActivityPage, type TimeRange, classifyEntries } from '../../lambdas/core/intercom/schema.ts';

export interface MemorySourceOptions {
  readonly perPage?: number;
  /** Ranges wider than this many seconds fail with HTTP 500 (as large windows do in practice). */
  readonly failWiderThan?: number;
  /** Serve every page twice (a pager that repeats itself). */
  readonly repeatPages?: boolean;
  /** Called once per page served, before it is yielded: a test clock advances here. */
  readonly onPage?: (range: TimeRange) => void;
  readonly workspace?: string;
  readonly admins?: readonly unknown[];
}

export class MemorySource implements ActivityLogSource {
  readonly host = 'api.memory.test';
  readonly apiVersion = '2.17';
  readonly perPage: number;
  /** Every range asked for, in order, with the options it was asked with. */
  readonly requests: { range: TimeRange; options: FetchRangeOptions | undefined }[] = [];
  readonly listAdmins?: () => Promise<unknown[]>;
  #entries: Record<string, unknown>[];

  constructor(
    entries: readonly Record<string, unknown>[],
    private readonly options: MemorySourceOptions = {},
  ) {
    this.#entries = [...entries];
    this.perPage = options.perPage ?? 250;
    const admins = options.admins;
    if (admins) this.listAdmins = async () => [...admins];
  }

  /** Adds entries (late arrivals, or a live workspace's new activity). */
  add(...entries: Record<string, unknown>[]): void {
    this.#entries.push(...entries);
  }

  /** The entries a range holds, inclusive on both bounds. */
  inRange(range: TimeRange): Record<string, unknown>[] {
    return this.#entries.filter((e) => {
      const t = typeof e.created_at === 'number' ? e.created_at : Number(e.created_at);
      return t >= range.after && t <= range.before;
    });
  }

  async *fetchRange(range: TimeRange, options?: FetchRangeOptions): AsyncGenerator<ActivityPage> {
    this.requests.push({ range, options });
    if (this.options.failWiderThan !== undefined && range.before - range.after > this.options.failWiderThan) {
      throw new IntercomUnavailableError('server', (options?.maxServerRetries ?? 6) + 1, 'HTTP 500', 500);
    }
    const entries = this.inRange(range);
    const totalPages = Math.max(1, Math.ceil(entries.length / this.perPage));
    for (let page = 0; page < totalPages; page++) {
      this.options.onPage?.(range);
      const served = classifyEntries(entries.slice(page * this.perPage, (page + 1) * this.perPage));
      const withTotal = { ...served, totalPages };
      yield withTotal;
      if (this.options.repeatPages) yield withTotal;
    }
  }

  async workspaceId(): Promise<string> {
    return this.options.workspace ?? 'ws-memory';
  }
}

/** `count` valid entries spread evenly over [from, to), ids `<prefix>-<n>`. */
export function spreadEntries(prefix: string, from: number, to: number, count: number): Record<string, unknown>[] {
  const step = (to - from) / count;
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    created_at: from + Math.floor(i * step),
    activity_type: 'admin_login_success',
    activity_description: `teammate ${i % 7} logged in`,
    performed_by: { type: 'admin', id: String(100 + (i % 7)), email: `t${i % 7}@example.com`, ip: '192.0.2.10' },
    metadata: { n: i },
  }));
}
