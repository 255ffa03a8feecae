/**
 * Legal holds: keep every object of a period (or of named prefixes) beyond its retention date,
 * for litigation or a subpoena, until the hold is released. On S3 this is the object's legal-hold
 * flag; locally it is a record beside the object's lock record. A hold never changes retention.
 *
 * Each hold is recorded create-only under `holds/`, with everything needed to act on it in the
 * key itself — the legal-hold role may list and write there but read nothing in the archive:
 *
 *   holds/<hold id>/place/period=<from>..<to>.json       (or prefix=<url-encoded prefixes>.json)
 *   holds/<hold id>/release.json
 *
 * The body (reason, time, the objects held) is for auditors and `verify`. An object's flag is
 * on while any unreleased hold selects it; releasing one hold keeps what another still selects.
 *
 * A period holds its data and quarantine parts (by `dt=`) and the whole chain that proves them —
 * every manifest, signature and key record — since a part can only be verified through the chain
 * from its genesis.
 */
import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { DATA_ROOT, MANIFEST_ROOT, QUARANTINE_ROOT, stamp } from '../archive/keys.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { SIGNATURE_ROOT } from '../signing/signatures.ts';

export const HOLD_ROOT = 'holds/';
export const HOLD_FORMAT = 'intercom-audit-archive/hold/v1';
/** The chain a held part is verified through; `keys/` holds key records where the archive has them. */
const CHAIN_ROOTS = [MANIFEST_ROOT, SIGNATURE_ROOT, 'keys/'];

export type HoldSelection =
  | { readonly kind: 'period'; readonly from: string; readonly to: string }
  | { readonly kind: 'prefix'; readonly prefixes: readonly string[] };

export interface HoldSummary {
  readonly holdId: string;
  readonly selection: HoldSelection;
  readonly released: boolean;
  /** From the record's body, where these credentials may read it. */
  readonly reason?: string;
  readonly placedAt?: string;
  readonly objects?: number;
}

/** A store that can place legal holds. */
export type HoldingStore = ObjectStore & Required<Pick<ObjectStore, 'setLegalHold'>>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const HOLD_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/** Checks a selection the operator gave; throws a ConfigurationError naming the flag. */
export function validateSelection(selection: HoldSelection): HoldSelection {
  if (selection.kind === 'period') {
    if (!DAY.test(selection.from) || Number.isNaN(Date.parse(selection.from)))
      throw new ConfigurationError(`--from: '${selection.from}' is not a day like 2026-01-31`);
    if (!DAY.test(selection.to) || Number.isNaN(Date.parse(selection.to)))
      throw new ConfigurationError(`--to: '${selection.to}' is not a day like 2026-03-31`);
    if (selection.from > selection.to) throw new ConfigurationError(`--from ${selection.from} is after --to ${selection.to}`);
    return selection;
  }
  if (selection.prefixes.length === 0) throw new ConfigurationError('give --from and --to, or at least one --prefix');
  for (const prefix of selection.prefixes) {
    if (!prefix || prefix.startsWith('/') || prefix.split('/').includes('..'))
      throw new ConfigurationError(`--prefix: '${prefix}' is not an archive key prefix (e.g. activity_logs/workspace=abc/)`);
    if (prefix.startsWith(HOLD_ROOT))
      throw new ConfigurationError(`--prefix: '${prefix}' is the hold records themselves; they are create-only and need no hold`);
  }
  return selection;
}

function selectionSegment(selection: HoldSelection): string {
  return selection.kind === 'period'
    ? `period=${selection.from}..${selection.to}`
    : `prefix=${selection.prefixes.map(encodeURIComponent).join(',')}`;
}

