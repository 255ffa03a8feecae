/**
 * Manifests: the hash chain that proves the archive complete and untampered.
 *
 * One chain per workspace, sequence-numbered and create-only. `genesis` (seq 0) fixes where
 * the archive starts; each `window` manifest covers a half-open window [from, to) that starts
 * exactly where the previous window ended (empty windows included); a `late` manifest adds
 * entries found later in a range already covered, like CloudTrail's backfill digests; a `roster`
 * manifest lists the day's teammate list (GET /admins) and covers no range.
 * Each manifest names the SHA-256 of the previous one.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';

/** Written by this version; v1 manifests (no recovery, exception or adoption kinds) stay readable. */
export const MANIFEST_FORMAT = 'intercom-audit-archive/manifest/v2';
export const MANIFEST_FORMAT_V1 = 'intercom-audit-archive/manifest/v1';

const partSchema = z.strictObject({
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  min_created_at: z.number().int().nullable(),
  max_created_at: z.number().int().nullable(),
  adopted: z.boolean().optional(),
});

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

/** A manifest named by seq and SHA-256 (what a recovery manifest supersedes, an adoption manifest adopts). */
const manifestRefSchema = z.strictObject({ seq: z.number().int().nonnegative(), sha256: sha256Schema });

/**
 * An object in the data area that is not data: a part found unlisted whose entries Intercom did
 * not all serve again identically (at the head), or an object an operator acknowledged (history).
 */
const rejectedPartSchema = z.strictObject({
  key: z.string(),
  sha256: sha256Schema,
  lines: z.number().int().nonnegative(),
  /** Entries Intercom served again, identical (canonical JSON): written again into a new part. */
  confirmed: z.number().int().nonnegative(),
  unconfirmed: z.number().int().nonnegative(),
  reason: z.string(),
});

/** An id Intercom served again with different content: the served version is quarantined. */
const conflictSchema = z.strictObject({
  id: z.string(),
  /** SHA-256 of the canonical JSON (RFC 8785) of each version. */
  archived_sha256: sha256Schema,
  served_sha256: sha256Schema,
  archived_part: z.string(),
  quarantine_part: z.string(),
});

export const MANIFEST_KINDS = ['genesis', 'window', 'late', 'recovery', 'exception', 'adoption', 'roster'] as const;

export const manifestSchema = z.strictObject({
  format: z.enum([MANIFEST_FORMAT, MANIFEST_FORMAT_V1]),
  workspace_id: z.string(),
  seq: z.number().int().nonnegative(),
  /**
   * genesis, window, late (v1 and v2); v2 adds `recovery` (a window that supersedes unsigned
   * manifests and re-collects their range), `exception` (objects an operator acknowledged) and
   * `adoption` (unsigned manifests an operator vouched for with `keys adopt-unsigned`); `roster`
   * (the day's teammate list, no time range).
   */
  kind: z.enum(MANIFEST_KINDS),
  /** The half-open range this manifest covers (genesis: empty, at the archive's start). */
  from: z.number().int(),
  to: z.number().int(),
  from_iso: z.string(),
  to_iso: z.string(),
  /** Where the archive starts (genesis `from`), repeated so no reader needs seq 0. */
  origin: z.number().int(),
  /** End of contiguous coverage once this manifest is written: the collector's checkpoint. */
  checkpoint: z.number().int(),
  prev_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  parts: z.array(partSchema),
  quarantine: z.array(partSchema),
  records: z.number().int().nonnegative(),
  quarantined: z.number().int().nonnegative(),
  api: z.strictObject({
    host: z.string(),
    version: z.string(),
    per_page: z.number().int(),
    /** Every range asked of the API for this manifest (created_at_after / created_at_before). */
    ranges: z.array(z.tuple([z.number().int(), z.number().int()])),
    pages: z.number().int().nonnegative(),
  }),
  retain_until: z.string().nullable(),
  /** kind `roster`: the day's teammate list (GET /admins) the collector saved; covers no time range. */
  roster: z
    .strictObject({
      key: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int().nonnegative(),
      teammates: z.number().int().nonnegative(),
      dt: z.string(),
      fetched_at: z.string(),
    })
    .optional(),
  run: z.strictObject({ run_id: z.string(), collector_version: z.string(), written_at: z.string() }),
  /** v2, recovery: every unsigned manifest after the last signed one. Their claims carry no weight. */
  supersedes: z.array(manifestRefSchema).optional(),
  /** v2, adoption: the unsigned manifests an operator vouched for. */
  adopts: z.array(manifestRefSchema).optional(),
  /** v2: objects found in the data area that are not data (see rejectedPartSchema). */
  rejected_parts: z.array(rejectedPartSchema).optional(),
  /** v2: ids served again with different content. */
  conflicts: z.array(conflictSchema).optional(),
  /** v2: the one-line-per-part index written beside the manifest (Athena reads only what it lists). */
  index: z.strictObject({ key: z.string(), sha256: sha256Schema, bytes: z.number().int().nonnegative() }).optional(),
  /** v2, exception and adoption: why, as the operator gave it, and who. */
  reason: z.string().optional(),
  operator: z.string().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestPart = z.infer<typeof partSchema>;
export type RejectedPart = z.infer<typeof rejectedPartSchema>;
export type Conflict = z.infer<typeof conflictSchema>;
export type ManifestRef = z.infer<typeof manifestRefSchema>;

/** Kinds whose range extends coverage (window manifests meet exactly). */
export function isWindowKind(kind: Manifest['kind']): boolean {
  return kind === 'window' || kind === 'recovery';
}

/**
 * SHA-256 of an entry's canonical JSON (RFC 8785: keys sorted, numbers and strings in one
 * form), so the same entry served twice with its keys in another order compares equal.
 */
export function canonicalSha256(value: unknown): string {
  return sha256Hex(canonicalize(value) ?? 'undefined');
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
