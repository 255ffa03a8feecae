/**
 * Fills one window (or lookback): fetches [from, to) and writes every id not archived yet as
 * parts of its kind. An entry of a found part is confirmed when served identical; an id archived
 * before and served with other content is a conflict; a found part is listed only when Intercom
 * confirmed every line of it, otherwise it is rejected and its confirmed entries written again.
 */
import type { ObjectStore } from '../ports.ts';
import type { ActivityLog, ActivityPage, QuarantinedEntry } from '../intercom/schema.ts';
import type { Provenance } from '../archive/columns.ts';
import { type PartKind, dataKey, quarantineKey, utcDate } from '../archive/keys.ts';
import { toArchiveLineOrReason, toQuarantineLine } from '../archive/lines.ts';
import type { Conflict, RejectedPart } from '../archive/manifest.ts';
import { PartWriter, type PartRecord } from '../archive/PartWriter.ts';
import type { Adopted } from './foundParts.ts';
import { UNHASHABLE, entrySha, quarantineKeyOf } from './entrySha.ts';
import type { RangeFetcher } from './RangeFetcher.ts';
import type { RunCounters } from './RunCounters.ts';
import type { SeenSet } from './SeenSet.ts';
import type { ResolvedSettings } from './settings.ts';
import { rewriteConfirmed, settleFoundParts } from './settleFound.ts';

export interface FillContext {
  readonly store: ObjectStore;
  readonly settings: Pick<ResolvedSettings, 'workspaceId' | 'partMaxBytes' | 'now' | 'observer'>;
  readonly provenance: Provenance;
  readonly counters: RunCounters;
  readonly fetcher: RangeFetcher;
}

/** What a filled window lists, rejects and records: the manifest's content. */
export interface Filled {
  readonly parts: PartRecord[];
  readonly quarantineParts: PartRecord[];
  readonly rejected: RejectedPart[];
  readonly conflicts: Conflict[];
  readonly adoptedParts: number;
  readonly ranges: [number, number][];
  readonly pages: number;
}

/** The writers and findings of one window while it is filled. */
export class WindowFill {
  readonly late: boolean;
  readonly writer: PartWriter;
  readonly quarantine: PartWriter;
  readonly conflicts: Conflict[] = [];
  readonly #ranges: [number, number][] = [];

  constructor(
    readonly ctx: FillContext,
    readonly kind: PartKind,
    readonly from: number,
    readonly to: number,
    readonly seen: SeenSet,
    readonly adopted: Adopted,
  ) {
    const { store, settings } = ctx;
    this.late = kind === 'late';
    this.writer = new PartWriter(
      store,
      (dt, n) => dataKey(settings.workspaceId, dt, from, kind, n),
      adopted.nextPart,
      settings.partMaxBytes,
    );
    this.quarantine = new PartWriter(
      store,
      (_dt, n) => quarantineKey(settings.workspaceId, from, kind, n),
      adopted.nextQuarantine,
      settings.partMaxBytes,
    );
  }