function parseSelectionSegment(segment: string): HoldSelection | undefined {
  const period = /^period=(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(segment);
  if (period) return { kind: 'period', from: period[1]!, to: period[2]! };
  const prefix = /^prefix=(.+)$/.exec(segment);
  if (prefix) return { kind: 'prefix', prefixes: prefix[1]!.split(',').map(decodeURIComponent) };
  return undefined;
}

export function placeRecordKey(holdId: string, selection: HoldSelection): string {
  return `${HOLD_ROOT}${holdId}/place/${selectionSegment(selection)}.json`;
}

export function releaseRecordKey(holdId: string): string {
  return `${HOLD_ROOT}${holdId}/release.json`;
}

/** Every object the selection covers now, in key order. */
export async function selectObjects(store: ObjectStore, selection: HoldSelection): Promise<string[]> {
  const keys: string[] = [];
  if (selection.kind === 'prefix') {
    for (const prefix of selection.prefixes) for await (const o of store.list(prefix)) keys.push(o.key);
  } else {
    for (const root of [DATA_ROOT, QUARANTINE_ROOT]) {
      for await (const o of store.list(root)) {
        const dt = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(o.key)?.[1];
        if (dt && dt >= selection.from && dt <= selection.to) keys.push(o.key);
      }
    }
    for (const root of CHAIN_ROOTS) for await (const o of store.list(root)) keys.push(o.key);
  }
  return [...new Set(keys)].sort();
}

/** The holds recorded in the archive, from their keys (and their bodies where readable). */
export async function listHolds(store: ObjectStore, options: { readBodies?: boolean } = {}): Promise<HoldSummary[]> {
  const placed = new Map<string, HoldSelection>();
  const released = new Set<string>();
  for await (const o of store.list(HOLD_ROOT)) {
    const [, id, action, segment] = /^holds\/([^/]+)\/(place|release)(?:\/(.+))?\.json$/.exec(o.key) ?? [];
    if (!id) continue;
    if (action === 'release') released.add(id);
    else {
      const selection = segment ? parseSelectionSegment(segment) : undefined;
      if (selection) placed.set(id, selection);
    }
  }
  const holds: HoldSummary[] = [];
  for (const [holdId, selection] of [...placed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let body: { reason?: string; at?: string; objects?: string[] } = {};
    if (options.readBodies) {
      try {
        body = JSON.parse((await store.get(placeRecordKey(holdId, selection))).toString('utf8')) as typeof body;
      } catch {
        // Not readable with these credentials (the legal-hold role reads nothing): the key says enough.
      }
    }
    holds.push({
      holdId,
      selection,
      released: released.has(holdId),
      ...(typeof body.reason === 'string' && { reason: body.reason }),
      ...(typeof body.at === 'string' && { placedAt: body.at }),
      ...(Array.isArray(body.objects) && { objects: body.objects.length }),
    });
  }
  return holds;
}

export interface PlaceHoldOptions {
  readonly selection: HoldSelection;
  readonly reason: string;
  readonly now?: Date;
}

/** Records the hold (create-only), then places a legal hold on every object it selects. */
export async function placeHold(
  store: HoldingStore,
  options: PlaceHoldOptions,
): Promise<{ holdId: string; recordKey: string; objects: number }> {
  const selection = validateSelection(options.selection);
  const reason = requireReason(options.reason);
  const now = options.now ?? new Date();
  const objects = await selectObjects(store, selection);
  if (objects.length === 0)
    throw new ConfigurationError(`nothing to hold: no archived object matches ${selectionSegment(selection)} in ${store.location}`);
  const holdId = `${stamp(Math.floor(now.getTime() / 1000))}-${randomBytes(4).toString('hex')}`;
  const recordKey = placeRecordKey(holdId, selection);
  // The record goes first: a hold is never placed without saying why (a crash midway shows in
  // verify as fewer held objects than the record lists; placing again holds the rest).
  const body = Buffer.from(
    `${JSON.stringify({ format: HOLD_FORMAT, action: 'place', hold_id: holdId, reason, at: now.toISOString(), selection, objects }, null, 2)}\n`,
  );
  await store.putIfAbsent(recordKey, body, sha256Hex(body));
  for (const key of objects) await store.setLegalHold(key, true);
  return { holdId, recordKey, objects: objects.length };
}

/** Records the release, then lifts the legal hold from what no other unreleased hold selects. */
export async function releaseHold(
  store: HoldingStore,
  options: { holdId: string; reason: string; now?: Date },
): Promise<{ recordKey: string; released: number; keptByOtherHolds: number }> {
  if (!HOLD_ID.test(options.holdId))
    throw new ConfigurationError(`--hold: '${options.holdId}' is not a hold id (hold list shows them, e.g. 20260301T120000Z-1a2b3c4d)`);
  const reason = requireReason(options.reason);
  const now = options.now ?? new Date();
  const holds = await listHolds(store);
  const target = holds.find((h) => h.holdId === options.holdId);
  if (!target) throw new ConfigurationError(`--hold: no hold ${options.holdId} is recorded in ${store.location}`);
  if (target.released) throw new ConfigurationError(`--hold: hold ${options.holdId} is already released`);
  const recordKey = releaseRecordKey(options.holdId);
  const body = Buffer.from(
    `${JSON.stringify({ format: HOLD_FORMAT, action: 'release', hold_id: options.holdId, reason, at: now.toISOString() }, null, 2)}\n`,
  );
  await store.putIfAbsent(recordKey, body, sha256Hex(body));
  const kept = new Set<string>();
  for (const other of holds)
    if (other.holdId !== target.holdId && !other.released) for (const key of await selectObjects(store, other.selection)) kept.add(key);
  let released = 0;
  let keptByOtherHolds = 0;
  for (const key of await selectObjects(store, target.selection)) {
    if (kept.has(key)) keptByOtherHolds += 1;
    else {
      await store.setLegalHold(key, false);
      released += 1;
    }
  }
  return { recordKey, released, keptByOtherHolds };
}

function requireReason(reason: string): string {
  const text = reason.trim();
  if (!text) throw new ConfigurationError('--reason: say why (the matter, subpoena or ticket); it is recorded with the hold');
  if (text.length > 2000) throw new ConfigurationError('--reason: keep it under 2000 characters (name the matter or ticket)');
  return text;
}
