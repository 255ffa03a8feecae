/** Counts the requests made through the ObjectStore port (one per get/head/put, one per list page of 1,000 keys, as S3 bills them). */
import type { ObjectInfo, ObjectStore, PutResult } from '../../lambdas/core/ports.ts';

export interface RequestCounts {
  get: number;
  head: number;
  put: number;
  list: number;
}

export class CountingObjectStore implements ObjectStore {
  counts: RequestCounts = { get: 0, head: 0, put: 0, list: 0 };

  constructor(readonly inner: ObjectStore) {}

  get location(): string {
    return this.inner.location;
  }

  get retention() {
    return this.inner.retention;
  }

  /** Requests since the last reset, then starts counting again. */
  take(): RequestCounts & { total: number } {
    const c = this.counts;
    this.counts = { get: 0, head: 0, put: 0, list: 0 };
    return { ...c, total: c.get + c.head + c.put + c.list };
  }

  putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    this.counts.put += 1;
    return this.inner.putIfAbsent(key, body, sha256);
  }

  get(key: string): Promise<Buffer> {
    this.counts.get += 1;
    return this.inner.get(key);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    this.counts.head += 1;
    return this.inner.head(key);
  }

  async *list(prefix: string, options?: { startAfter?: string }): AsyncIterable<ObjectInfo> {
    this.counts.list += 1;
    let n = 0;
    for await (const object of this.inner.list(prefix, options)) {
      if (n > 0 && n % 1000 === 0) this.counts.list += 1;
      n += 1;
      yield object;
    }
  }
}
