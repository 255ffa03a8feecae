import { IntercomLimitError } from '../../core/errors.ts';
import type { PageEnvelope, TimeRange } from '../../core/intercom/schema.ts';

/**
 * How many pages one range may take: the server's own `total_pages` (the largest it reported), or
 * without one the pages its distinct entries fill, plus slack for entries arriving while it is read. A server
 * that sends empty or repeated pages with ever new `pages.next` links stops within the slack.
 */
export class PageLimit {
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
