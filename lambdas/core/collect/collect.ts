/**
 * The collector: moves a workspace's archive from its checkpoint (the chain head) up to
 * `until` in closed half-open windows, exactly once per entry id.
 *
 * - Window boundaries are ours: the API is asked with a second of margin on both sides and
 *   only entries with `from <= created_at < to` are kept, so every entry has one home window
 *   whatever the API does with its (undocumented) bound inclusivity.
 * - Crash recovery adopts, never rewrites: parts are named by window start, so a rerun lists
 *   what a dead run left, reads their ids, writes only what is missing as the next part, and
 *   the manifest lists every part.
 * - Late entries: each run re-reads the lookback horizon behind the checkpoint and archives
 *   ids it had not archived into parts marked late, listed by a late manifest.
 */
import { ConfigurationError, IntercomUnavailableError } from '../errors.ts';
import type { ActivityLogSource, CheckpointCache, ManifestSigner, ObjectStore } from '../ports.ts';
import { type SignatureRecord, ensureHeadSigned, signManifest } from '../signing/signatures.ts';
import { assertChainKey } from '../signing/chainKey.ts';
import type { ActivityPage, QuarantinedEntry, TimeRange } from '../intercom/schema.ts';
import { type StoredManifest, appendManifest, findHead, readManifest } from '../archive/chain.ts';
import type { Provenance } from '../archive/columns.ts';
import { type PartKind, assertWorkspaceId, dataKey, dataPrefix, parsePartKey, quarantineKey, quarantinePrefix, stamp, utcDate } from '../archive/keys.ts';
import { readGzipLines, stringifyDeep, toArchiveLineOrReason, toQuarantineLine } from '../archive/lines.ts';
import { type Manifest, type ManifestPart, MANIFEST_FORMAT, iso, sha256Hex } from '../archive/manifest.ts';
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
  /** Signs every new manifest (and an unsigned chain head) when given. */
  readonly signer?: ManifestSigner;
  /** Called after each new manifest is written and signed (never for an unsigned one): the SIEM feed. */
  readonly afterManifestSigned?: (manifest: StoredManifest) => Promise<void>;
}

export interface WindowReport {
  readonly kind: 'window' | 'late';
  readonly from: number;
  readonly to: number;
  readonly records: number;
  readonly quarantined: number;
  readonly adoptedParts: number;
  readonly seq: number;
}

export interface CollectObserver {
  onStart?(info: { workspaceId: string; origin: number; checkpoint: number; until: number; newArchive: boolean }): void;
  onWarning?(message: string): void;
  onPage?(info: { kept: number; quarantined: number; served: number }): void;
  onWindowStart?(info: { kind: 'window' | 'late'; from: number; to: number }): void;
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
  pages: number;
  newest: number | null;
}

/** Existing parts of a window or lookback, adopted from a run that died before its manifest. */
interface Adopted {
  parts: PartRecord[];
  quarantine: PartRecord[];
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
  const provenance: Provenance = { runId: settings.runId, collectorVersion: settings.collectorVersion, apiHost: source.host, apiVersion: source.apiVersion };
  const counters: Counters = { entries: 0, lateEntries: 0, quarantined: 0, duplicates: 0, partsWritten: 0, partsAdopted: 0, pages: 0, newest: null };
  let span = windowSeconds;

