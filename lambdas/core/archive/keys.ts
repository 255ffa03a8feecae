/**
 * The archive's key layout, the same in S3 and in a local folder:
 *
 *   activity_logs/workspace=<id>/dt=<YYYY-MM-DD>/<window start>-part-<n>.jsonl.gz
 *   activity_logs/workspace=<id>/dt=<YYYY-MM-DD>/<lookback start>-late-<n>.jsonl.gz
 *   quarantine/workspace=<id>/dt=<YYYY-MM-DD>/<window start>-part-<n>.jsonl.gz
 *   manifests/workspace=<id>/<seq, 12 digits>.json
 *   rosters/workspace=<id>/dt=<YYYY-MM-DD>/roster.jsonl.gz
 *
 * Part names are deterministic in the window start, so a rerun finds (adopts) what a dead
 * run left behind instead of writing the same entries again.
 */
import { ConfigurationError } from '../errors.ts';
import { safeText } from '../text/safeText.ts';

export const DATA_ROOT = 'activity_logs/';
export const QUARANTINE_ROOT = 'quarantine/';
export const MANIFEST_ROOT = 'manifests/';
export const ROSTER_ROOT = 'rosters/';

/** The characters and length of an Intercom workspace (app) id_code: the one definition every edge checks ids with. */
export const WORKSPACE_ID_CHARS = '[A-Za-z0-9_-]{1,64}';
export const WORKSPACE_ID = new RegExp(`^${WORKSPACE_ID_CHARS}$`);

export function assertWorkspaceId(id: string): string {
  if (!WORKSPACE_ID.test(id)) {
    throw new ConfigurationError(
      `workspace id '${safeText(id.slice(0, 80))}' is not valid: use 1–64 letters, digits, '_' or '-' (Intercom's app id_code)`,
    );
  }
  return id;
}

/** `20260101T000000Z` for a UNIX second. */
export function stamp(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function parseStamp(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
}

let cachedDay = Number.NaN;
let cachedDate = '';

/** UTC date `YYYY-MM-DD` of a UNIX second (called per entry, so the last day is cached). */
export function utcDate(seconds: number): string {
  const day = Math.floor(seconds / 86_400);
  if (day !== cachedDay) {
    cachedDate = new Date(day * 86_400_000).toISOString().slice(0, 10);
    cachedDay = day;
  }
  return cachedDate;
}

export type PartKind = 'part' | 'late';

export function dataPrefix(workspaceId: string): string {
  return `${DATA_ROOT}workspace=${workspaceId}/`;
}

export function quarantinePrefix(workspaceId: string): string {
  return `${QUARANTINE_ROOT}workspace=${workspaceId}/`;
}

export function manifestPrefix(workspaceId: string): string {
  return `${MANIFEST_ROOT}workspace=${workspaceId}/`;
}

export function dataKey(workspaceId: string, dt: string, windowStart: number, kind: PartKind, n: number): string {
  return `${dataPrefix(workspaceId)}dt=${dt}/${stamp(windowStart)}-${kind}-${String(n).padStart(5, '0')}.jsonl.gz`;
}

export function quarantineKey(workspaceId: string, windowStart: number, kind: PartKind, n: number): string {
  return `${quarantinePrefix(workspaceId)}dt=${utcDate(windowStart)}/${stamp(windowStart)}-${kind}-${String(n).padStart(5, '0')}.jsonl.gz`;
}

/** The daily teammate list (GET /admins): `rosters/workspace=<id>/dt=<YYYY-MM-DD>/roster.jsonl.gz`. */
export function rosterKey(workspaceId: string, dt: string): string {
  return `${ROSTER_ROOT}workspace=${workspaceId}/dt=${dt}/roster.jsonl.gz`;
}

export function manifestKey(workspaceId: string, seq: number): string {
  return `${manifestPrefix(workspaceId)}${String(seq).padStart(12, '0')}.json`;
}

const PART_NAME = /\/dt=(\d{4}-\d{2}-\d{2})\/(\d{8}T\d{6}Z)-(part|late)-(\d{5})\.jsonl\.gz$/;

/** Reads a data or quarantine key back into its fields; undefined for anything else. */
export function parsePartKey(key: string): { dt: string; windowStart: number; kind: PartKind; n: number } | undefined {
  const m = PART_NAME.exec(key);
  if (!m) return undefined;
  return { dt: m[1]!, windowStart: parseStamp(m[2]!), kind: m[3] as PartKind, n: Number(m[4]) };
}

export function parseManifestKey(key: string): { workspaceId: string; seq: number } | undefined {
  const m = /^manifests\/workspace=([A-Za-z0-9_-]+)\/(\d{12})\.json$/.exec(key);
  return m ? { workspaceId: m[1]!, seq: Number(m[2]) } : undefined;
}
