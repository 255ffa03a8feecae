/**
 * Where live alerting stands, kept in the archive beside the sent records, create-only like
 * everything else:
 *
 *   alerts/workspace=<id>/watermark/<manifest seq, 12 digits>.json  every entry listed up to that manifest was alerted on
 *   alerts/workspace=<id>/state/<YYYY-MM-DD>.json                   the evaluator's state through a manifest, at most one a day
 *
 * Both name the manifest seq and SHA-256 they reflect, and a watermark names the snapshot (key
 * and SHA-256) the next run starts from, so a snapshot nobody referenced, or one changed after
 * it was written, is never used. A reader trusts either only once its link to the chain checks
 * out (liveAlerts.ts). On AWS only the collector may write `alerts/`.
 */
import { z } from 'zod';
import { IntegrityError, ObjectNotFoundError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { serializedStateSchema } from './state.ts';

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
  /** The evaluator-state snapshot the next run starts from (null: none yet). */
  snapshot: z.strictObject({ key: z.string(), sha256: sha, seq: z.number().int().nonnegative() }).nullable(),
  /**
   * The evaluator's state at this manifest as changes to that snapshot (state.ts stateDelta):
   * the next run starts here instead of re-reading every part since the snapshot.
   */
  state_delta: serializedStateSchema.nullable(),
  alerts: z.strictObject({
    matches: z.number().int().nonnegative(),
    sent: z.number().int().nonnegative(),
    already_sent: z.number().int().nonnegative(),
    too_old: z.number().int().nonnegative(),
  }),
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
  return parseRecord(key, await store.get(key), schema, workspaceId);
}

function parseRecord<T>(key: string, body: Buffer, schema: z.ZodType<T>, workspaceId: string): Candidate<T> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { key, problem: `${key} is not valid JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return {
      key,
      problem: `${key} does not match its format (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})`,
    };
  if ((parsed.data as { workspace_id: string }).workspace_id !== workspaceId) return { key, problem: `${key} names another workspace` };
  return { key, record: parsed.data };
}

async function lastKey(
  store: ObjectStore,
  prefix: string,
  pattern: RegExp,
  accept: (name: string) => boolean,
  startAfter?: string,
): Promise<string | undefined> {
  let best: string | undefined;
  for await (const object of store.list(prefix, startAfter ? { startAfter } : {})) {
    const name = object.key.slice(prefix.length);
    if (pattern.test(name) && accept(name)) best = object.key;
  }
  return best;
}

/** How far behind the head the latest watermark is looked for first (one LIST page). */
const RECENT_WATERMARKS = 900;

/**
 * The newest watermark at or below the chain head (a key above the head cannot be honest), or
 * undefined. One LIST request in the usual case: the last few hundred seqs are listed first.
 */
export async function latestWatermark(store: ObjectStore, workspaceId: string, headSeq: number): Promise<Candidate<Watermark> | undefined> {
  const prefix = watermarkPrefix(workspaceId);
  const pattern = /^\d{12}\.json$/;
  const accept = (name: string) => Number(name.slice(0, 12)) <= headSeq;
  const recent = headSeq - RECENT_WATERMARKS;
  const key =
    (recent > 0 ? await lastKey(store, prefix, pattern, accept, watermarkKey(workspaceId, recent)) : undefined) ??
    (await lastKey(store, prefix, pattern, accept));
  if (!key) return undefined;
  const candidate = await readRecord(store, key, watermarkSchema, workspaceId);
  if (candidate.record && watermarkKey(workspaceId, candidate.record.seq) !== key)
    return { key, problem: `${key} names manifest ${candidate.record.seq}, not the one its key says` };
  return candidate;
}

/** The snapshot a watermark names, if its bytes are still the ones the watermark recorded. */
export async function readSnapshot(
  store: ObjectStore,
  workspaceId: string,
  ref: { key: string; sha256: string; seq: number },
): Promise<Candidate<Snapshot>> {
  if (
    !ref.key.startsWith(snapshotPrefix(workspaceId)) ||
    !/^\d{4}-\d{2}-\d{2}\.json$/.test(ref.key.slice(snapshotPrefix(workspaceId).length))
  )
    return { key: ref.key, problem: "the watermark names a key outside this workspace's snapshots" };
  let bytes: Buffer;
  try {
    bytes = await store.get(ref.key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return { key: ref.key, problem: 'it does not exist' };
    throw error;
  }
  if (sha256Hex(bytes) !== ref.sha256)
    return { key: ref.key, problem: 'its bytes are not the ones the watermark recorded (SHA-256 differs)' };
  const candidate = parseRecord(ref.key, bytes, snapshotSchema, workspaceId);
  if (candidate.record && candidate.record.seq !== ref.seq)
    return { key: ref.key, problem: `it names manifest ${candidate.record.seq}, the watermark says ${ref.seq}` };
  return candidate;
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

/**
 * Writes the day's snapshot and returns its reference; undefined when that day's key already
 * holds other bytes (at most one a day, whoever wrote it).
 */
export async function writeSnapshot(
  store: ObjectStore,
  record: Snapshot,
  day: string,
): Promise<{ key: string; sha256: string; seq: number } | undefined> {
  const key = snapshotKey(record.workspace_id, day);
  const bytes = body(record);
  const sha256 = sha256Hex(bytes);
  try {
    await store.putIfAbsent(key, bytes, sha256);
    return { key, sha256, seq: record.seq };
  } catch (error) {
    if (error instanceof IntegrityError && error.key === key) return undefined;
    throw error;
  }
}
