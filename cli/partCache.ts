/**
 * The columnar cache for the commands that query a local archive (`report`, `query`, `search`):
 * `--cache-dir`, else `$XDG_CACHE_HOME/intercom-audit-archive`, else `~/.cache/intercom-audit-archive`;
 * its HMAC key beside the signing keys (AUDIT_ARCHIVE_KEY_DIR), never inside the cache or the
 * archive. `--no-cache` reads the JSON parts directly. A cache folder that cannot be created
 * (a read-only home) is a warning, not a failure: the answer is the same without it.
 */
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { defaultKeyDir } from '../lambdas/adapters/local/Ed25519Signer.ts';
import { ParquetPartCache, isInside } from '../lambdas/adapters/local/ParquetPartCache.ts';
import { ConfigurationError, describeError } from '../lambdas/core/errors.ts';
import type { Output } from './output.ts';

export interface CacheFlags {
  readonly cacheDir?: string;
  /** false with --no-cache. */
  readonly cache?: boolean;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'intercom-audit-archive');
}

/** The flags as commander parsed them. */
export function cacheFlags(opts: { cacheDir?: string; cache?: boolean }): CacheFlags {
  return { ...(opts.cacheDir !== undefined && { cacheDir: opts.cacheDir }), ...(opts.cache === false && { cache: false }) };
}

/** The two flags, for a command's definition. */
export function cacheOptions(): Option[] {
  return [
    new Option('--cache-dir <dir>', 'columnar (Parquet) cache of the parts, outside the archive; safe to delete').default(
      undefined,
      defaultCacheDir(),
    ),
    new Option('--no-cache', 'read the JSON parts directly, without the columnar cache'),
  ];
}

/** `file` with symlinks resolved as far as it exists (the rest, not yet created, appended as given). */
function realPath(file: string): string {
  const resolved = path.resolve(file);
  try {
    return realpathSync(resolved);
  } catch {
    const parent = path.dirname(resolved);
    return parent === resolved ? resolved : path.join(realPath(parent), path.basename(resolved));
  }
}

/** Opens the cache for `archiveDir`, or undefined with --no-cache (or a warning when it cannot be used). */
export async function openPartCache(archiveDir: string, flags: CacheFlags, output: Output): Promise<ParquetPartCache | undefined> {
  if (flags.cache === false) return undefined;
  const dir = path.resolve(flags.cacheDir ?? defaultCacheDir());
  // Compared with links resolved: a cache folder reached through a symlink into the archive is inside it.
  if (isInside(dir, path.resolve(archiveDir)) || isInside(realPath(dir), realPath(archiveDir)))
    throw new ConfigurationError(`--cache-dir: ${dir} is inside the archive ${archiveDir}; keep the cache outside the archive`);
  const keyFile = path.join(defaultKeyDir(), 'parquet-cache.key');
  // Anyone who can read the archive folder could read the key there and forge cache entries.
  if (isInside(path.resolve(keyFile), path.resolve(archiveDir)) || isInside(realPath(keyFile), realPath(archiveDir)))
    throw new ConfigurationError(
      `the cache key ${keyFile} is inside the archive ${archiveDir}; keep keys outside the archive (set AUDIT_ARCHIVE_KEY_DIR)`,
    );
  try {
    return await ParquetPartCache.open({
      dir,
      keyFile,
      onProgress: (line) => output.info(line),
      onWarning: (line) => output.warn(line),
    });
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    output.warn(`columnar cache not used (${describeError(error)}); reading the JSON parts`);
    return undefined;
  }
}
