/**
 * The columnar cache of the local engine: one Parquet file per chain-listed data part, named by
 * the part's SHA-256 and built once (DuckDB `COPY … TO … (FORMAT parquet)`), so a query reads
 * columns instead of parsing gzip JSON lines on every run.
 *
 * It can never disagree with the evidence. It is only asked about parts the verified chain lists,
 * by the SHA-256 the manifest gives; it is built from the part's bytes only after they hash to
 * that value. Someone may write into the cache folder (it is outside the archive, often shared or
 * careless about permissions), so nothing in it is trusted by name: each Parquet file has a
 * sidecar with an HMAC-SHA-256 — keyed by a secret kept outside the cache folder — over the
 * source SHA-256, the part's workspace and day, and the Parquet file's own SHA-256. Before a
 * query, each file is read once, checked against its sidecar and written into a private
 * per-engine folder that DuckDB then reads, so a file swapped after the check is not read
 * either. A planted, altered or copied file fails the check and is rebuilt from the part.
 *
 * Safe to delete at any time: a missing entry is rebuilt on next use.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { ConfigurationError } from '../../core/errors.ts';

/** A chain-listed data part: its archive key and the SHA-256 its manifest lists. */
export interface CachePart {
  readonly key: string;
  readonly sha256: string;
}

export interface PartCacheOptions {
  /** The cache folder (created 0700 when missing). Must not be inside the archive. */
  readonly dir: string;
  /** The HMAC key file (32 random bytes as hex, created 0600 when missing), outside `dir`. */
  readonly keyFile: string;
  /** Gets one line before the first build and one when it is done. */
  readonly onProgress?: (line: string) => void;
  /** Gets a line for each cache file that failed its check (and was rebuilt). */
  readonly onWarning?: (line: string) => void;
}

/** What prepare() hands the engine: verified private copies for some parts, the rest to read as JSON. */
export interface PreparedParts {
  /** Private, checked Parquet copies (one per cached part), for `read_parquet`. */
  readonly parquet: string[];
  /** Parts to read from their JSON lines (not cached: outside the days to build, or unreadable). */
  readonly json: CachePart[];
  readonly built: number;
  readonly rejected: number;
}

