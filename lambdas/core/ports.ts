/**
 * The small interfaces the core talks through. Local and AWS adapters implement them;
 * in-memory fakes for tests live in test/helpers/.
 */
import type { ActivityPage, TimeRange } from './intercom/schema.ts';

export interface Retention {
  readonly mode: 'COMPLIANCE' | 'GOVERNANCE';
  readonly years: number;
}

/** What a create-only put did. */
export interface PutResult {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
  /** false when the object already existed with identical bytes (a retried write is a no-op). */
  readonly created: boolean;
  /** When the object's retention ends, where the store knows it. */
  readonly retainUntil?: string;
}

export interface ObjectInfo {
  readonly key: string;
  readonly bytes: number;
  /** Hex SHA-256 the store recorded, where it keeps one. */
  readonly sha256?: string;
  readonly retainUntil?: string;
  /** The store's entity tag (S3 ETag, quotes removed), where it has one. */
  readonly etag?: string;
  /** A local store found a symbolic link here: it is never followed or read. */
  readonly symlink?: boolean;
}

/** One version of an object, from a versioned bucket's listing (S3 ListObjectVersions). */
export interface ObjectVersionInfo {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  /** A delete marker: the object was "deleted" (hidden) in a versioned bucket. */
  readonly deleteMarker: boolean;
  readonly bytes?: number;
  readonly lastModified?: string;
}

/** A write-once object store: S3 with Object Lock, or a local WORM folder. No delete, no overwrite. */
export interface ObjectStore {
  /** Human-readable location, e.g. `s3://bucket/prefix` or a folder path. */
  readonly location: string;
  /** The retention new objects get (S3: the bucket's default Object Lock rule), if known. */
  readonly retention?: Retention;
  /** Create-only write with a SHA-256 (hex) of `body`. Identical bytes already there: a no-op; different bytes: IntegrityError. */
  putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult>;
  /** The object's bytes; throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Buffer>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Objects under `prefix` in key order, optionally only keys after `startAfter`. */
  list(prefix: string, options?: { startAfter?: string }): AsyncIterable<ObjectInfo>;
  /** How the store holds the object under lock (S3: GetObjectRetention + GetObjectAttributes). */
  objectLock?(key: string): Promise<ObjectLockInfo | undefined>;
  /**
   * The bytes, and the lock state when the same answer carries it (S3: GetObject's Object Lock
   * and checksum headers), so verify need not ask objectLock in a second round trip. No `lock`:
   * the answer did not say; ask objectLock. Throws like get.
   */
  getWithLock?(key: string): Promise<{ body: Buffer; lock?: ObjectLockInfo }>;
  /** Places (`on`) or releases an S3 legal hold on the object (locally: on its lock record). */
  setLegalHold?(key: string, on: boolean): Promise<void>;
  /**
   * Whether the store keeps lock state at all: false for a folder copied without its
   * `.object-lock/` records (what `aws s3 sync` or an assessor's download gives).
   */
  hasLockRecords?(): Promise<boolean>;
  /** Every version and delete marker under `prefix` (S3 ListObjectVersions), where the store keeps versions. */
  listVersions?(prefix: string): AsyncIterable<ObjectVersionInfo>;
}

export interface ObjectLockInfo {
  readonly mode?: string;
  readonly retainUntil?: string;
  /** When the object was created. */
  readonly createdAt?: string;
  /** The SHA-256 the store computed when the object was written, hex. */
  readonly sha256?: string;
  /** true while a legal hold is placed on the object, where the store tells. */
  readonly legalHold?: boolean;
}

/** The Intercom activity-log API, or anything that serves the same pages. */
export interface ActivityLogSource {
  /** API host and version recorded as provenance. */
  readonly host: string;
  readonly apiVersion: string;
  readonly perPage: number;
  /**
   * Pages of one time range as they arrive (both bounds sent to the API as given). `signal` calls
   * off the requests in flight (a range read ahead that is no longer wanted).
   */
  fetchRange(range: TimeRange, options?: FetchRangeOptions, signal?: AbortSignal): AsyncIterable<ActivityPage>;
  /** The workspace (app) id the token belongs to. */
  workspaceId(): Promise<string>;
  /** The teammate list (GET /admins), each admin object as served; absent where the source has none. */
  listAdmins?(): Promise<unknown[]>;
  /**
   * What the source has observed of its own pace, from which the collector chooses how many
   * ranges to fetch at once; absent where a source has no network (one range at a time).
   */
  pace?(): SourcePace;
}

/** A source's observed pace: each figure absent until the answers so far tell it. */
export interface SourcePace {
  /** Seconds a page takes to arrive, smoothed over the recent answers. */
  readonly latencySeconds?: number;
  /** Requests a second this app may send: its share of the rate budget the server reports. */
  readonly requestsPerSecond?: number;
  /** The largest page body read so far, in bytes. */
  readonly largestPageBytes?: number;
}

export interface FetchRangeOptions {
  /** Retries allowed for HTTP 5xx on this range; the caller may prefer to ask for a smaller range instead. */
  readonly maxServerRetries?: number;
}

/** A cached pointer to the chain head; losing it costs time, never data. */
export interface CheckpointCache {
  get(workspaceId: string): Promise<number | undefined>;
  set(workspaceId: string, seq: number): Promise<void>;
}

/** A cell of a query result: Athena returns text; DuckDB values are converted to these. */
export type Cell = string | number | boolean | null;

export interface QueryResult {
  readonly columns: string[];
  readonly rows: Cell[][];
  /** Athena's QueryExecutionId, where the engine has one. */
  readonly executionId?: string;
  /** Bytes the engine read, where it reports them. */
  readonly bytesScanned?: number;
}

/** Runs a canned query with its `?` values in order: Athena, or DuckDB over a local archive. */
export interface QueryEngine {
  /** e.g. `athena:intercom-audit-archive` or `duckdb 1.x`. */
  readonly name: string;
  run(sql: string, values: readonly string[]): Promise<QueryResult>;
  close(): Promise<void>;
}

/** Where a report pack's files go: a local folder, or create-only objects under reports/ in the archive. */
export interface ReportSink {
  readonly location: string;
  write(name: string, body: Buffer): Promise<void>;
  /** Throws unless the destination holds nothing yet (checked before any query runs). */
  assertEmpty?(): Promise<void>;
}

/** Signs manifests: a local Ed25519 key, or a KMS asymmetric key. The core knows neither. */
export interface ManifestSigner {
  readonly keyId: string;
  readonly algorithm: 'ED25519' | 'RSASSA_PSS_SHA_256';
  sign(message: Buffer): Promise<Buffer>;
  /** The public key (PEM SPKI) and its fingerprint (SHA-256 hex of the DER SPKI). */
  publicKey(): Promise<SignerPublicKey>;
}

export interface SignerPublicKey {
  readonly pem: string;
  readonly fingerprint: string;
}

/** Checks manifest signatures with a public key that never comes from the archive itself. */
export interface SignatureVerifier {
  readonly keyId: string;
  readonly algorithm: 'ED25519' | 'RSASSA_PSS_SHA_256';
  /** SHA-256 of the public key (DER SubjectPublicKeyInfo), hex: record it in your compliance records. */
  readonly fingerprint: string;
  verify(message: Buffer, signature: Buffer): Promise<boolean>;
}
