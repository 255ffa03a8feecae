/**
 * A local folder that behaves like an S3 bucket under Object Lock: create-only, no delete,
 * no overwrite. A retried put of identical bytes is a no-op; different bytes are an
 * IntegrityError. Files are made read-only and their retain-until date is recorded beside
 * them under `.object-lock/`.
 *
 * Writes go to a temporary file that is flushed (fsync) and then hard-linked into place:
 * link(2) fails if the name exists, which makes the create atomic and create-only, and a
 * kill at any instant leaves either no object or a whole one — never half of one.
 *
 * No symlinks: every path component below the archive root is checked with lstat before it is
 * created, read or listed (O_NOFOLLOW alone guards only the last component), so nothing is
 * written or read outside the archive through a link, and a link loop cannot hang a walk.
 * Listing reports a link as an object marked `symlink` instead of following it.
 */
import { randomBytes, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IntegrityError, ObjectLockedError, ObjectNotFoundError, SymlinkError } from '../../core/errors.ts';

export { ObjectNotFoundError };
import type { ObjectInfo, ObjectLockInfo, ObjectStore, PutResult, Retention } from '../../core/ports.ts';
import { HIDDEN, LOCK_DIR, TMP_DIR, readIfExists, syncDir, walkKeys } from './localFolder.ts';

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

  /**
   * Throws SymlinkError when any existing component of `parts` (below the root) is a symbolic
   * link; stops quietly at the first component that does not exist.
   */
  private async assertNoSymlink(key: string, parts: readonly string[]): Promise<void> {
    let current = this.root;
    for (const part of parts) {
      current = path.join(current, part);
      let stat: import('node:fs').Stats;
      try {
        stat = await fs.lstat(current);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw error;
      }
      if (stat.isSymbolicLink()) throw new SymlinkError(key, path.relative(this.root, current));
    }
  }

  private checkKey(key: string): Promise<void> {
    this.pathOf(key);
    return this.assertNoSymlink(key, key.split('/'));
  }

  private lockFile(key: string): string[] {
    return [LOCK_DIR, ...`${key}.retention.json`.split('/')];
  }

  async putIfAbsent(key: string, body: Buffer, sha256: string): Promise<PutResult> {
    const target = this.pathOf(key);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256)
      throw new IntegrityError(key, `refusing to write ${key}: its bytes hash to ${actual}, not the expected ${sha256}`);
    await this.checkKey(key);
    const existing = await readIfExists(this.root, target);
    if (existing) return this.sameOrFail(key, existing, body, sha256);

    // mkdir -p would follow a link in an existing component: check first, and again after.
    await fs.mkdir(path.dirname(target), { recursive: true });
    await this.checkKey(key);
    await this.assertNoSymlink(key, [TMP_DIR]);
    await this.assertNoSymlink(key, this.lockFile(key));
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
        const raced = await readIfExists(this.root, target);
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
    await this.checkKey(key);
    const body = await readIfExists(this.root, this.pathOf(key));
    if (!body) throw new ObjectNotFoundError(key);
    return body;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      await this.checkKey(key);
      const stat = await fs.lstat(this.pathOf(key));
      if (!stat.isFile()) return undefined;
      const lock = await this.readLock(key);
      return {
        key,
        bytes: stat.size,
        ...(lock?.sha256 && { sha256: lock.sha256 }),
        ...(lock?.retain_until && { retainUntil: lock.retain_until }),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ObjectInfo> {
    const startAfter = options.startAfter ?? '';
    yield* walkKeys(this.root, '', prefix, startAfter);
  }

  async objectLock(key: string): Promise<ObjectLockInfo | undefined> {
    const lock = (await this.readLock(key)) as { sha256?: string; retain_until?: string; mode?: string; created_at?: string } | undefined;
    if (!lock) return undefined;
    const hold = await this.readLegalHold(key);
    return {
      ...(lock.mode && { mode: lock.mode }),
      ...(lock.retain_until && { retainUntil: lock.retain_until }),
      ...(lock.created_at && { createdAt: lock.created_at }),
      ...(lock.sha256 && { sha256: lock.sha256 }),
      ...(hold !== undefined && { legalHold: hold }),
    };
  }

  /**
   * A legal hold lives beside the object's retention record, as `<key>.legal-hold.json`; unlike
   * retention it changes (placed, released), so it is replaced atomically through a rename.
   */
  async setLegalHold(key: string, on: boolean): Promise<void> {
    if (!(await this.head(key))) throw new ObjectNotFoundError(key);
    const file = path.join(this.root, LOCK_DIR, `${key}.legal-hold.json`);
    const tmpDir = path.join(this.root, TMP_DIR);
    await fs.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, JSON.stringify({ key, status: on ? 'ON' : 'OFF', updated_at: this.now().toISOString() }), { flag: 'wx' });
    await fs.rename(tmp, file);
  }

  private async readLegalHold(key: string): Promise<boolean | undefined> {
    try {
      const record = JSON.parse(await fs.readFile(path.join(this.root, LOCK_DIR, `${key}.legal-hold.json`), 'utf8')) as { status?: string };
      return record.status === 'ON';
    } catch {
      return undefined;
    }
  }

  /** false for a folder without `.object-lock/` at all: a copy (aws s3 sync, a download) carries no lock state. */
  async hasLockRecords(): Promise<boolean> {
    try {
      const stat = await fs.lstat(path.join(this.root, LOCK_DIR));
      return stat.isDirectory() || stat.isSymbolicLink();
    } catch {
      return false;
    }
  }

  /** There is no delete: objects are write-once, as under S3 Object Lock in COMPLIANCE mode. */
  async delete(key: string): Promise<never> {
    const lock = await this.readLock(key);
    throw new ObjectLockedError(key, lock?.retain_until);
  }

  private retainUntil(): string {
    const until = this.now();
    until.setUTCFullYear(until.getUTCFullYear() + this.retention.years);
    return until.toISOString();
  }

  private async recordRetention(key: string, sha256: string, retainUntil: string): Promise<void> {
    const file = path.join(this.root, LOCK_DIR, `${key}.retention.json`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const text = JSON.stringify({
      key,
      sha256,
      mode: this.retention.mode,
      retain_until: retainUntil,
      created_at: this.now().toISOString(),
    });
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
      await this.assertNoSymlink(key, this.lockFile(key));
      const body = await readIfExists(this.root, path.join(this.root, LOCK_DIR, `${key}.retention.json`));
      return body && (JSON.parse(body.toString('utf8')) as { sha256?: string; retain_until?: string });
    } catch {
      return undefined;
    }
  }

  private sameOrFail(key: string, existing: Buffer, body: Buffer, sha256: string): PutResult {
    const existingSha = createHash('sha256').update(existing).digest('hex');
    if (existingSha !== sha256) {
      throw new IntegrityError(
        key,
        `${key} already exists with different content (stored SHA-256 ${existingSha}, new ${sha256}); write-once objects are never overwritten`,
      );
    }
    return { key, sha256, bytes: body.length, created: false };
  }
}
