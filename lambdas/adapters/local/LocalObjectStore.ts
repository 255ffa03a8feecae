/**
 * A local folder that behaves like an S3 bucket under Object Lock: create-only, no delete,
 * no overwrite. A retried put of identical bytes is a no-op; different bytes are an
 * IntegrityError. Files are made read-only and their retain-until date is recorded beside
 * them under `.object-lock/`.
 *
 * Writes go to a temporary file that is flushed (fsync) and then hard-linked into place:
 * link(2) fails if the name exists, which makes the create atomic and create-only, and a
 * kill at any instant leaves either no object or a whole one — never half of one.
 */
import { randomBytes, createHash } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { IntegrityError, ObjectLockedError, ObjectNotFoundError } from '../../core/errors.ts';

export { ObjectNotFoundError };
import type { ObjectInfo, ObjectLockInfo, ObjectStore, PutResult, Retention } from '../../core/ports.ts';

/** Folders inside the archive root that hold bookkeeping, not archive objects. */
const LOCK_DIR = '.object-lock';
const TMP_DIR = '.tmp';
const HIDDEN = new Set([LOCK_DIR, TMP_DIR, '.cache', '.lock', '.locks']);

export interface LocalObjectStoreOptions {
  /** Retention recorded for each new object. @default COMPLIANCE, 7 years */
  readonly retention?: Retention;
  readonly now?: () => Date;
  /**
   * Failpoint for crash tests: called at each stage of a write. The CLI sets it from
   * AUDIT_ARCHIVE_FAILPOINT so a test can SIGKILL the process at an exact instant.
   */
  readonly onWriteStage?: (stage: WriteStage, key: string) => void;
}

export type WriteStage = 'temp-written' | 'linked';

