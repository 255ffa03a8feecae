/**
 * Where live alerting stands, kept in the archive beside the sent records, create-only like
 * everything else:
 *
 *   alerts/workspace=<id>/watermark/<manifest seq, 12 digits>.json  every entry listed up to that manifest was alerted on
 *   alerts/workspace=<id>/state/<YYYY-MM-DD>.json                   the evaluator's state through a manifest, at most one a day
 *
 * Both name the manifest seq and SHA-256 they reflect; a reader trusts one only once that link
 * is checked against the chain (liveAlerts.ts). On AWS only the collector may write `alerts/`.
 */
import { z } from 'zod';
import { IntegrityError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { type SerializedState, serializedStateSchema } from './state.ts';

export const WATERMARK_FORMAT = 'intercom-audit-archive/alert-watermark/v1';
export const SNAPSHOT_FORMAT = 'intercom-audit-archive/alert-state/v1';

const seqText = (seq: number) => String(seq).padStart(12, '0');
export const watermarkPrefix = (workspaceId: string) => `alerts/workspace=${workspaceId}/watermark/`;
export const snapshotPrefix = (workspaceId: string) => `alerts/workspace=${workspaceId}/state/`;
export const watermarkKey = (workspaceId: string, seq: number) => `${watermarkPrefix(workspaceId)}${seqText(seq)}.json`;
export const snapshotKey = (workspaceId: string, day: string) => `${snapshotPrefix(workspaceId)}${day}.json`;

const sha = z.string().regex(/^[0-9a-f]{64}$/);
const link = {
  workspace_id: z.string(),
  /** The manifest this record reflects: everything the chain lists up to and including it. */
  seq: z.number().int().nonnegative(),
  manifest_sha256: sha,
  /** That manifest's checkpoint (end of contiguous coverage), for people reading the record. */
  checkpoint: z.number().int(),
};

export const watermarkSchema = z.strictObject({
  format: z.literal(WATERMARK_FORMAT),
  ...link,
  /** The watermark this one advanced from (null: the first). */
  previous_seq: z.number().int().nonnegative().nullable(),
  alerts: z.strictObject({ matches: z.number().int().nonnegative(), sent: z.number().int().nonnegative(), already_sent: z.number().int().nonnegative(), too_old: z.number().int().nonnegative() }),
  written_at: z.string(),
});
export type Watermark = z.infer<typeof watermarkSchema>;

export const snapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  ...link,
  /** SHA-256 of what the rules make the state track (state.ts): another rule set recomputes. */
  tracking_sha256: sha,
  computed_at: z.string(),
  state: serializedStateSchema,
});
export type Snapshot = z.infer<typeof snapshotSchema>;

/** A record read back, not yet trusted: `problem` says why it cannot be used at all. */
export interface Candidate<T> {
  readonly key: string;
  readonly record?: T;
  readonly problem?: string;
}

async function readRecord<T>(store: ObjectStore, key: string, schema: z.ZodType<T>, workspaceId: string): Promise<Candidate<T>> {
  const body = await store.get(key);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { key, problem: `${key} is not valid JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { key, problem: `${key} does not match its format (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})` };
  if ((parsed.data as { workspace_id: string }).workspace_id !== workspaceId) return { key, problem: `${key} names another workspace` };
  return { key, record: parsed.data };
}

async function lastKey(store: ObjectStore, prefix: string, pattern: RegExp, accept: (name: string) => boolean, startAfter?: string): Promise<string | undefined> {
  let best: string | undefined;
  for await (const object of store.list(prefix, startAfter ? { startAfter } : {})) {
    const name = object.key.slice(prefix.length);
    if (pattern.test(name) && accept(name)) best = object.key;
  }
  return best;
}

/**
 * The newest watermark at or below the chain head (a key above the head cannot be honest), or
 * undefined. `atLeast` starts the listing there (one LIST request in the usual case).
 */
export async function latestWatermark(store: ObjectStore, workspaceId: string, headSeq: number, atLeast?: number): Promise<Candidate<Watermark> | undefined> {
  const prefix = watermarkPrefix(workspaceId);
  const startAfter = atLeast !== undefined && atLeast > 0 ? watermarkKey(workspaceId, atLeast - 1) : undefined;
  const key = await lastKey(store, prefix, /^\d{12}\.json$/, (name) => Number(name.slice(0, 12)) <= headSeq, startAfter);
  if (!key) return undefined;
  const candidate = await readRecord(store, key, watermarkSchema, workspaceId);
  if (candidate.record && watermarkKey(workspaceId, candidate.record.seq) !== key) return { key, problem: `${key} names manifest ${candidate.record.seq}, not the one its key says` };
  return candidate;
}

/** The newest snapshot dated no later than `today` (a future date cannot be honest), or undefined. */
export async function latestSnapshot(store: ObjectStore, workspaceId: string, today: string): Promise<Candidate<Snapshot> | undefined> {
  const prefix = snapshotPrefix(workspaceId);
  const pattern = /^\d{4}-\d{2}-\d{2}\.json$/;
  const accept = (name: string) => name.slice(0, 10) <= today;
  // Usually there is one from the last few days: list only those, then everything.
  const recent = new Date(`${today}T00:00:00Z`);
  recent.setUTCDate(recent.getUTCDate() - 3);
  const key = (await lastKey(store, prefix, pattern, accept, snapshotKey(workspaceId, recent.toISOString().slice(0, 10)))) ?? (await lastKey(store, prefix, pattern, accept));
  return key ? readRecord(store, key, snapshotSchema, workspaceId) : undefined;
}

function body(record: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

export async function writeWatermark(store: ObjectStore, record: Watermark): Promise<string> {
  const key = watermarkKey(record.workspace_id, record.seq);
  const bytes = body(record);
  await store.putIfAbsent(key, bytes, sha256Hex(bytes));
  return key;
}

/** Writes the day's snapshot; false when that day already has one (at most one a day, whoever wrote it). */
export async function writeSnapshot(store: ObjectStore, record: Snapshot, day: string): Promise<boolean> {
  const key = snapshotKey(record.workspace_id, day);
  const bytes = body(record);
  try {
    return (await store.putIfAbsent(key, bytes, sha256Hex(bytes))).created;
  } catch (error) {
    if (error instanceof IntegrityError && error.key === key) return false;
    throw error;
  }
}

export type { SerializedState };
