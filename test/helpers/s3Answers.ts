/**
 * S3's REST answers (status, headers, XML body) for the read calls verify makes, from a map of
 * objects: ListObjectsV2, ListObjectVersions, GetObject, GetObjectAttributes,
 * GetObjectRetention, GetObjectLegalHold. A missing key is S3's 404 NoSuchKey. Every object is
 * locked COMPLIANCE until 2032-01-02 unless `locks` says otherwise; GetObject carries the lock
 * headers and, when asked (`x-amz-checksum-mode: ENABLED`), the SHA-256 checksum, as S3 does.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

type Query = Record<string, string | string[] | null>;

/** An object's lock as S3 would hold it: `mode: null` is an object with no retention at all. */
export interface FakeLock {
  readonly mode?: 'COMPLIANCE' | 'GOVERNANCE' | null;
  readonly retainUntil?: Date;
  readonly legalHold?: 'ON' | 'OFF';
}

interface HeldLock {
  readonly mode: string | null;
  readonly retainUntil: Date;
  readonly legalHold: 'ON' | 'OFF';
}

export interface S3Answer {
  readonly operation: string;
  readonly response: { statusCode: number; headers: Record<string, string>; body: Readable };
}

const WRITTEN = new Date(Date.UTC(2025, 0, 1));
const RETAIN_UNTIL = new Date(Date.UTC(2032, 0, 2));
const PAGE = 1000;
const XMLNS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const one = (q: Query, name: string) => {
  const v = q[name];
  return Array.isArray(v) ? v[0] : (v ?? undefined);
};

function xml(operation: string, body: string, headers: Record<string, string> = {}): S3Answer {
  const bytes = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  return {
    operation,
    response: {
      statusCode: 200,
      headers: { 'content-type': 'application/xml', 'content-length': String(bytes.length), ...headers },
      body: Readable.from([bytes]),
    },
  };
}

export class S3Answers {
  readonly #keys: string[];

  constructor(
    private readonly objects: ReadonlyMap<string, Buffer>,
    private readonly bucket: string,
    private readonly locks: ReadonlyMap<string, FakeLock> = new Map(),
  ) {
    this.#keys = [...objects.keys()].sort();
  }

  #lock(key: string): HeldLock {
    const lock = this.locks.get(key);
    return {
      mode: lock?.mode === undefined ? 'COMPLIANCE' : lock.mode,
      retainUntil: lock?.retainUntil ?? RETAIN_UNTIL,
      legalHold: lock?.legalHold ?? 'OFF',
    };
  }

  answer(method: string, path: string, query: Query, headers: Record<string, string> = {}): S3Answer {
    const prefix = `/${this.bucket}`;
    if (method !== 'GET' || !path.startsWith(prefix)) return this.#error('Unsupported', 400, 'only reads of the bench bucket');
    const key = decodeURIComponent(path.slice(prefix.length + 1));
    if (key === '') return 'versions' in query ? this.#listVersions(query) : this.#list(query);
    const body = this.objects.get(key);
    if (!body) return this.#error('NoSuchKey', 404, 'The specified key does not exist.');
    if ('attributes' in query) return this.#attributes(body);
    const lock = this.#lock(key);
    if ('retention' in query) {
      if (lock.mode === null)
        return this.#error('NoSuchObjectLockConfiguration', 404, 'The specified object does not have a ObjectLock configuration');
      return xml(
        'GetObjectRetention',
        `<Retention ${XMLNS}><Mode>${lock.mode}</Mode><RetainUntilDate>${lock.retainUntil.toISOString()}</RetainUntilDate></Retention>`,
      );
    }
    if ('legal-hold' in query) return xml('GetObjectLegalHold', `<LegalHold ${XMLNS}><Status>${lock.legalHold}</Status></LegalHold>`);
    return this.#get(body, lock, headers['x-amz-checksum-mode'] === 'ENABLED');
  }

  #get(body: Buffer, lock: HeldLock, checksum: boolean): S3Answer {
    const headers: Record<string, string> = {
      'content-length': String(body.length),
      'last-modified': WRITTEN.toUTCString(),
      etag: '"bench"',
      'x-amz-object-lock-legal-hold': lock.legalHold,
      ...(lock.mode && { 'x-amz-object-lock-mode': lock.mode, 'x-amz-object-lock-retain-until-date': lock.retainUntil.toISOString() }),
      ...(checksum && {
        'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64'),
        'x-amz-checksum-type': 'FULL_OBJECT',
      }),
    };
    return { operation: 'GetObject', response: { statusCode: 200, headers, body: Readable.from([body]) } };
  }

  /** Keys under `prefix` after `after`, one page. */
  #page(prefix: string, after: string): { keys: string[]; more: boolean } {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#keys[mid]! <= after || this.#keys[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const keys: string[] = [];
    let i = lo;
    for (; i < this.#keys.length && keys.length < PAGE && this.#keys[i]!.startsWith(prefix); i++) keys.push(this.#keys[i]!);
    return { keys, more: keys.length === PAGE && i < this.#keys.length && this.#keys[i]!.startsWith(prefix) };
  }

  #list(query: Query): S3Answer {
    const prefix = one(query, 'prefix') ?? '';
    const { keys, more } = this.#page(prefix, one(query, 'continuation-token') ?? one(query, 'start-after') ?? '');
    const contents = keys.map((k) => `<Contents><Key>${escapeXml(k)}</Key><Size>${this.objects.get(k)!.length}</Size></Contents>`);
    const next = more ? `<NextContinuationToken>${escapeXml(keys[keys.length - 1]!)}</NextContinuationToken>` : '';
    return xml(
      'ListObjectsV2',
      `<ListBucketResult ${XMLNS}><Name>${this.bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>${PAGE}</MaxKeys><IsTruncated>${more}</IsTruncated>${next}${contents.join('')}</ListBucketResult>`,
    );
  }

  #listVersions(query: Query): S3Answer {
    const prefix = one(query, 'prefix') ?? '';
    const { keys, more } = this.#page(prefix, one(query, 'key-marker') ?? '');
    const versions = keys.map(
      (k) =>
        `<Version><Key>${escapeXml(k)}</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest><LastModified>${WRITTEN.toISOString()}</LastModified><Size>${this.objects.get(k)!.length}</Size></Version>`,
    );
    const next = more
      ? `<NextKeyMarker>${escapeXml(keys[keys.length - 1]!)}</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>`
      : '';
    return xml(
      'ListObjectVersions',
      `<ListVersionsResult ${XMLNS}><Name>${this.bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>${more}</IsTruncated>${next}${versions.join('')}</ListVersionsResult>`,
    );
  }

  #attributes(body: Buffer): S3Answer {
    const sha = createHash('sha256').update(body).digest('base64');
    return xml(
      'GetObjectAttributes',
      `<GetObjectAttributesResponse ${XMLNS}><Checksum><ChecksumSHA256>${sha}</ChecksumSHA256></Checksum><ObjectSize>${body.length}</ObjectSize></GetObjectAttributesResponse>`,
      { 'last-modified': WRITTEN.toUTCString() },
    );
  }

  #error(code: string, statusCode: number, message: string): S3Answer {
    const answer = xml(code, `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
    return { ...answer, response: { ...answer.response, statusCode } };
  }
}
