/**
 * The case lists of the reliability suites, in one place, so the README's Reliability figures
 * can be checked against what the suites actually run (test/reliability/figures.test.ts).
 */
import type { FaultsInput } from '../../simulator/faults.ts';

/** Simulator fault switches that `collect()` must survive with every id archived once. */
export const COLLECT_FAULT_SWITCHES: [string, FaultsInput][] = [
  ['5xx', { error5xx: 0.2 }],
  ['429 bursts', { burst429: 0.2 }],
  ['truncated bodies', { truncate: 0.2 }],
  ['HTML pages', { html: 0.2 }],
  ['connection resets', { reset: 0.2 }],
  ['hangs', { hang: 0.05 }],
  ['repeated entries', { repeat: 9 }],
  ['per_page ignored', { ignorePerPage: true }],
  ['a tight rate budget', { budget: 40, rateWindowSeconds: 1 }],
];

/** Where the CLI process is killed with SIGKILL (AUDIT_ARCHIVE_FAILPOINT), then rerun. */
export const KILL_POINTS: [string, string][] = [
  ['in the middle of a part write', 'temp-written:activity_logs/:3'],
  ['after a part is written, before its manifest', 'linked:activity_logs/:2'],
  ['in the middle of a manifest write', 'temp-written:manifests/:3'],
  ['after a manifest, before the checkpoint cache', 'linked:manifests/:4'],
  ['in the middle of the genesis manifest write', 'temp-written:manifests/:1'],
  // The manifest is written, its signature is not: the rerun writes a signed recovery manifest.
  ['between a manifest and its signature', 'temp-written:signatures/:3'],
];

/** Milliseconds after start at which the CLI is killed, one run after another, on one archive. */
export const RANDOM_KILL_INSTANTS = [350, 900, 1300, 700, 1600];

/** Injected S3 failures × the put they hit (see s3Faults.test.ts). */
export const S3_FAULTS = ['put fails', 'put times out after S3 stored it', '409 conflict, then success'] as const;
export const S3_FAULT_PUTS = [1, 2, 5, 9, 14];

/** Entries that fail validation and must be quarantined with their reason. */
export const BAD_ENTRIES: { name: string; entry: unknown; reason: RegExp }[] = [
  { name: 'missing id', entry: { created_at: 1_750_000_015, activity_type: 'admin_logout' }, reason: /id/ },
  { name: 'empty id', entry: { id: '', created_at: 1_750_000_015, activity_type: 'admin_logout' }, reason: /id/ },
  { name: 'created_at as text', entry: { id: 'b1', created_at: '1750000015', activity_type: 'admin_logout' }, reason: /created_at/ },
  {
    name: 'created_at with a fraction',
    entry: { id: 'b2', created_at: 1_750_000_015.5, activity_type: 'admin_logout' },
    reason: /created_at/,
  },
  { name: 'missing activity_type', entry: { id: 'b3', created_at: 1_750_000_015 }, reason: /activity_type/ },
  { name: 'activity_type as a number', entry: { id: 'b4', created_at: 1_750_000_015, activity_type: 7 }, reason: /activity_type/ },
  {
    name: 'performed_by as text',
    entry: { id: 'b5', created_at: 1_750_000_015, activity_type: 'x', performed_by: 'admin' },
    reason: /performed_by/,
  },
  { name: 'metadata as text', entry: { id: 'b6', created_at: 1_750_000_015, activity_type: 'x', metadata: 'oops' }, reason: /metadata/ },
  { name: 'metadata as a list', entry: { id: 'b7', created_at: 1_750_000_015, activity_type: 'x', metadata: [1, 2] }, reason: /metadata/ },
  { name: 'an entry that is null', entry: null, reason: /entry/ },
  { name: 'an entry that is a string', entry: 'garbage', reason: /entry/ },
];

/** Whole pages that are broken and must be retried. */
export const BAD_PAGES: { name: string; body: string }[] = [
  { name: 'an HTML error page with status 200', body: '<!DOCTYPE html><html><body>Something went wrong</body></html>' },
  { name: 'a body cut in half', body: '{"type":"activity_log.list","pages":{"next":null},"activity_logs":[{"id":"x",' },
  { name: 'an empty body', body: '' },
  { name: 'JSON that is not a page (no activity_logs)', body: '{"type":"activity_log.list","pages":{"next":null}}' },
  { name: 'a page of the wrong type', body: '{"type":"conversation.list","activity_logs":[]}' },
  { name: 'activity_logs that is not a list', body: '{"type":"activity_log.list","activity_logs":{"id":"x"}}' },
  {
    name: 'pages.next that is not a URL',
    body: '{"type":"activity_log.list","pages":{"next":{"starting_after":"abc"}},"activity_logs":[]}',
  },
];

/** Tampering that verify must detect, each named by object and problem (verify.test.ts). */
export const TAMPER_CASES = [
  'an altered byte',
  'a truncated object',
  'a deleted object',
  'a deleted manifest',
  'a forged manifest',
  'reordered manifests',
  'a stray object',
  'a stray file among the manifests',
  'a gap between windows (re-chained by a careful forger)',
  'overlapping windows (re-chained)',
  'an entry archived twice',
  'a manifest whose counts do not match its part (re-chained)',
  'a truncated chain head',
];

/**
 * Attacks by someone who can write into the archive folder or put objects into the bucket but has
 * no signing key; each runs on the local store and through the S3 adapter (reobserve.test.ts).
 */
export const ARCHIVE_WRITER_ATTACKS = [
  'a forged unsigned head',
  'a planted part',
  'a planted part re-attributing a real entry',
  'an unlisted object and a forged index',
  'an id served again with different content',
  'a kill between a window manifest and its signature',
  'a kill between the genesis and its signature',
] as const;
export const ARCHIVE_WRITER_STORES = ['local store', 'S3 adapter (KMS signer)'] as const;