  /** Fetches the window, writes what is new, settles the found parts and closes every part. */
  async run(): Promise<Filled> {
    const { counters, fetcher } = this.ctx;
    const pagesBefore = counters.pages;
    for await (const page of fetcher.pagesCovering(this.from, this.to, this.#ranges)) await this.#page(page);
    const settled = settleFoundParts(this);
    if (settled.rejectedParts.size > 0) await rewriteConfirmed(this, settled.rejectedParts);
    const parts = await this.writer.finish();
    const quarantineParts = await this.quarantine.finish();
    counters.partsWritten += parts.length + quarantineParts.length;
    counters.conflicts += this.conflicts.length;
    return {
      parts: [...settled.listed, ...parts],
      quarantineParts: [...settled.listedQuarantine, ...quarantineParts],
      rejected: settled.rejected,
      conflicts: this.conflicts,
      adoptedParts: settled.listed.length + settled.listedQuarantine.length,
      ranges: this.#ranges,
      pages: counters.pages - pagesBefore,
    };
  }

  /** Archives one entry; returns why it cannot be archived (it then goes to quarantine), if so. */
  async writeEntry(entry: ActivityLog, sha: string, ingestedAt: string): Promise<string | undefined> {
    if (sha === UNHASHABLE) return 'the entry cannot be hashed as canonical JSON (nested too deep or not serialisable)';
    const converted = toArchiveLineOrReason(entry, this.ctx.settings.workspaceId, this.ctx.provenance, ingestedAt, this.late);
    if ('reason' in converted) return converted.reason;
    this.seen.set(entry.id, { sha, part: await this.writer.add(utcDate(entry.created_at), converted.line, entry.created_at) });
    this.ctx.counters.wrote(entry.created_at);
    return undefined;
  }

  /** Writes `entry` to this window's quarantine under `key`; returns the part holding it. */
  quarantineEntry(entry: QuarantinedEntry, key: string, ingestedAt: string): Promise<string> {
    const { settings, provenance } = this.ctx;
    return this.quarantine.add(
      utcDate(this.from),
      toQuarantineLine(entry, key, settings.workspaceId, provenance, ingestedAt),
      entry.createdAt ?? null,
    );
  }

  async #page(page: ActivityPage): Promise<void> {
    const ingestedAt = this.ctx.settings.now().toISOString();
    let kept = 0;
    let quarantined = 0;
    // Valid entries that still cannot be archived (too deep to serialise, …) go to quarantine with the reason.
    const poisoned: QuarantinedEntry[] = [];
    for (const entry of page.entries) {
      if (entry.created_at < this.from || entry.created_at >= this.to) continue;
      const outcome = await this.#entry(entry, ingestedAt);
      if (outcome === 'kept') kept += 1;
      else if (outcome === 'conflict') quarantined += 1;
      else if (typeof outcome === 'object') poisoned.push(outcome);
    }
    for (const entry of poisoned.length ? [...page.quarantined, ...poisoned] : page.quarantined) {
      if (await this.#quarantined(entry, ingestedAt)) quarantined += 1;
    }
    this.ctx.counters.kept(kept, this.late);
    this.ctx.counters.quarantined += quarantined;
    this.ctx.settings.observer.onPage?.({ kept, quarantined, served: page.entries.length + page.quarantined.length });
  }

  /** One valid entry of the window: confirmed, a duplicate, a conflict, kept, or poisoned (to quarantine). */
  async #entry(
    entry: ActivityLog,
    ingestedAt: string,
  ): Promise<'confirmed' | 'duplicate' | 'conflict' | 'skip' | 'kept' | QuarantinedEntry> {
    const sha = entrySha(entry);
    const candidate = this.adopted.candidates.get(`e:${entry.id}`);
    if (candidate && !candidate.served && sha !== UNHASHABLE && candidate.sha === sha && !this.seen.has(entry.id)) {
      // Served again, identical: the found part holds it.
      candidate.served = entry;
      candidate.part.confirmed += 1;
      this.seen.set(entry.id, { sha, part: candidate.part.record.key });
      return 'confirmed';
    }
    const known = this.seen.get(entry.id);
    if (known) {
      if (known.sha === sha) {
        this.ctx.counters.duplicates += 1;
        return 'duplicate';
      }
      return (await this.#conflict(entry, sha, known, ingestedAt)) ? 'conflict' : 'skip';
    }
    const reason = await this.writeEntry(entry, sha, ingestedAt);
    if (reason !== undefined) return { raw: entry, reason, id: entry.id, createdAt: entry.created_at };
    return 'kept';
  }

  /** The source changed an entry it had served: keep both, as evidence. Returns true when newly quarantined. */
  async #conflict(entry: ActivityLog, sha: string, known: { sha: string; part: string }, ingestedAt: string): Promise<boolean> {
    const key = `conflict:${entry.id}:${sha}`;
    if (this.seen.hasQuarantined(key)) return false;
    this.seen.addQuarantined(key);
    const reason = `conflict: id ${entry.id} was served again with different content (canonical SHA-256 ${sha}; archived ${known.sha} in ${known.part})`;
    const part = await this.quarantineEntry({ raw: entry, reason, id: entry.id, createdAt: entry.created_at }, key, ingestedAt);
    this.conflicts.push({ id: entry.id, archived_sha256: known.sha, served_sha256: sha, archived_part: known.part, quarantine_part: part });
    return true;
  }

  /** One quarantined entry of the window: confirmed from a found part, already known, or quarantined now (true). */
  async #quarantined(entry: QuarantinedEntry, ingestedAt: string): Promise<boolean> {
    if (entry.createdAt !== undefined && (entry.createdAt < this.from || entry.createdAt >= this.to)) return false;
    const key = quarantineKeyOf(entry);
    const candidate = this.adopted.candidates.get(`q:${key}`);
    if (
      candidate &&
      !candidate.served &&
      !this.seen.hasQuarantined(key) &&
      candidate.sha !== UNHASHABLE &&
      candidate.sha === entrySha(entry.raw)
    ) {
      candidate.served = entry;
      candidate.part.confirmed += 1;
      this.seen.addQuarantined(key);
      return false;
    }
    if (this.seen.hasQuarantined(key)) return false;
    this.seen.addQuarantined(key);
    await this.quarantineEntry(entry, key, ingestedAt);
    return true;
  }
}
