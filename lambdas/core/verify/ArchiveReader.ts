/**
 * Lists and reads the archive for verify: a symbolic link is never followed, an unreadable object
 * is a problem, and a lock state that comes with the bytes is kept for the lock check.
 */
import type { ObjectInfo, ObjectStore } from '../ports.ts';
import type { LockCapture } from './lockCapture.ts';
import type { Report } from './ProblemList.ts';

export class ArchiveReader {
  constructor(
    readonly store: ObjectStore,
    private readonly report: Report,
    private readonly locks?: LockCapture,
  ) {}

  /** Objects under `root`; a symbolic link is reported, and the object it stands for is absent. */
  async *listed(root: string): AsyncGenerator<ObjectInfo> {
    for await (const object of this.store.list(root)) {
      if (object.symlink) {
        this.report(
          'symlink',
          object.key,
          `${object.key} is a symbolic link inside the archive: it is never followed (it could point anywhere, or loop); remove it and restore the real object from a copy`,
        );
        continue;
      }
      yield object;
    }
  }

  /** The object's bytes, or undefined (reported as unreadable). */
  async read(key: string): Promise<Buffer | undefined> {
    try {
      return await this.fetch(key);
    } catch (error) {
      this.report('unreadable', key, `${key} cannot be read (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  }

  /** The object's bytes; throws like the store's get. */
  async fetch(key: string): Promise<Buffer> {
    if (!this.locks || !this.store.getWithLock) return this.store.get(key);
    const { body, lock } = await this.store.getWithLock(key);
    if (lock) this.locks.keep(key, body, lock);
    return body;
  }
}
