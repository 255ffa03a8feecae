/**
 * Parts found at a window (or lookback) start that no trusted manifest lists: a dead run's
 * writes, or someone else's. Nothing in them counts as archived until Intercom serves it again.
 */
import type { ObjectStore } from '../ports.ts';
import type { ActivityLog, QuarantinedEntry } from '../intercom/schema.ts';
import { type PartKind, dataPrefix, parsePartKey, quarantinePrefix, stamp, utcDate } from '../archive/keys.ts';
import { readGzipLines } from '../archive/lines.ts';
import { sha256Hex } from '../archive/manifest.ts';
import type { PartRecord } from '../archive/PartWriter.ts';
import { entrySha } from './entrySha.ts';

/** A part found at a window (or lookback) start that no trusted manifest lists. */
export interface FoundPart {
  record: PartRecord;
  readonly quarantine: boolean;
  /** Lines that can never be confirmed (a second line with the same id, unreadable lines). */
  unconfirmable: number;
  confirmed: number;
}

/** An entry of a found part, waiting to be served again by Intercom. */
export interface Candidate {
  readonly sha: string;
  readonly part: FoundPart;
  /** The entry as served this run, once it was served identical. */
  served?: ActivityLog | QuarantinedEntry;
}

/** Found parts of a window or lookback, and their entries by id (`e:<id>`) or quarantine key (`q:<key>`). */
export interface Adopted {
  readonly found: FoundPart[];
  readonly candidates: Map<string, Candidate>;
  readonly maxCreatedAt: number | null;
  readonly nextPart: number;
  readonly nextQuarantine: number;
}

/**
 * Lists parts named `<start>-<kind>-n` that no trusted manifest lists (`skip`), and reads
 * their entries as candidates: nothing in them counts as archived until Intercom serves it again.
 */
export async function findUnlistedParts(
  store: ObjectStore,
  workspaceId: string,
  start: number,
  kind: PartKind,
  skip: ReadonlySet<string>,
): Promise<Adopted> {
  const found: FoundPart[] = [];
  const candidates = new Map<string, Candidate>();
  let maxCreatedAt: number | null = null;
  let nextPart = 1;
  let nextQuarantine = 1;
  const suffix = `/${stamp(start)}-${kind}-`;
  for (const [prefix, quarantine] of [
    [dataPrefix(workspaceId), false],
    [quarantinePrefix(workspaceId), true],
  ] as const) {
    for await (const object of store.list(prefix, { startAfter: `${prefix}dt=${utcDate(start)}/` })) {
      const parsed = parsePartKey(object.key);
      if (!parsed || !object.key.includes(suffix)) continue;
      if (!quarantine) nextPart = Math.max(nextPart, parsed.n + 1);
      else nextQuarantine = Math.max(nextQuarantine, parsed.n + 1);
      if (skip.has(object.key)) continue;
      const read = await readFoundPart(object.key, await store.get(object.key), quarantine);
      for (const [key, sha] of read.lines) {
        if (candidates.has(key)) read.part.unconfirmable += 1;
        else candidates.set(key, { sha, part: read.part });
      }
      const max = read.part.record.max_created_at;
      if (max !== null && !quarantine) maxCreatedAt = Math.max(maxCreatedAt ?? max, max);
      found.push(read.part);
    }
  }
  return { found, candidates, maxCreatedAt, nextPart, nextQuarantine };
}

/** A found part's record (with its time range) and its lines as `[candidate key, canonical SHA-256]`. */
async function readFoundPart(key: string, body: Buffer, quarantine: boolean): Promise<{ part: FoundPart; lines: [string, string][] }> {
  let records = 0;
  let min: number | null = null;
  let max: number | null = null;
  let unconfirmable = 0;
  const lines: [string, string][] = [];
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
        unconfirmable += 1;
        continue;
      }
      lines.push([quarantine ? `q:${String(line.quarantine_key)}` : `e:${String(line.id)}`, sha]);
    }
  } catch {
    // Not gzip JSON lines: nothing in it can be confirmed; it is listed as rejected.
    unconfirmable = Math.max(1, records - lines.length);
  }
  const record: PartRecord = {
    key,
    sha256: sha256Hex(body),
    bytes: body.length,
    records,
    min_created_at: min,
    max_created_at: max,
    adopted: true,
  };
  return { part: { record, quarantine, unconfirmable, confirmed: 0 }, lines };
}
