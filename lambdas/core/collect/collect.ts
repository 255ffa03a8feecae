/**
 * The collector: moves a workspace's archive from its checkpoint (the chain head) up to
 * `until` in closed half-open windows, exactly once per entry id.
 *
 * - Window boundaries are ours: the API is asked with a second of margin on both sides and
 *   only entries with `from <= created_at < to` are kept, so every entry has one home window
 *   whatever the API does with its (undocumented) bound inclusivity.
 * - Crash recovery adopts only what Intercom confirms: parts are named by window start, so a
 *   rerun lists what a dead run left and re-fetches the window; a found part is listed only if
 *   Intercom serves every one of its entries again, identical (canonical JSON). Anything else is
 *   listed under `rejected_parts`, never as data, and its confirmed entries are written again.
 * - A signing run never signs a manifest it did not write: an unsigned head is superseded by a
 *   signed recovery manifest that re-collects from the last signed checkpoint.
 * - An id served again with different content is quarantined and recorded as a conflict.
 * - Late entries: each run re-reads the lookback horizon behind the checkpoint and archives
 *   ids it had not archived into parts marked late, listed by a late manifest.
 */
import { ConfigurationError, IntercomUnavailableError } from '../errors.ts';
import type { ActivityLogSource, CheckpointCache, ManifestSigner, ObjectStore } from '../ports.ts';
import { type SignatureRecord, signManifest } from '../signing/signatures.ts';
import { type RecoveryPlan, planSigning, refsOf } from '../signing/recovery.ts';
import { assertChainKey } from '../signing/chainKey.ts';
import type { ActivityLog, ActivityPage, QuarantinedEntry, TimeRange } from '../intercom/schema.ts';
import { type StoredManifest, appendManifest, findHead, readManifest } from '../archive/chain.ts';
import type { Provenance } from '../archive/columns.ts';
import {
  type PartKind,
  assertWorkspaceId,
  dataKey,
  dataPrefix,
  parsePartKey,
  quarantineKey,
  quarantinePrefix,
  stamp,
  utcDate,
} from '../archive/keys.ts';
import { readGzipLines, stringifyDeep, toArchiveLineOrReason, toQuarantineLine } from '../archive/lines.ts';
import {
  type Conflict,
  type Manifest,
  type ManifestPart,
  type RejectedPart,
  canonicalSha256,
  isWindowKind,
  iso,
  sha256Hex,
} from '../archive/manifest.ts';
import { newManifest } from '../archive/newManifest.ts';
import { ensureIndex, withIndex, writeIndex } from '../archive/partIndex.ts';
import { PartWriter, type PartRecord } from '../archive/PartWriter.ts';
import { saveDailyRoster } from './roster.ts';

export const DAY_SECONDS = 86_400;

export interface CollectSettings {
  readonly workspaceId: string;
  /** Where a new archive starts (UNIX seconds). Ignored, with a warning, when the archive exists. */
  readonly since?: number;
  /** Where a new archive starts when `since` is not given (a deployment default): never warned about. */
  readonly startIfNew?: number;
  /** Collect up to here (exclusive), UNIX seconds. */
  readonly until: number;
  /** Longest window (and API range). @default 5 days */
  readonly windowSeconds?: number;
  /** Smallest API range after halving on repeated 5xx. @default 900 (15 minutes) */
  readonly minRangeSeconds?: number;
  /** Horizon re-read behind the checkpoint for late entries. @default 3600 */
  readonly lookbackSeconds?: number;
  readonly partMaxBytes?: number;
  /** API ranges fetched at once, across windows. Each prefetched range is held in memory. @default 1 */
  readonly concurrency?: number;
  readonly runId: string;
  readonly collectorVersion: string;
  /** Asked before each window: true stops cleanly (Lambda deadline). */
  readonly shouldStop?: () => boolean;
  readonly observer?: CollectObserver;
  readonly cache?: CheckpointCache;
  readonly now?: () => Date;
  /**
   * Signs every manifest this run writes when given. An unsigned head is never signed: it is
   * superseded by a signed recovery manifest.
   */
  readonly signer?: ManifestSigner;
  /** Called after each new manifest is written and signed (never for an unsigned one): the SIEM feed. */
  readonly afterManifestSigned?: (manifest: StoredManifest) => Promise<void>;
}

export interface WindowReport {
  readonly kind: 'window' | 'late' | 'recovery';
  readonly from: number;
  readonly to: number;
  readonly records: number;
  readonly quarantined: number;
  readonly adoptedParts: number;
  readonly rejectedParts: number;
  readonly conflicts: number;
  readonly seq: number;
}

