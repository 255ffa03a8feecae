import { canonicalSha256, sha256Hex } from '../archive/manifest.ts';
import { stringifyDeep } from '../archive/lines.ts';
import type { QuarantinedEntry } from '../intercom/schema.ts';

/** What `entrySha` gives for a value that cannot be canonicalised: no real SHA-256 equals it. */
export const UNHASHABLE = 'unhashable';

/**
 * Canonical SHA-256 of an entry, or UNHASHABLE when it cannot be canonicalised (metadata nested
 * thousands deep overflows the recursive canonicaliser): such an entry is quarantined as served,
 * and a found line holding one is never confirmed — it never stops the window.
 */
export function entrySha(value: unknown): string {
  try {
    return canonicalSha256(value);
  } catch {
    return UNHASHABLE;
  }
}

/** The key a quarantined entry is known by: its id, or the SHA-256 of what was served. */
export function quarantineKeyOf(entry: QuarantinedEntry): string {
  return entry.id !== undefined ? `id:${entry.id}` : `sha256:${sha256Hex(stringifyDeep(entry.raw) ?? 'undefined')}`;
}