  let head = await findHead(store, workspaceId, settings.cache);
  const newArchive = head === undefined;
  if (!head) {
    const start = settings.since ?? settings.startIfNew;
    if (start === undefined) {
      throw new ConfigurationError(`the archive has no manifest chain for workspace ${workspaceId} yet: give --since to say where it starts`);
    }
    head = await appendManifest(store, baseManifest(workspaceId, 0, 'genesis', start, start, start, start, null), settings.cache);
  } else if (settings.since !== undefined && settings.since !== head.manifest.origin) {
    observer.onWarning?.(
      `the archive for workspace ${workspaceId} already starts at ${iso(head.manifest.origin)} and continues from its checkpoint ${iso(head.manifest.checkpoint)}; --since ${iso(settings.since)} is ignored (no gap, no duplicate)`,
    );
  }
  const origin = head.manifest.origin;
  const checkpointBefore = head.manifest.checkpoint;
  // One key per chain: a different key is refused before anything is signed or fetched.
  if (settings.signer && !newArchive) await assertChainKey(store, workspaceId, settings.signer);
  // A head left unsigned (a run died between manifest and signature, or signing is new) is signed first.
  let lastSignature: SignatureRecord | undefined = settings.signer ? await ensureHeadSigned(store, settings.signer, head, now()) : undefined;
  observer.onStart?.({ workspaceId, origin, checkpoint: checkpointBefore, until: settings.until, newArchive });

  function baseManifest(ws: string, seq: number, kind: Manifest['kind'], from: number, to: number, originAt: number, checkpoint: number, prev: string | null): Manifest {
    const writtenAt = now();
    const retention = store.retention;
    const retainUntil = retention ? new Date(writtenAt) : undefined;
    retainUntil?.setUTCFullYear(retainUntil.getUTCFullYear() + retention!.years);
    return {
      format: MANIFEST_FORMAT,
      workspace_id: ws,
      seq,
      kind,
      from,
      to,
      from_iso: iso(from),
      to_iso: iso(to),
      origin: originAt,
      checkpoint,
      prev_sha256: prev,
      parts: [],
      quarantine: [],
      records: 0,
      quarantined: 0,
      api: { host: source.host, version: source.apiVersion, per_page: source.perPage, ranges: [], pages: 0 },
      retain_until: retainUntil ? retainUntil.toISOString() : null,
      run: { run_id: settings.runId, collector_version: settings.collectorVersion, written_at: writtenAt.toISOString() },
    };
  }

