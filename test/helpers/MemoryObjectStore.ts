/** In-memory write-once store for unit tests; `tamper` lets tests break it on purpose. */
import { createHash } from 'node:crypto';
import { IntegrityError, ObjectNotFoundError } from '../../lambdas/core/errors.ts';
import type { ObjectInfo, ObjectStore, PutResult } from '../../lambdas/core/ports.ts';

export class MemoryObjectStore implements ObjectStore {
  readonly location = 'memory://archive';
  readonly objects = new Map<string, Buffer>();
  puts = 0;

  async putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    this.puts += 1;
    const existing = this.objects.get(key);
    if (existing) {
      if (createHash('sha256').update(existing).digest('hex') !== sha256)
        throw new IntegrityError(key, `${key} already exists with different content`);
      return { key, sha256, bytes: body.length, created: false };
    }
    this.objects.set(key, Buffer.from(body));
    return { key, sha256, bytes: body.length, created: true };
  }

  async get(key: string): Promise<Buffer> {
    const body = this.objects.get(key);
    if (!body) throw new ObjectNotFoundError(key);
    return body;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const body = this.objects.get(key);
    return body ? { key, bytes: body.length } : undefined;
  }

  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix) && key > (options.startAfter ?? '')) yield { key, bytes: this.objects.get(key)!.length };
    }
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Test-only: bypasses write-once to simulate tampering or loss. */
  tamper = {
    set: (key: string, body: Buffer) => this.objects.set(key, body),
    delete: (key: string) => this.objects.delete(key),
  };
}
