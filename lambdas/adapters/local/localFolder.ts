/**
 * The local archive folder's layout and the file operations the store builds on: a key walk that
 * never follows a link, a read that refuses a link, and a folder fsync.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { SymlinkError } from '../../core/errors.ts';
import type { ObjectInfo } from '../../core/ports.ts';

/** Folders inside the archive root that hold bookkeeping, not archive objects. */
export const LOCK_DIR = '.object-lock';
export const TMP_DIR = '.tmp';
export const HIDDEN = new Set([LOCK_DIR, TMP_DIR, '.cache', '.lock', '.locks']);

/** Walks folders in key order, skipping any folder that cannot hold a key after `startAfter`. */
export async function* walkKeys(root: string, dirKey: string, prefix: string, startAfter: string): AsyncGenerator<ObjectInfo> {
  let entries: import('node:fs').Dirent[];
  try {
    // Only real folders are ever descended into (never a link), so the walk cannot loop.
    entries = await fs.readdir(dirKey ? path.join(root, ...dirKey.slice(0, -1).split('/')) : root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const name = entry.name;
    if (!dirKey && HIDDEN.has(name)) continue;
    const key = dirKey + name;
    if (entry.isSymbolicLink()) {
      if ((key.startsWith(prefix) || prefix.startsWith(`${key}/`)) && key > startAfter) yield { key, bytes: 0, symlink: true };
      continue;
    }
    if (entry.isDirectory()) {
      const sub = `${key}/`;
      // Prune folders outside the prefix, and folders whose keys all sort before startAfter.
      if (!(sub.startsWith(prefix) || prefix.startsWith(sub))) continue;
      if (sub < startAfter && !startAfter.startsWith(sub)) continue;
      // Directory names sort as `name/...`; keep S3's byte order by comparing with the slash.
      yield* walkKeys(root, sub, prefix, startAfter);
    } else if (entry.isFile() && key.startsWith(prefix) && key > startAfter) {
      const stat = await fs.lstat(path.join(root, key));
      yield { key, bytes: stat.size };
    }
  }
}

/** Reads a file without following a link in its last component (callers check the others). */
export async function readIfExists(root: string, file: string): Promise<Buffer | undefined> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SymlinkError(path.relative(root, file), path.relative(root, file));
    throw error;
  }
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export async function syncDir(dir: string): Promise<void> {
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
