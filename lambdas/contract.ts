/**
 * Who may write which prefix of the archive — listed once, here. The stack turns it into IAM
 * grants and into the bucket policy's per-prefix denies; the tests read it to check both; the
 * core's key roots are checked against it, so a new prefix cannot go unlisted.
 *
 * Operator commands that write signed records on AWS (key rotation, adopting unsigned history,
 * acknowledging exceptions) run as events the collector executes, so they need no writer of
 * their own. Nothing outside these prefixes can be written by anyone.
 */

/** The principals that put objects into the archive bucket. */
export type ArchiveWriter = 'collector' | 'reporter' | 'legalHold' | 'webhook';

export const ARCHIVE_PREFIX_WRITERS = {
  'activity_logs/': ['collector'],
  'quarantine/': ['collector'],
  'manifests/': ['collector'],
  'signatures/': ['collector'],
  'keys/': ['collector'],
  'index/': ['collector'],
  'rosters/': ['collector'],
  /** Sent-alert records and the alert state the collector keeps (the webhook receiver raises alerts too). */
  'alerts/': ['collector', 'webhook'],
  'reports/': ['reporter'],
  'holds/': ['legalHold'],
  'webhook/': ['webhook'],
} as const satisfies Record<string, readonly ArchiveWriter[]>;

export type ArchivePrefix = keyof typeof ARCHIVE_PREFIX_WRITERS;

export const ARCHIVE_PREFIXES = Object.keys(ARCHIVE_PREFIX_WRITERS) as ArchivePrefix[];

/** The prefixes `writer` may put objects under. */
export function prefixesWrittenBy(writer: ArchiveWriter): ArchivePrefix[] {
  return ARCHIVE_PREFIXES.filter((prefix) => (ARCHIVE_PREFIX_WRITERS[prefix] as readonly ArchiveWriter[]).includes(writer));
}

/** The writer(s) of the prefix `key` falls under, or undefined for a key outside every listed prefix. */
export function writersOf(key: string): readonly ArchiveWriter[] | undefined {
  const prefix = ARCHIVE_PREFIXES.find((p) => key.startsWith(p));
  return prefix ? ARCHIVE_PREFIX_WRITERS[prefix] : undefined;
}