export interface CollectObserver {
  onStart?(info: { workspaceId: string; origin: number; checkpoint: number; until: number; newArchive: boolean }): void;
  onWarning?(message: string): void;
  onPage?(info: { kept: number; quarantined: number; served: number }): void;
  onWindowStart?(info: { kind: 'window' | 'late' | 'recovery'; from: number; to: number }): void;
  onWindowClosed?(report: WindowReport): void;
}

export interface CollectResult {
  readonly workspaceId: string;
  readonly origin: number;
  readonly checkpointBefore: number;
  readonly checkpoint: number;
  readonly headSeq: number;
  readonly windows: number;
  readonly emptyWindows: number;
  readonly lateManifests: number;
  readonly entries: number;
  readonly lateEntries: number;
  readonly quarantined: number;
  readonly duplicatesDropped: number;
  readonly partsWritten: number;
  readonly partsAdopted: number;
  /** Parts found unlisted that Intercom did not confirm entry for entry (listed under rejected_parts). */
  readonly partsRejected: number;
  /** Ids served again with different content (quarantined, listed under conflicts). */
  readonly conflicts: number;
  /** Seqs of the unsigned manifests a recovery manifest of this run superseded. */
  readonly superseded: number[];
  readonly pages: number;
  readonly newestCreatedAt: number | null;
  /** true when shouldStop() ended the run before `until`. */
  readonly stoppedEarly: boolean;
  /** Teammates in the roster this run saved (once a day, when caught up), if it saved one. */
  readonly rosterTeammates?: number;
}

interface Counters {
  entries: number;
  lateEntries: number;
  quarantined: number;
  duplicates: number;
  partsWritten: number;
  partsAdopted: number;
  partsRejected: number;
  conflicts: number;
  pages: number;
  newest: number | null;
}

/** What is known of an archived id: the SHA-256 of its canonical JSON and the part holding it. */
interface Known {
  readonly sha: string;
  readonly part: string;
}

/** A part found at a window (or lookback) start that no trusted manifest lists. */
interface FoundPart {
  record: PartRecord;
  readonly quarantine: boolean;
  /** Lines that can never be confirmed (a second line with the same id, unreadable lines). */
  unconfirmable: number;
  confirmed: number;
}

/** An entry of a found part, waiting to be served again by Intercom. */
interface Candidate {
  readonly sha: string;
  readonly part: FoundPart;
  /** The entry as served this run, once it was served identical. */
  served?: ActivityLog | QuarantinedEntry;
}

/** Found parts of a window or lookback, and their entries by id (`e:<id>`) or quarantine key (`q:<key>`). */
interface Adopted {
  found: FoundPart[];
  candidates: Map<string, Candidate>;
  maxCreatedAt: number | null;
  nextPart: number;
  nextQuarantine: number;
}