const FORMAT = 'intercom-audit-archive parquet cache v1';
const sidecarSchema = z.strictObject({
  format: z.literal(FORMAT),
  source_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  workspace: z.string(),
  dt: z.string(),
  parquet_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  parquet_bytes: z.number().int().nonnegative(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
type Sidecar = z.infer<typeof sidecarSchema>;

const PART_KEY = /^activity_logs\/workspace=([A-Za-z0-9_-]+)\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.jsonl\.gz$/;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class ParquetPartCache {
  private constructor(
    readonly dir: string,
    private readonly key: Buffer,
    private readonly options: PartCacheOptions,
  ) {}

  /** Opens (creating when missing) the cache folder and its key. */
  static async open(options: PartCacheOptions): Promise<ParquetPartCache> {
    const dir = path.resolve(options.dir);
    if (isInside(path.resolve(options.keyFile), dir))
      throw new ConfigurationError(
        `cache key ${options.keyFile} must not be inside the cache folder ${dir} (anyone who can write there could forge entries)`,
      );
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return new ParquetPartCache(dir, await loadKey(options.keyFile), options);
  }

  /**
   * Checks (and, for parts whose day is in `build`, builds) the cache entries of `parts` and
   * copies the good ones into `privateDir`. `columnsSql` is the `read_json` columns spec.
   */
  async prepare(
    connection: DuckDBConnection,
    archiveDir: string,
    parts: readonly CachePart[],
    options: { privateDir: string; columnsSql: string; build?: (dt: string) => boolean },
  ): Promise<PreparedParts> {
    const result = { parquet: [] as string[], json: [] as CachePart[], built: 0, rejected: 0 };
    const toBuild: { part: CachePart; workspace: string; dt: string }[] = [];
    for (const part of parts) {
      const m = PART_KEY.exec(part.key);
      if (!m || !/^[0-9a-f]{64}$/.test(part.sha256)) {
        result.json.push(part);
        continue;
      }
      const [, workspace, dt] = m as unknown as [string, string, string];
      const found = await this.checked(part, workspace, dt);
      if (found.bytes) result.parquet.push(await this.privateCopy(options.privateDir, found.bytes));
      else {
        if (found.rejected) {
          result.rejected += 1;
          this.options.onWarning?.(`columnar cache: ${part.sha256}.parquet ${found.rejected}; rebuilding it from ${part.key}`);
        }
        if (options.build?.(dt) ?? true) toBuild.push({ part, workspace, dt });
        else result.json.push(part);
      }
    }
    if (toBuild.length > 0) {
      const started = Date.now();
      this.options.onProgress?.(
        `building the columnar cache: ${toBuild.length} part${toBuild.length === 1 ? '' : 's'} into ${this.dir} (once per part; safe to delete)`,
      );
      for (const item of toBuild) {
        const bytes = await this.build(connection, archiveDir, item, options);
        if (bytes) {
          result.parquet.push(await this.privateCopy(options.privateDir, bytes));
          result.built += 1;
        } else result.json.push(item.part);
      }
      this.options.onProgress?.(`columnar cache: ${result.built} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return result;
  }

  private mac(source: string, workspace: string, dt: string, parquetSha: string): string {
    return createHmac('sha256', this.key).update(`${FORMAT}\n${source}\n${workspace}\n${dt}\n${parquetSha}`).digest('hex');
  }

  /** The entry's bytes when its sidecar vouches for them; why not otherwise (undefined: no entry). */
  private async checked(part: CachePart, workspace: string, dt: string): Promise<{ bytes?: Buffer; rejected?: string }> {
    const file = path.join(this.dir, `${part.sha256}.parquet`);
    const [bytes, sidecarText] = await Promise.all([
      fs.readFile(file).catch(() => undefined),
      fs.readFile(`${file.slice(0, -'.parquet'.length)}.json`, 'utf8').catch(() => undefined),
    ]);
    if (!bytes && !sidecarText) return {};
    if (!bytes || !sidecarText) return { rejected: 'has no sidecar or no data file' };
    let sidecar: Sidecar;
    try {
      sidecar = sidecarSchema.parse(JSON.parse(sidecarText));
    } catch {
      return { rejected: 'has an unreadable sidecar' };
    }
    // The same bytes listed under another workspace or day would carry the wrong partition columns.
    if (sidecar.source_sha256 !== part.sha256 || sidecar.workspace !== workspace || sidecar.dt !== dt)
      return { rejected: 'was built for another part' };
    const expected = Buffer.from(this.mac(part.sha256, workspace, dt, sha256(bytes)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(sidecar.mac, 'hex'))) return { rejected: 'does not match its sidecar' };
    return { bytes };
  }

  /** Builds one entry from the part's bytes, after they hash to the listed SHA-256. */
  private async build(
    connection: DuckDBConnection,
    archiveDir: string,
    item: { part: CachePart; workspace: string; dt: string },
    options: { privateDir: string; columnsSql: string },
  ): Promise<Buffer | undefined> {
    const source = await fs.readFile(path.resolve(archiveDir, item.part.key)).catch(() => undefined);
    if (!source || sha256(source) !== item.part.sha256) {
      this.options.onWarning?.(
        `columnar cache: ${item.part.key} ${source ? 'does not match the SHA-256 its manifest lists' : 'is missing'} (run verify); read as JSON, not cached`,
      );
      return undefined;
    }
    // DuckDB reads the checked bytes from a private file, never the archive path again.
    const tag = randomBytes(6).toString('hex');
    const json = path.join(options.privateDir, `src-${tag}.jsonl.gz`);
    const out = path.join(options.privateDir, `out-${tag}.parquet`);
    await fs.writeFile(json, source, { mode: 0o600 });
    await connection.run(
      `COPY (SELECT *, ${quote(item.dt)} AS dt, ${quote(item.workspace)} AS workspace FROM read_json(${quote(json)}, ` +
        `format = 'newline_delimited', compression = 'gzip', columns = {${options.columnsSql}})) ` +
        `TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const bytes = await fs.readFile(out);
    await fs.rm(json, { force: true });
    await fs.rm(out, { force: true });
    const parquetSha = sha256(bytes);
    const sidecar: Sidecar = {
      format: FORMAT,
      source_sha256: item.part.sha256,
      workspace: item.workspace,
      dt: item.dt,
      parquet_sha256: parquetSha,
      parquet_bytes: bytes.length,
      mac: this.mac(item.part.sha256, item.workspace, item.dt, parquetSha),
    };
    const base = path.join(this.dir, item.part.sha256);
    await writeReplacing(`${base}.parquet`, bytes);
    await writeReplacing(`${base}.json`, Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`));
    return bytes;
  }

  private async privateCopy(privateDir: string, bytes: Buffer): Promise<string> {
    const file = path.join(privateDir, `${randomBytes(8).toString('hex')}.parquet`);
    await fs.writeFile(file, bytes, { mode: 0o600 });
    return file;
  }
}

/** A private folder for one engine's checked copies (removed on close). */
export async function makePrivateDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'audit-archive-parts-'));
}

async function writeReplacing(file: string, bytes: Buffer): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, bytes, { mode: 0o600 });
  await fs.rename(tmp, file);
}

async function loadKey(keyFile: string): Promise<Buffer> {
  const read = async () => {
    const text = (await fs.readFile(keyFile, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(text))
      throw new ConfigurationError(`cache key ${keyFile} is not 64 hex digits; delete it (the cache is rebuilt with a new key)`);
    return Buffer.from(text, 'hex');
  };
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await fs.mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  try {
    await fs.writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return read();
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
