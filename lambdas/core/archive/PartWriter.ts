/**
 * Writes lines into gzip parts, one open part per `dt` folder, compressing as lines arrive
 * and cutting a new part when one passes the size limit, so memory stays bounded by
 * (open folders × part limit) however long the backfill.
 */
import { createHash } from 'node:crypto';
import { constants as zlibConstants, createGzip, type Gzip } from 'node:zlib';
import { once } from 'node:events';
import type { ObjectStore } from '../ports.ts';

export interface PartRecord {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly records: number;
  readonly min_created_at: number | null;
  readonly max_created_at: number | null;
  /** true when a dead run wrote the part and this run listed it instead of writing it again. */
  readonly adopted?: boolean;
}

/** Part size limit (compressed bytes). @default 8 MiB: small enough for a Lambda's memory, large enough for Athena. */
export const DEFAULT_PART_MAX_BYTES = 8 * 1024 * 1024;
/** Lines are handed to gzip in batches; each batch ends with a sync flush so the size is known. */
const MAX_BATCH_CHARS = 256 * 1024;
const MIN_BATCH_CHARS = 16 * 1024;

class OpenPart {
  private readonly gzip: Gzip = createGzip({ level: 6 });
  private readonly chunks: Buffer[] = [];
  private pending = '';
  compressedBytes = 0;
  records = 0;
  min: number | null = null;
  max: number | null = null;

  constructor(
    readonly key: string,
    private readonly batchChars: number,
  ) {
    this.gzip.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.compressedBytes += chunk.length;
    });
  }

  async add(line: string, createdAt: number | null): Promise<void> {
    this.pending += line;
    this.records += 1;
    if (createdAt !== null) {
      if (this.min === null || createdAt < this.min) this.min = createdAt;
      if (this.max === null || createdAt > this.max) this.max = createdAt;
    }
    if (this.pending.length >= this.batchChars) await this.flushPending();
  }

  private async flushPending(): Promise<void> {
    this.gzip.write(this.pending);
    this.pending = '';
    // A sync flush makes gzip emit everything so far: `compressedBytes` is then exact.
    await new Promise<void>((resolve) => this.gzip.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
  }

  async close(): Promise<Buffer> {
    if (this.pending) this.gzip.write(this.pending);
    this.pending = '';
    this.gzip.end();
    await once(this.gzip, 'end');
    return Buffer.concat(this.chunks);
  }
}

export class PartWriter {
  private readonly open = new Map<string, OpenPart>();
  private readonly done: PartRecord[] = [];
  private next: number;

  /**
   * @param keyFor the key of part number `n` in folder `dt`
   * @param firstNumber the first part number to use (after any parts adopted from a dead run)
   */
  constructor(
    private readonly store: ObjectStore,
    private readonly keyFor: (dt: string, n: number) => string,
    firstNumber: number,
    private readonly maxBytes: number = DEFAULT_PART_MAX_BYTES,
  ) {
    this.next = firstNumber;
  }

  get recordCount(): number {
    let n = this.done.reduce((sum, p) => sum + p.records, 0);
    for (const part of this.open.values()) n += part.records;
    return n;
  }

  /** Adds a line to the open part of `dt`; returns that part's key. */
  async add(dt: string, line: object, createdAt: number | null): Promise<string> {
    let part = this.open.get(dt);
    if (!part) {
      part = new OpenPart(this.keyFor(dt, this.next++), Math.min(MAX_BATCH_CHARS, Math.max(MIN_BATCH_CHARS, this.maxBytes)));
      this.open.set(dt, part);
    }
    await part.add(`${JSON.stringify(line)}\n`, createdAt);
    if (part.compressedBytes >= this.maxBytes) {
      this.open.delete(dt);
      await this.write(part);
    }
    return part.key;
  }

  /** Closes and writes every open part; returns all parts this writer wrote, in key order. */
  async finish(): Promise<PartRecord[]> {
    const parts = [...this.open.values()];
    this.open.clear();
    for (const part of parts) await this.write(part);
    return [...this.done].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  private async write(part: OpenPart): Promise<void> {
    const body = await part.close();
    const sha256 = createHash('sha256').update(body).digest('hex');
    await this.store.putIfAbsent(part.key, body, sha256);
    this.done.push({
      key: part.key,
      sha256,
      bytes: body.length,
      records: part.records,
      min_created_at: part.min,
      max_created_at: part.max,
    });
  }
}
