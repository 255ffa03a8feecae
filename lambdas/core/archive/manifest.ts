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
import { z } from 'zod';

export const MANIFEST_FORMAT = 'intercom-audit-archive/manifest/v1';

const partSchema = z.strictObject({
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  min_created_at: z.number().int().nullable(),
  max_created_at: z.number().int().nullable(),
  adopted: z.boolean().optional(),
});

export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  workspace_id: z.string(),
  seq: z.number().int().nonnegative(),
  kind: z.enum(['genesis', 'window', 'late', 'roster']),
  /** The half-open range this manifest covers (genesis: empty, at the archive's start). */
  from: z.number().int(),
  to: z.number().int(),
  from_iso: z.string(),
  to_iso: z.string(),
  /** Where the archive starts (genesis `from`), repeated so no reader needs seq 0. */
  origin: z.number().int(),
  /** End of contiguous coverage once this manifest is written: the collector's checkpoint. */
  checkpoint: z.number().int(),
  prev_sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
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
    .strictObject({ key: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative(), teammates: z.number().int().nonnegative(), dt: z.string(), fetched_at: z.string() })
    .optional(),
  run: z.strictObject({ run_id: z.string(), collector_version: z.string(), written_at: z.string() }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestPart = z.infer<typeof partSchema>;

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