/** Runs the collector for one workspace. */
export async function collect(source: ActivityLogSource, store: ObjectStore, settings: CollectSettings): Promise<CollectResult> {
  const workspaceId = assertWorkspaceId(settings.workspaceId);
  const windowSeconds = settings.windowSeconds ?? 5 * DAY_SECONDS;
  const minRange = Math.min(settings.minRangeSeconds ?? 900, windowSeconds);
  const lookback = settings.lookbackSeconds ?? 3600;
  const now = settings.now ?? (() => new Date());
  const observer = settings.observer ?? {};
  const provenance: Provenance = {
    runId: settings.runId,
    collectorVersion: settings.collectorVersion,
    apiHost: source.host,
    apiVersion: source.apiVersion,
  };
  const counters: Counters = {
    entries: 0,
    lateEntries: 0,
    quarantined: 0,
    duplicates: 0,
    partsWritten: 0,
    partsAdopted: 0,
    partsRejected: 0,
    conflicts: 0,
    pages: 0,
    newest: null,
  };
  let span = windowSeconds;
  const nowSeconds = () => Math.floor(now().getTime() / 1000);
  /** A window never ends after `until` or after now, whatever a found part claims. */
  const latestEnd = () => Math.min(settings.until, nowSeconds());

  let head = await findHead(store, workspaceId, settings.cache);
  const newArchive = head === undefined;
  let lastSignature: SignatureRecord | undefined;
  let recovery: RecoveryPlan | undefined;
  if (!head) {
    const start = settings.since ?? settings.startIfNew;
    if (start === undefined) {
      throw new ConfigurationError(
        `the archive has no manifest chain for workspace ${workspaceId} yet: give --since to say where it starts`,
      );
    }
    head = await appendManifest(
      store,
      manifestFor({ seq: 0, kind: 'genesis', from: start, to: start, origin: start, checkpoint: start, prevSha256: null }),
      settings.cache,
    );
    // This run wrote the genesis: it may sign it.
    if (settings.signer) lastSignature = await signManifest(store, settings.signer, head, undefined, now());
  } else {
    if (settings.since !== undefined && settings.since !== head.manifest.origin) {
      observer.onWarning?.(
        `the archive for workspace ${workspaceId} already starts at ${iso(head.manifest.origin)} and continues from its checkpoint ${iso(head.manifest.checkpoint)}; --since ${iso(settings.since)} is ignored (no gap, no duplicate)`,
      );
    }
    if (settings.signer) ({ lastSignature, recovery } = await planSigning(store, head));
  }
  const origin = head.manifest.origin;
  // One key per chain: a different key is refused before anything is signed or fetched.
  if (settings.signer && !newArchive) await assertChainKey(store, workspaceId, settings.signer);
  // With a recovery, the unsigned manifests carry no weight: coverage resumes at the last signed checkpoint.
  const trustedHead: StoredManifest | undefined = recovery ? recovery.trusted : head;
  const checkpointBefore = trustedHead?.manifest.checkpoint ?? origin;
  if (recovery) {
    observer.onWarning?.(
      `manifest${recovery.superseded.length > 1 ? 's' : ''} ${recovery.superseded.map((m) => m.manifest.seq).join(', ')} of workspace ${workspaceId} ${recovery.superseded.length > 1 ? 'are' : 'is'} unsigned ` +
        `(a run died between manifest and signature, or someone without the key wrote ${recovery.superseded.length > 1 ? 'them' : 'it'}): not signing ${recovery.superseded.length > 1 ? 'them' : 'it'}; ` +
        `re-collecting from the last signed checkpoint ${iso(checkpointBefore)} into a signed recovery manifest`,
    );
  } else if (trustedHead) {
    const warning = await ensureIndex(store, trustedHead);
    if (warning) observer.onWarning?.(warning);
  }
  observer.onStart?.({ workspaceId, origin, checkpoint: checkpointBefore, until: settings.until, newArchive });

  function manifestFor(f: {
    seq: number;
    kind: Manifest['kind'];
    from: number;
    to: number;
    origin: number;
    checkpoint: number;
    prevSha256: string | null;
  }): Manifest {
    return newManifest({
      ...f,
      workspaceId,
      api: { host: source.host, version: source.apiVersion, perPage: source.perPage },
      runId: settings.runId,
      collectorVersion: settings.collectorVersion,
      writtenAt: now(),
      store,
    });
  }

  /**
   * Lists parts named `<start>-<kind>-n` that no trusted manifest lists (`skip`), and reads
   * their entries as candidates: nothing in them counts as archived until Intercom serves it again.
   */
  async function adopt(start: number, kind: PartKind, skip: ReadonlySet<string>): Promise<Adopted> {
    const result: Adopted = { found: [], candidates: new Map(), maxCreatedAt: null, nextPart: 1, nextQuarantine: 1 };
    const suffix = `/${stamp(start)}-${kind}-`;
    for (const [prefix, quarantine] of [
      [dataPrefix(workspaceId), false],
      [quarantinePrefix(workspaceId), true],
    ] as const) {
      for await (const object of store.list(prefix, { startAfter: `${prefix}dt=${utcDate(start)}/` })) {
        const parsed = parsePartKey(object.key);
        if (!parsed || !object.key.includes(suffix)) continue;
        if (!quarantine) result.nextPart = Math.max(result.nextPart, parsed.n + 1);
        else result.nextQuarantine = Math.max(result.nextQuarantine, parsed.n + 1);
        if (skip.has(object.key)) continue;
        const body = await store.get(object.key);
        let records = 0;
        let min: number | null = null;
        let max: number | null = null;
        const found: FoundPart = {
          record: {
            key: object.key,
            sha256: sha256Hex(body),
            bytes: body.length,
            records: 0,
            min_created_at: null,
            max_created_at: null,
            adopted: true,
          },
          quarantine,
          unconfirmable: 0,
          confirmed: 0,
        };
        const candidates: [string, string][] = [];
        try {
          for await (const line of readGzipLines(body)) {
            records += 1;
            const createdAt = typeof line.created_at === 'number' ? line.created_at : null;
            if (createdAt !== null) {
              min = min === null ? createdAt : Math.min(min, createdAt);
              max = max === null ? createdAt : Math.max(max, createdAt);
            }
            let sha: string;
            try {
              sha = entrySha(JSON.parse(String(line.source)));
            } catch {
              found.unconfirmable += 1;
              continue;
            }
            candidates.push([quarantine ? `q:${String(line.quarantine_key)}` : `e:${String(line.id)}`, sha]);
          }
        } catch {
          // Not gzip JSON lines: nothing in it can be confirmed; it is listed as rejected.
          found.unconfirmable = Math.max(1, records - candidates.length);
        }
        for (const [key, sha] of candidates) {
          if (result.candidates.has(key)) found.unconfirmable += 1;
          else result.candidates.set(key, { sha, part: found });
        }
        found.record = { ...found.record, records, min_created_at: min, max_created_at: max };
        if (max !== null && !quarantine) result.maxCreatedAt = Math.max(result.maxCreatedAt ?? max, max);
        result.found.push(found);
      }
    }
    return result;
  }

  /**
   * Ranges fetched ahead of time when `concurrency` > 1: each holds a whole range's pages in
   * memory, so memory grows with concurrency × range size; with 1 (the default) pages stream.
   */
  const prefetched = new Map<string, Promise<ActivityPage[]>>();
  const rangeKey = (after: number, before: number) => `${after}:${before}`;
  const concurrency = Math.max(1, settings.concurrency ?? 1);

  async function fetchAll(range: TimeRange): Promise<ActivityPage[]> {
    const pages: ActivityPage[] = [];
    for await (const page of source.fetchRange(range, span > minRange ? { maxServerRetries: 2 } : {})) pages.push(page);
    return pages;
  }

  /** Starts fetching the ranges of the windows after `from`, up to `concurrency` ranges in flight. */
  function prefetchAfter(from: number): void {
    if (concurrency < 2) return;
    let cursor = from;
    while (prefetched.size < concurrency && cursor < settings.until) {
      const end = Math.min(cursor + span, settings.until);
      const key = rangeKey(cursor - 1, end + 1);
      if (!prefetched.has(key)) {
        const promise = fetchAll({ after: cursor - 1, before: end + 1 });
        promise.catch(() => undefined); // consumed (and rethrown) when its window is filled
        prefetched.set(key, promise);
      }
      cursor = end;
    }
  }

  /** Pages covering [from, to), in API ranges of at most `span`, halving the span on repeated 5xx. */
  async function* pagesCovering(from: number, to: number, ranges: [number, number][]): AsyncGenerator<ActivityPage> {
    // Ranges planned before a window changed shape (adoption after a crash) are of no use now.
    for (const key of prefetched.keys()) if (Number(key.split(':')[0]) + 1 < from) prefetched.delete(key);
    let cursor = from;
    while (cursor < to) {
      const end = Math.min(cursor + span, to);
      // A second of margin on both sides; the window filter below decides membership.
      const range = { after: cursor - 1, before: end + 1 };
      try {
        const ahead = prefetched.get(rangeKey(range.after, range.before));
        if (ahead) {
          prefetched.delete(rangeKey(range.after, range.before));
          prefetchAfter(end);
          for (const page of await ahead) {
            counters.pages += 1;
            yield page;
          }
        } else {
          prefetchAfter(end);
          for await (const page of source.fetchRange(range, span > minRange ? { maxServerRetries: 2 } : {})) {
            counters.pages += 1;
            yield page;
          }
        }
        ranges.push([range.after, range.before]);
        cursor = end;
      } catch (error) {
        if (error instanceof IntercomUnavailableError && error.kind === 'server' && span > minRange) {
          span = Math.max(minRange, Math.floor(span / 2));
          prefetched.clear();
          observer.onWarning?.(
            `Intercom answered ${error.status ?? '5xx'} repeatedly for a ${formatSpan(end - cursor)} range; asking in ranges of ${formatSpan(span)} from now on`,
          );
          continue;
        }
        throw error;
      }
    }
  }

  function quarantineKeyOf(entry: QuarantinedEntry): string {
    return entry.id !== undefined ? `id:${entry.id}` : `sha256:${sha256Hex(stringifyDeep(entry.raw) ?? 'undefined')}`;
  }

  /**
   * Fetches [from, to) and writes every id not archived yet (`ids`) as parts of `kind`. An
   * entry of a found part is confirmed when served identical; an id archived before and served
   * with other content is a conflict. Returns what this window lists, rejects and records.
   */
  async function fill(kind: PartKind, from: number, to: number, ids: Map<string, Known>, quarantineKeys: Set<string>, adopted: Adopted) {
    const late = kind === 'late';
    const writer = new PartWriter(store, (dt, n) => dataKey(workspaceId, dt, from, kind, n), adopted.nextPart, settings.partMaxBytes);
    const quarantine = new PartWriter(
      store,
      (_dt, n) => quarantineKey(workspaceId, from, kind, n),
      adopted.nextQuarantine,
      settings.partMaxBytes,
    );
    const ranges: [number, number][] = [];
    const pagesBefore = counters.pages;
    const conflicts: Conflict[] = [];
    /** Archives one entry; returns why it cannot be archived (it then goes to quarantine), if so. */
    const writeEntry = async (entry: ActivityLog, sha: string, ingestedAt: string): Promise<string | undefined> => {
      if (sha === UNHASHABLE) return 'the entry cannot be hashed as canonical JSON (nested too deep or not serialisable)';
      const converted = toArchiveLineOrReason(entry, workspaceId, provenance, ingestedAt, late);
      if ('reason' in converted) return converted.reason;
      ids.set(entry.id, { sha, part: await writer.add(utcDate(entry.created_at), converted.line, entry.created_at) });
      counters.newest = Math.max(counters.newest ?? entry.created_at, entry.created_at);
      return undefined;
    };
    for await (const page of pagesCovering(from, to, ranges)) {
      const ingestedAt = now().toISOString();
      let kept = 0;
      let quarantined = 0;
      // Valid entries that still cannot be archived (too deep to serialise, …) go to quarantine with the reason.
      const poisoned: QuarantinedEntry[] = [];
      for (const entry of page.entries) {
        if (entry.created_at < from || entry.created_at >= to) continue;
        const sha = entrySha(entry);
        const candidate = adopted.candidates.get(`e:${entry.id}`);
        if (candidate && !candidate.served && sha !== UNHASHABLE && candidate.sha === sha && !ids.has(entry.id)) {
          // Served again, identical: the found part holds it.
          candidate.served = entry;
          candidate.part.confirmed += 1;
          ids.set(entry.id, { sha, part: candidate.part.record.key });
          continue;
        }
        const known = ids.get(entry.id);
        if (known) {
          if (known.sha === sha) {
            counters.duplicates += 1;
            continue;
          }
          // The source changed an entry it had served: keep both, as evidence.
          const key = `conflict:${entry.id}:${sha}`;
          if (!quarantineKeys.has(key)) {
            quarantineKeys.add(key);
            const reason = `conflict: id ${entry.id} was served again with different content (canonical SHA-256 ${sha}; archived ${known.sha} in ${known.part})`;
            const part = await quarantine.add(
              utcDate(from),
              toQuarantineLine({ raw: entry, reason, id: entry.id, createdAt: entry.created_at }, key, workspaceId, provenance, ingestedAt),
              entry.created_at,
            );
            conflicts.push({
              id: entry.id,
              archived_sha256: known.sha,
              served_sha256: sha,
              archived_part: known.part,
              quarantine_part: part,
            });
            quarantined += 1;
          }
          continue;
        }
        const reason = await writeEntry(entry, sha, ingestedAt);
        if (reason !== undefined) {
          poisoned.push({ raw: entry, reason, id: entry.id, createdAt: entry.created_at });
          continue;
        }
        kept += 1;
      }
      for (const entry of poisoned.length ? [...page.quarantined, ...poisoned] : page.quarantined) {
        if (entry.createdAt !== undefined && (entry.createdAt < from || entry.createdAt >= to)) continue;
        const key = quarantineKeyOf(entry);
        const candidate = adopted.candidates.get(`q:${key}`);
        if (
          candidate &&
          !candidate.served &&
          !quarantineKeys.has(key) &&
          candidate.sha !== UNHASHABLE &&
          candidate.sha === entrySha(entry.raw)
        ) {
          candidate.served = entry;
          candidate.part.confirmed += 1;
          quarantineKeys.add(key);
          continue;
        }
        if (quarantineKeys.has(key)) continue;
        quarantineKeys.add(key);
        quarantined += 1;
        await quarantine.add(utcDate(from), toQuarantineLine(entry, key, workspaceId, provenance, ingestedAt), entry.createdAt ?? null);
      }
      if (late) counters.lateEntries += kept;
      else counters.entries += kept;
      counters.quarantined += quarantined;
      observer.onPage?.({ kept, quarantined, served: page.entries.length + page.quarantined.length });
    }

    // A found part is listed only when Intercom confirmed every line of it; otherwise it is
    // rejected and the entries it confirmed are written again, by this run, into a new part.
    const listed: PartRecord[] = [];
    const listedQuarantine: PartRecord[] = [];
    const rejected: RejectedPart[] = [];
    const rejectedParts = new Set<FoundPart>();
    for (const found of adopted.found) {
      const unconfirmed = found.record.records - found.confirmed;
      if (unconfirmed === 0 && found.unconfirmable === 0) {
        (found.quarantine ? listedQuarantine : listed).push(found.record);
        counters.partsAdopted += 1;
        continue;
      }
      rejectedParts.add(found);
      counters.partsRejected += 1;
      rejected.push({
        key: found.record.key,
        sha256: found.record.sha256,
        lines: found.record.records,
        confirmed: found.confirmed,
        unconfirmed,
        reason: `found unlisted at ${late ? 'the lookback' : 'the window'} start ${iso(from)}; ${unconfirmed} of its ${found.record.records} lines were not served again by Intercom for [${iso(from)}, ${iso(to)}) with identical content`,
      });
    }
    if (rejectedParts.size > 0) {
      const ingestedAt = now().toISOString();
      for (const [key, candidate] of adopted.candidates) {
        if (!candidate.served || !rejectedParts.has(candidate.part)) continue;
        if (key.startsWith('e:')) {
          const entry = candidate.served as ActivityLog;
          const reason = await writeEntry(entry, candidate.sha, ingestedAt);
          if (reason !== undefined) {
            const qkey = quarantineKeyOf({ raw: entry, reason, id: entry.id, createdAt: entry.created_at });
            await quarantine.add(
              utcDate(from),
              toQuarantineLine(
                { raw: entry, reason, id: entry.id, createdAt: entry.created_at },
                qkey,
                workspaceId,
                provenance,
                ingestedAt,
              ),
              entry.created_at,
            );
            counters.quarantined += 1;
          } else if (late) counters.lateEntries += 1;
          else counters.entries += 1;
        } else {
          const entry = candidate.served as QuarantinedEntry;
          await quarantine.add(
            utcDate(from),
            toQuarantineLine(entry, key.slice(2), workspaceId, provenance, ingestedAt),
            entry.createdAt ?? null,
          );
          counters.quarantined += 1;
        }
      }
    }
    const parts = await writer.finish();
    const quarantineParts = await quarantine.finish();
    counters.partsWritten += parts.length + quarantineParts.length;
    counters.conflicts += conflicts.length;
    return {
      parts: [...listed, ...parts],
      quarantineParts: [...listedQuarantine, ...quarantineParts],
      rejected,
      conflicts,
      adoptedParts: listed.length + listedQuarantine.length,
      ranges,
      pages: counters.pages - pagesBefore,
    };
  }

  async function close(
    kind: 'window' | 'late' | 'recovery',
    from: number,
    to: number,
    filled: Awaited<ReturnType<typeof fill>>,
    extra: { supersedes?: StoredManifest[]; rejected?: RejectedPart[] } = {},
  ): Promise<void> {
    const current = head!;
    const sortByKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
    const parts = [...filled.parts].sort(sortByKey);
    const quarantine = [...filled.quarantineParts].sort(sortByKey);
    const checkpoint = isWindowKind(kind) ? to : current.manifest.checkpoint;
    let manifest = manifestFor({ seq: current.manifest.seq + 1, kind, from, to, origin, checkpoint, prevSha256: current.sha256 });
    manifest.parts = parts;
    manifest.quarantine = quarantine;
    manifest.records = parts.reduce((n, p) => n + p.records, 0);
    manifest.quarantined = quarantine.reduce((n, p) => n + p.records, 0);
    manifest.api.ranges = filled.ranges;
    manifest.api.pages = filled.pages;
    if (extra.supersedes) manifest.supersedes = refsOf(extra.supersedes);
    const rejected = [...(extra.rejected ?? []), ...filled.rejected].sort(sortByKey);
    if (rejected.length > 0) manifest.rejected_parts = rejected;
    if (filled.conflicts.length > 0) manifest.conflicts = filled.conflicts;
    manifest = withIndex(manifest);
    head = await appendManifest(store, manifest, settings.cache);
    if (settings.signer) {
      lastSignature = await signManifest(store, settings.signer, head, lastSignature, now());
      await settings.afterManifestSigned?.(head);
    }
    const warning = await writeIndex(store, head);
    if (warning) observer.onWarning?.(warning);
    observer.onWindowClosed?.({
      kind,
      from,
      to,
      records: manifest.records,
      quarantined: manifest.quarantined,
      adoptedParts: filled.adoptedParts,
      rejectedParts: rejected.length,
      conflicts: filled.conflicts.length,
      seq: manifest.seq,
    });
  }

  // 0. Recovery: an unsigned head is superseded by a signed manifest that re-collects from the
  //    last signed checkpoint, adopting only what Intercom confirms.
  const lookbackFrom = Math.max(origin, checkpointBefore - lookback);
  const superseded: number[] = [];
  /** Keys this run rejected up front: no later window of the run adopts them. */
  let accounted = new Set<string>();
  if (recovery) {
    const from = checkpointBefore;
    const to = Math.min(from + windowSeconds, latestEnd());
    if (to <= from) {
      observer.onWarning?.(
        `nothing to re-collect up to ${iso(latestEnd())}: the unsigned manifests stay unsigned until a run can collect past ${iso(from)}`,
      );
    } else {
      const known = trustedHead ? await knownInHorizon(store, trustedHead, from, to) : emptyKnown();
      // Parts the superseded manifests list elsewhere than at this recovery's start (or the
      // lookback's) cannot be re-observed: they are rejected now, so no later window adopts them.
      const rejected = await rejectSupersededParts(store, recovery.superseded, (key) => {
        const parsed = parsePartKey(key);
        return (
          parsed !== undefined &&
          ((parsed.kind === 'part' && parsed.windowStart === from) || (parsed.kind === 'late' && parsed.windowStart === lookbackFrom))
        );
      });
      for (const r of rejected) known.listed.add(r.key);
      accounted = new Set(rejected.map((r) => r.key));
      observer.onWindowStart?.({ kind: 'recovery', from, to });
      const adopted = await adopt(from, 'part', known.listed);
      const filled = await fill('part', from, to, known.ids, known.quarantineKeys, adopted);
      await close('recovery', from, to, filled, { supersedes: recovery.superseded, rejected });
      superseded.push(...recovery.superseded.map((m) => m.manifest.seq));
    }
  }

  // 1. Lookback: re-read the horizon behind the checkpoint for entries that arrived late.
  let lateManifests = 0;
  const horizonTo = checkpointBefore;
  const horizonFrom = lookbackFrom;
  // Quarantined entries without a readable time can come back in the margin of the next
  // window, even in the next run: carry the keys already quarantined just behind the checkpoint.
  let previousQuarantineKeys = new Set<string>();
  if (lookback > 0 && horizonFrom < horizonTo && !settings.shouldStop?.() && (recovery === undefined || superseded.length > 0)) {
    observer.onWindowStart?.({ kind: 'late', from: horizonFrom, to: horizonTo });
    const known = await knownInHorizon(store, head, horizonFrom, horizonTo);
    for (const key of accounted) known.listed.add(key);
    const adopted = await adopt(horizonFrom, 'late', known.listed);
    const filled = await fill('late', horizonFrom, horizonTo, known.ids, known.quarantineKeys, adopted);
    previousQuarantineKeys = known.quarantineKeys;
    if (filled.parts.length + filled.quarantineParts.length + filled.rejected.length + filled.conflicts.length > 0) {
      await close('late', horizonFrom, horizonTo, filled);
      lateManifests += 1;
    }
  }

  // 2. Windows from the checkpoint to `until`.
  let windows = 0;
  let emptyWindows = 0;
  if (previousQuarantineKeys.size === 0) await addQuarantineKeys(store, head.manifest.quarantine, previousQuarantineKeys);
  let stoppedEarly = false;
  while (head.manifest.checkpoint < latestEnd() && (recovery === undefined || superseded.length > 0)) {
    if (settings.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const from = head.manifest.checkpoint;
    let to = Math.min(from + windowSeconds, latestEnd());
    const ids = new Map<string, Known>();
    // Quarantined entries without a readable time can come back in the next window's margin.
    const quarantineKeys = new Set<string>(previousQuarantineKeys);
    const adopted = await adopt(from, 'part', accounted);
    // A dead run may have used a longer window: cover what it wrote, but never past `until` or now.
    if (adopted.maxCreatedAt !== null && adopted.maxCreatedAt >= to) to = Math.min(adopted.maxCreatedAt + 1, latestEnd());
    observer.onWindowStart?.({ kind: 'window', from, to });
    const filled = await fill('part', from, to, ids, quarantineKeys, adopted);
    await close('window', from, to, filled);
    windows += 1;
    if (head.manifest.records === 0) emptyWindows += 1;
    previousQuarantineKeys = quarantineKeys;
  }

  // 3. Once a day, when caught up: the teammate roster (GET /admins) for access reviews.
  // Never while unsigned manifests stand unsuperseded: a signed roster manifest would chain onto them.
  const roster =
    stoppedEarly || (recovery !== undefined && superseded.length === 0)
      ? undefined
      : await saveDailyRoster({
          source,
          store,
          workspaceId,
          provenance,
          now: now(),
          checkpoint: head.manifest.checkpoint,
          onWarning: (message) => observer.onWarning?.(message),
          append: async (saved) => {
            const cp = head!.manifest.checkpoint;
            const manifest = manifestFor({
              seq: head!.manifest.seq + 1,
              kind: 'roster',
              from: cp,
              to: cp,
              origin,
              checkpoint: cp,
              prevSha256: head!.sha256,
            });
            manifest.roster = saved;
            head = await appendManifest(store, manifest, settings.cache);
            if (settings.signer) lastSignature = await signManifest(store, settings.signer, head, lastSignature, now());
          },
        });

  return {
    workspaceId,
    origin,
    checkpointBefore,
    checkpoint: head.manifest.checkpoint,
    headSeq: head.manifest.seq,
    windows,
    emptyWindows,
    lateManifests,
    entries: counters.entries,
    lateEntries: counters.lateEntries,
    quarantined: counters.quarantined,
    duplicatesDropped: counters.duplicates,
    partsWritten: counters.partsWritten,
    partsAdopted: counters.partsAdopted,
    partsRejected: counters.partsRejected,
    conflicts: counters.conflicts,
    superseded,
    pages: counters.pages,
    newestCreatedAt: counters.newest,
    stoppedEarly,
    ...(roster && { rosterTeammates: roster.teammates }),
  };
}

function emptyKnown() {
  return { ids: new Map<string, Known>(), quarantineKeys: new Set<string>(), listed: new Set<string>() };
}

/** Parts listed by superseded manifests that `reobservable` does not cover, as rejected parts (their claims carry no weight). */
async function rejectSupersededParts(
  store: ObjectStore,
  superseded: readonly StoredManifest[],
  reobservable: (key: string) => boolean,
): Promise<RejectedPart[]> {
  const rejected = new Map<string, RejectedPart>();
  for (const { manifest } of superseded) {
    // Its index too: Athena must not read what it lists (the recovery's own index rejects nothing it lists).
    const index = manifest.index ? [{ key: manifest.index.key }] : [];
    for (const part of [...manifest.parts, ...manifest.quarantine, ...index]) {
      if (rejected.has(part.key) || reobservable(part.key) || !(await store.head(part.key))) continue;
      const body = await store.get(part.key);
      let lines = 0;
      if (part.key.endsWith('.jsonl')) lines = body.toString('utf8').split('\n').filter(Boolean).length;
      else {
        try {
          for await (const _line of readGzipLines(body)) lines += 1;
        } catch {
          // unreadable: counted as far as it could be read
        }
      }
      rejected.set(part.key, {
        key: part.key,
        sha256: sha256Hex(body),
        lines,
        confirmed: 0,
        unconfirmed: lines,
        reason: `listed only by unsigned manifest ${manifest.seq}, which this recovery supersedes; not at the checkpoint, so not re-observable`,
      });
    }
  }
  return [...rejected.values()];
}

/**
 * Ids already archived in [from, to), from the objects that the manifests say cover it:
 * walk back from the head until a window manifest that starts at or before `from`.
 */
async function knownInHorizon(store: ObjectStore, head: StoredManifest, from: number, to: number) {
  const ids = new Map<string, Known>();
  const quarantineKeys = new Set<string>();
  const listed = new Set<string>();
  // Manifests a later recovery superseded carry no weight: what they list is not archived.
  const superseded = new Set<number>();
  let current: StoredManifest | undefined = head;
  while (current && current.manifest.kind !== 'genesis') {
    const m: Manifest = current.manifest;
    for (const ref of m.supersedes ?? []) superseded.add(ref.seq);
    if (!superseded.has(m.seq)) {
      for (const part of m.rejected_parts ?? []) listed.add(part.key);
      if (m.from < to && m.to > from) {
        for (const part of m.parts) {
          listed.add(part.key);
          if (part.max_created_at === null || part.min_created_at === null || part.max_created_at < from || part.min_created_at >= to)
            continue;
          for await (const line of readGzipLines(await store.get(part.key))) {
            const createdAt = line.created_at as number;
            if (createdAt >= from && createdAt < to)
              ids.set(String(line.id), { sha: entrySha(JSON.parse(String(line.source))), part: part.key });
          }
        }
      }
      // Quarantined entries may have no readable time: an API range with its one-second margins
      // can serve them again, so the windows touching those margins count too.
      if (m.from <= to + 1 && m.to >= from - 1) {
        for (const part of m.quarantine) listed.add(part.key);
        await addQuarantineKeys(store, m.quarantine, quarantineKeys);
      }
      if (isWindowKind(m.kind) && m.from < from - 1) break;
    }
    current = m.seq > 0 ? await readManifest(store, m.workspace_id, m.seq - 1) : undefined;
  }
  return { ids, quarantineKeys, listed };
}

/** The keys of the entries that quarantine parts hold. */
async function addQuarantineKeys(store: ObjectStore, parts: readonly ManifestPart[], into: Set<string>): Promise<void> {
  for (const part of parts) {
    for await (const line of readGzipLines(await store.get(part.key))) into.add(String(line.quarantine_key));
  }
}

function formatSpan(seconds: number): string {
  if (seconds % DAY_SECONDS === 0) return `${seconds / DAY_SECONDS} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}

/** What `entrySha` gives for a value that cannot be canonicalised: no real SHA-256 equals it. */
const UNHASHABLE = 'unhashable';

/**
 * Canonical SHA-256 of an entry, or UNHASHABLE when it cannot be canonicalised (metadata nested
 * thousands deep overflows the recursive canonicaliser): such an entry is quarantined as served,
 * and a found line holding one is never confirmed — it never stops the window.
 */
function entrySha(value: unknown): string {
  try {
    return canonicalSha256(value);
  } catch {
    return UNHASHABLE;
  }
}
