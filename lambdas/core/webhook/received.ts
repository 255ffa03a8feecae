/**
 * What the webhook receiver saw, recorded create-only beside the archive — never as evidence
 * (the poll stays the system of record), only so a reconciliation can name entries the poll
 * did not archive:
 *
 *   webhook/workspace=<id>/dt=<YYYY-MM-DD of created_at>/<created_at, 10 digits>-<entry id>.json
 *
 * The key alone gives the entry's time and id, so a reconciliation lists and reads nothing
 * else unless an id is unmatched. A record holds no personal data (no e-mail, address or text).
 */
import { IntegrityError } from '../errors.ts';
import { assertWorkspaceId, utcDate } from '../archive/keys.ts';
import { sha256Hex } from '../archive/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import { ENTRY_ID_PATTERN } from './notification.ts';

export const WEBHOOK_ROOT = 'webhook/';
export const RECEIVED_FORMAT = 'intercom-audit-archive/webhook-received/v1';

export interface ReceivedRecord {
  readonly format: typeof RECEIVED_FORMAT;
  readonly workspace_id: string;
  readonly id: string;
  readonly created_at: number;
  readonly activity_type: string | null;
  readonly app_id: string;
  readonly notification_id: string | null;
  readonly received_at: string;
}

export const receivedPrefix = (workspaceId: string) => `${WEBHOOK_ROOT}workspace=${assertWorkspaceId(workspaceId)}/`;

/** The record's key; throws on an id or time that could not be part of one (checked before, see receive.ts). */
export function receivedKey(workspaceId: string, createdAt: number, id: string): string {
  if (!ENTRY_ID_PATTERN.test(id)) throw new RangeError('entry id is not safe in an object key');
  if (!Number.isInteger(createdAt) || createdAt < 0 || createdAt > 9_999_999_999) throw new RangeError('created_at out of range');
  return `${receivedPrefix(workspaceId)}dt=${utcDate(createdAt)}/${String(createdAt).padStart(10, '0')}-${id}.json`;
}

const NAME = /^(\d{10})-([A-Za-z0-9_-]{1,128})\.json$/;

/** Id and time from a record's key, or undefined for any other object under the prefix. */
export function parseReceivedKey(workspaceId: string, key: string): { id: string; createdAt: number } | undefined {
  const prefix = receivedPrefix(workspaceId);
  if (!key.startsWith(prefix)) return undefined;
  const [day, name, ...rest] = key.slice(prefix.length).split('/');
  const m = rest.length === 0 && name ? NAME.exec(name) : null;
  if (!m || day !== `dt=${utcDate(Number(m[1]))}`) return undefined;
  return { id: m[2]!, createdAt: Number(m[1]) };
}

/** Whether this entry was already received (and its alerts delivered: the record is written after them). */
export async function wasReceived(store: ObjectStore, workspaceId: string, createdAt: number, id: string): Promise<boolean> {
  return (await store.head(receivedKey(workspaceId, createdAt, id))) !== undefined;
}

/** Writes the record create-only; false when one is already there (a retry or a replay). */
export async function recordReceived(store: ObjectStore, record: ReceivedRecord): Promise<boolean> {
  const key = receivedKey(record.workspace_id, record.created_at, record.id);
  const body = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
  try {
    return (await store.putIfAbsent(key, body, sha256Hex(body))).created;
  } catch (error) {
    if (error instanceof IntegrityError && error.key === key) return false;
    throw error;
  }
}

/** Received ids with `from <= created_at < to`, listed a UTC day at a time (keys only). */
export async function* receivedBetween(
  store: ObjectStore,
  workspaceId: string,
  from: number,
  to: number,
): AsyncGenerator<{ id: string; createdAt: number; key: string }> {
  for (let day = Math.floor(from / 86_400) * 86_400; day < to; day += 86_400) {
    for await (const object of store.list(`${receivedPrefix(workspaceId)}dt=${utcDate(day)}/`)) {
      const parsed = parseReceivedKey(workspaceId, object.key);
      if (parsed && parsed.createdAt >= from && parsed.createdAt < to) yield { ...parsed, key: object.key };
    }
  }
}

/** When the record says the entry was received (its key's time when the body is unreadable). */
export async function receivedAt(store: ObjectStore, key: string, fallback: number): Promise<string> {
  try {
    const json = JSON.parse((await store.get(key)).toString('utf8')) as { received_at?: unknown };
    if (typeof json.received_at === 'string' && !Number.isNaN(Date.parse(json.received_at))) return json.received_at;
  } catch {
    // fall through: a record that does not read still names an id the poll did not archive
  }
  return new Date(fallback * 1000).toISOString();
}