  /** Lists parts named `<start>-<kind>-n` that no manifest lists yet, and reads their ids. */
  async function adopt(start: number, kind: PartKind, listed: ReadonlySet<string>, ids: Set<string>, quarantineKeys: Set<string>): Promise<Adopted> {
    const result: Adopted = { parts: [], quarantine: [], maxCreatedAt: null, nextPart: 1, nextQuarantine: 1 };
    const suffix = `/${stamp(start)}-${kind}-`;
    for (const [prefix, into] of [
      [dataPrefix(workspaceId), result.parts],
      [quarantinePrefix(workspaceId), result.quarantine],
    ] as const) {
      for await (const object of store.list(prefix, { startAfter: `${prefix}dt=${utcDate(start)}/` })) {
        const parsed = parsePartKey(object.key);
        if (!parsed || !object.key.includes(suffix)) continue;
        if (into === result.parts) result.nextPart = Math.max(result.nextPart, parsed.n + 1);
        else result.nextQuarantine = Math.max(result.nextQuarantine, parsed.n + 1);
        if (listed.has(object.key)) continue;
        const body = await store.get(object.key);
        let records = 0;
        let min: number | null = null;
        let max: number | null = null;
        for await (const line of readGzipLines(body)) {
          records += 1;
          const createdAt = typeof line.created_at === 'number' ? line.created_at : null;
          if (createdAt !== null) {
            min = min === null ? createdAt : Math.min(min, createdAt);
            max = max === null ? createdAt : Math.max(max, createdAt);
          }
          if (into === result.parts) ids.add(String(line.id));
          else quarantineKeys.add(String(line.quarantine_key));
        }
        if (max !== null && into === result.parts) result.maxCreatedAt = Math.max(result.maxCreatedAt ?? max, max);
        into.push({ key: object.key, sha256: sha256Hex(body), bytes: body.length, records, min_created_at: min, max_created_at: max, adopted: true });
        counters.partsAdopted += 1;
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
          observer.onWarning?.(`Intercom answered ${error.status ?? '5xx'} repeatedly for a ${formatSpan(end - cursor)} range; asking in ranges of ${formatSpan(span)} from now on`);
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
   * Fetches [from, to) and writes every id not in `ids` as parts of `kind`. Returns the
   * parts written (adopted ones are added by the caller).
   */
  async function fill(kind: PartKind, from: number, to: number, ids: Set<string>, quarantineKeys: Set<string>, adopted: Adopted) {
    const late = kind === 'late';
    const writer = new PartWriter(store, (dt, n) => dataKey(workspaceId, dt, from, kind, n), adopted.nextPart, settings.partMaxBytes);
    const quarantine = new PartWriter(store, (_dt, n) => quarantineKey(workspaceId, from, kind, n), adopted.nextQuarantine, settings.partMaxBytes);
    const ranges: [number, number][] = [];
    const pagesBefore = counters.pages;
    for await (const page of pagesCovering(from, to, ranges)) {
      const ingestedAt = now().toISOString();
      let kept = 0;
      let quarantined = 0;
      // Valid entries that still cannot be archived (too deep to serialise, …) go to quarantine with the reason.
      const poisoned: QuarantinedEntry[] = [];
      for (const entry of page.entries) {
        if (entry.created_at < from || entry.created_at >= to) continue;
        if (ids.has(entry.id)) {
          counters.duplicates += 1;
          continue;
        }
        const converted = toArchiveLineOrReason(entry, workspaceId, provenance, ingestedAt, late);
        if ('reason' in converted) {
          poisoned.push({ raw: entry, reason: converted.reason, id: entry.id, createdAt: entry.created_at });
          continue;
        }
        ids.add(entry.id);
        kept += 1;
        counters.newest = Math.max(counters.newest ?? entry.created_at, entry.created_at);
        await writer.add(utcDate(entry.created_at), converted.line, entry.created_at);
      }
      for (const entry of poisoned.length ? [...page.quarantined, ...poisoned] : page.quarantined) {
        if (entry.createdAt !== undefined && (entry.createdAt < from || entry.createdAt >= to)) continue;
        const key = quarantineKeyOf(entry);
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
    const parts = await writer.finish();
    const quarantineParts = await quarantine.finish();
    counters.partsWritten += parts.length + quarantineParts.length;
    return { parts, quarantineParts, ranges, pages: counters.pages - pagesBefore };
  }

  async function close(kind: 'window' | 'late', from: number, to: number, adopted: Adopted, filled: Awaited<ReturnType<typeof fill>>): Promise<void> {
    const current = head!;
    const sortByKey = (a: ManifestPart, b: ManifestPart) => (a.key < b.key ? -1 : 1);
    const parts = [...adopted.parts, ...filled.parts].sort(sortByKey);
    const quarantine = [...adopted.quarantine, ...filled.quarantineParts].sort(sortByKey);
    const checkpoint = kind === 'window' ? to : current.manifest.checkpoint;
    const manifest = baseManifest(workspaceId, current.manifest.seq + 1, kind, from, to, origin, checkpoint, current.sha256);
    manifest.parts = parts;
    manifest.quarantine = quarantine;
    manifest.records = parts.reduce((n, p) => n + p.records, 0);
    manifest.quarantined = quarantine.reduce((n, p) => n + p.records, 0);
    manifest.api.ranges = filled.ranges;
    manifest.api.pages = filled.pages;
    head = await appendManifest(store, manifest, settings.cache);
    if (settings.signer) {
      lastSignature = await signManifest(store, settings.signer, head, lastSignature, now());
      await settings.afterManifestSigned?.(head);
    }
    observer.onWindowClosed?.({ kind, from, to, records: manifest.records, quarantined: manifest.quarantined, adoptedParts: adopted.parts.length + adopted.quarantine.length, seq: manifest.seq });
  }

  // 1. Lookback: re-read the horizon behind the checkpoint for entries that arrived late.
  let lateManifests = 0;
  const horizonTo = head.manifest.checkpoint;
  const horizonFrom = Math.max(origin, horizonTo - lookback);
  // Quarantined entries without a readable time can come back in the margin of the next
  // window, even in the next run: carry the keys already quarantined just behind the checkpoint.
  let previousQuarantineKeys = new Set<string>();
  if (lookback > 0 && horizonFrom < horizonTo && !settings.shouldStop?.()) {
    observer.onWindowStart?.({ kind: 'late', from: horizonFrom, to: horizonTo });
    const known = await knownInHorizon(store, head, horizonFrom, horizonTo);
    const adopted = await adopt(horizonFrom, 'late', known.listed, known.ids, known.quarantineKeys);
    const filled = await fill('late', horizonFrom, horizonTo, known.ids, known.quarantineKeys, adopted);
    previousQuarantineKeys = known.quarantineKeys;
    if (adopted.parts.length + adopted.quarantine.length + filled.parts.length + filled.quarantineParts.length > 0) {
      await close('late', horizonFrom, horizonTo, adopted, filled);
      lateManifests += 1;
    }
  }

  // 2. Windows from the checkpoint to `until`.
  let windows = 0;
  let emptyWindows = 0;
  if (previousQuarantineKeys.size === 0) await addQuarantineKeys(store, head.manifest.quarantine, previousQuarantineKeys);
  let stoppedEarly = false;
  while (head.manifest.checkpoint < settings.until) {
    if (settings.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const from = head.manifest.checkpoint;
    let to = Math.min(from + windowSeconds, settings.until);
    const ids = new Set<string>();
    // Quarantined entries without a readable time can come back in the next window's margin.
    const quarantineKeys = new Set<string>(previousQuarantineKeys);
    const adopted = await adopt(from, 'part', new Set(), ids, quarantineKeys);
    // A dead run may have used a longer window: cover all it wrote, so nothing it wrote is stray.
    if (adopted.maxCreatedAt !== null && adopted.maxCreatedAt >= to) to = adopted.maxCreatedAt + 1;
    observer.onWindowStart?.({ kind: 'window', from, to });
    const filled = await fill('part', from, to, ids, quarantineKeys, adopted);
    await close('window', from, to, adopted, filled);
    windows += 1;
    if (head.manifest.records === 0) emptyWindows += 1;
    previousQuarantineKeys = quarantineKeys;
  }

  // 3. Once a day, when caught up: the teammate roster (GET /admins) for access reviews.
  const roster = stoppedEarly
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
          const manifest = baseManifest(workspaceId, head!.manifest.seq + 1, 'roster', cp, cp, origin, cp, head!.sha256);
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
    pages: counters.pages,
    newestCreatedAt: counters.newest,
    stoppedEarly,
    ...(roster && { rosterTeammates: roster.teammates }),
  };
}

/**
 * Ids already archived in [from, to), from the objects that the manifests say cover it:
 * walk back from the head until a window manifest that starts at or before `from`.
 */
async function knownInHorizon(store: ObjectStore, head: StoredManifest, from: number, to: number) {
  const ids = new Set<string>();
  const quarantineKeys = new Set<string>();
  const listed = new Set<string>();
  let current: StoredManifest | undefined = head;
  while (current && current.manifest.kind !== 'genesis') {
    const m: Manifest = current.manifest;
    if (m.from < to && m.to > from) {
      for (const part of m.parts) {
        listed.add(part.key);
        if (part.max_created_at === null || part.min_created_at === null || part.max_created_at < from || part.min_created_at >= to) continue;
        for await (const line of readGzipLines(await store.get(part.key))) {
          const createdAt = line.created_at as number;
          if (createdAt >= from && createdAt < to) ids.add(String(line.id));
        }
      }
    }
    // Quarantined entries may have no readable time: an API range with its one-second margins
    // can serve them again, so the windows touching those margins count too.
    if (m.from <= to + 1 && m.to >= from - 1) {
      for (const part of m.quarantine) listed.add(part.key);
      await addQuarantineKeys(store, m.quarantine, quarantineKeys);
    }
    if (m.kind === 'window' && m.from < from - 1) break;
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