export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  readonly retention: Retention;
  private readonly now: () => Date;
  private readonly onWriteStage: (stage: WriteStage, key: string) => void;

  constructor(
    readonly root: string,
    options: LocalObjectStoreOptions = {},
  ) {
    this.root = path.resolve(root);
    this.location = this.root;
    this.retention = options.retention ?? { mode: 'COMPLIANCE', years: 7 };
    this.now = options.now ?? (() => new Date());
    this.onWriteStage = options.onWriteStage ?? (() => undefined);
  }

  private pathOf(key: string): string {
    if (!key || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..' || HIDDEN.has(s))) {
      throw new TypeError(`invalid object key '${key}'`);
    }
    return path.join(this.root, ...key.split('/'));
  }

  async putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    const target = this.pathOf(key);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256) throw new IntegrityError(key, `refusing to write ${key}: its bytes hash to ${actual}, not the expected ${sha256}`);
    const existing = await this.readIfExists(target);
    if (existing) return this.sameOrFail(key, existing, body, sha256);

    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmpDir = path.join(this.root, TMP_DIR);
    await fs.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
    const handle = await fs.open(tmp, 'wx', 0o444);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } catch (error) {
      // Disk full, I/O error: leave no 0-byte or partial file behind.
      await handle.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    const retainUntil = this.retainUntil();
    this.onWriteStage('temp-written', key);
    try {
      // The lock record goes first: an object never exists without its retention recorded.
      await this.recordRetention(key, sha256, retainUntil);
      await fs.link(tmp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        const raced = await this.readIfExists(target);
        if (raced) return this.sameOrFail(key, raced, body, sha256);
      }
      throw error;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
    await syncDir(path.dirname(target));
    this.onWriteStage('linked', key);
    return { key, sha256, bytes: body.length, created: true, retainUntil };
  }

  /**
   * Removes what failed or killed writes left in `.tmp/` (never an object: those are linked
   * into place). Call it only while holding the archive's run lock, so no live write is cut.
   * @returns how many files were removed
   */
  async clearTemp(): Promise<number> {
    const tmpDir = path.join(this.root, TMP_DIR);
    let names: string[];
    try {
      names = await fs.readdir(tmpDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    for (const name of names) await fs.rm(path.join(tmpDir, name), { force: true, recursive: true });
    return names.length;
  }

  async get(key: string): Promise<Buffer> {
    const body = await this.readIfExists(this.pathOf(key));
    if (!body) throw new ObjectNotFoundError(key);
    return body;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const stat = await fs.stat(this.pathOf(key));
      const lock = await this.readLock(key);
      return { key, bytes: stat.size, ...(lock?.sha256 && { sha256: lock.sha256 }), ...(lock?.retain_until && { retainUntil: lock.retain_until }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ObjectInfo> {
    const startAfter = options.startAfter ?? '';
    yield* this.walk('', prefix, startAfter);
  }

  async objectLock(key: string): Promise<ObjectLockInfo | undefined> {
    const lock = (await this.readLock(key)) as { sha256?: string; retain_until?: string; mode?: string; created_at?: string } | undefined;
    if (!lock) return undefined;
    return { ...(lock.mode && { mode: lock.mode }), ...(lock.retain_until && { retainUntil: lock.retain_until }), ...(lock.created_at && { createdAt: lock.created_at }), ...(lock.sha256 && { sha256: lock.sha256 }) };
  }

  /** There is no delete: objects are write-once, as under S3 Object Lock in COMPLIANCE mode. */
  async delete(key: string): Promise<never> {
    const lock = await this.readLock(key);
    throw new ObjectLockedError(key, lock?.retain_until);
  }

  /** Walks folders in key order, skipping any folder that cannot hold a key after `startAfter`. */
  private async *walk(dirKey: string, prefix: string, startAfter: string): AsyncGenerator<ObjectInfo> {
    let names: string[];
    try {
      names = await fs.readdir(dirKey ? this.pathOf(dirKey.slice(0, -1)) : this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    names.sort();
    for (const name of names) {
      if (!dirKey && HIDDEN.has(name)) continue;
      const key = dirKey + name;
      const stat = await fs.stat(path.join(this.root, key));
      if (stat.isDirectory()) {
        const sub = `${key}/`;
        // Prune folders outside the prefix, and folders whose keys all sort before startAfter.
        if (!(sub.startsWith(prefix) || prefix.startsWith(sub))) continue;
        if (sub < startAfter && !startAfter.startsWith(sub)) continue;
        // Directory names sort as `name/...`; keep S3's byte order by comparing with the slash.
        yield* this.walk(sub, prefix, startAfter);
      } else if (key.startsWith(prefix) && key > startAfter) {
        yield { key, bytes: stat.size };
      }
    }
  }

  private retainUntil(): string {
    const until = this.now();
    until.setUTCFullYear(until.getUTCFullYear() + this.retention.years);
    return until.toISOString();
  }

  private async recordRetention(key: string, sha256: string, retainUntil: string): Promise<void> {
    const file = path.join(this.root, LOCK_DIR, `${key}.retention.json`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const text = JSON.stringify({ key, sha256, mode: this.retention.mode, retain_until: retainUntil, created_at: this.now().toISOString() });
    await fs.writeFile(file, text, { mode: 0o444, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      // Left by an attempt that died before linking its object (the caller checked that the
      // object does not exist): replace it.
      await fs.unlink(file);
      await fs.writeFile(file, text, { mode: 0o444, flag: 'wx' });
    });
  }

  private async readLock(key: string): Promise<{ sha256?: string; retain_until?: string } | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.root, LOCK_DIR, `${key}.retention.json`), 'utf8')) as { sha256?: string; retain_until?: string };
    } catch {
      return undefined;
    }
  }

  private async readIfExists(file: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private sameOrFail(key: string, existing: Buffer, body: Buffer, sha256: string): PutResult {
    const existingSha = createHash('sha256').update(existing).digest('hex');
    if (existingSha !== sha256) {
      throw new IntegrityError(key, `${key} already exists with different content (stored SHA-256 ${existingSha}, new ${sha256}); write-once objects are never overwritten`);
    }
    return { key, sha256, bytes: body.length, created: false };
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the link itself is already atomic.
  }
}
