/**
 * The local query engine: DuckDB over a local archive folder, with the same `activity_logs`
 * columns as the Glue table (both come from ARCHIVE_COLUMNS) and macros that give DuckDB the
 * Trino functions the queries use. DuckDB binds `?` values (Athena pastes literal text).
 *
 * It reads exactly the parts the manifest chains list (`read_json([file, …])`), never a glob of
 * the folder: an object someone put into the archive folder is never read (archiveScope names
 * it as an exception instead).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, DuckDBDecimalValue } from '@duckdb/node-api';
import { ARCHIVE_COLUMNS, type ColumnType } from '../../core/archive/columns.ts';
import { archiveScope } from '../../core/archive/scope.ts';
import { LocalObjectStore } from './LocalObjectStore.ts';
import type { Cell, QueryEngine, QueryResult } from '../../core/ports.ts';
import { createArchiveViews } from './duckdbViews.ts';
import { createActivityLogsView } from './activityLogsView.ts';
import { type CachePart, type ParquetPartCache, makePrivateDir } from './ParquetPartCache.ts';

const DUCK_TYPES: Record<ColumnType, string> = { string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN' };
const MACROS = readFileSync(new URL('./duckdbTrinoMacros.sql', import.meta.url), 'utf8');

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
const TEMP_DIRECTORY = path.join(os.tmpdir(), 'audit-archive-duckdb');

export class DuckDbEngine implements QueryEngine {
  readonly name: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    version: string,
    private readonly databaseFile?: string,
    private readonly privateDir?: string,
  ) {
    this.name = `duckdb ${version}`;
  }

  /**
   * Opens DuckDB with the `activity_logs` view over the chain-listed parts of `<archive>/activity_logs/`.
   *
   * With `partCache` (ParquetPartCache.ts) each listed part is read through its checked Parquet
   * file, built on first use; `cacheDays` then limits that to the parts of those days (the others
   * are read from JSON, which a query inside the days prunes). Without it, `cacheDays` (a report's days, lookback included)
   * parses those days' JSON once into a table instead of once per query (activityLogsView.ts).
   */
  static async open(
    archiveDir: string,
    options: {
      threads?: number;
      memoryLimit?: string;
      cacheDays?: { from: string; to: string };
      /** The chain-listed parts: archive keys, or keys with their listed SHA-256 (needed for `partCache`). */
      parts?: readonly (string | CachePart)[];
      rosterKeys?: readonly string[];
      /** The columnar cache: listed parts are read through their checked Parquet files (built when missing). */
      partCache?: ParquetPartCache;
      /**
       * The SQL comes from a file someone else may have written (a report pack's manifest.json):
       * once the views exist, DuckDB may open only the files they read (and its temp folder) and
       * the configuration is locked, so no query can read, write or load anything else.
       */
      untrustedSql?: boolean;
    } = {},
  ): Promise<DuckDbEngine> {
    // The chain-listed parts; by default every chain's, hash chain only.
    const listed: readonly (string | CachePart)[] = options.parts ?? (await archiveScope(new LocalObjectStore(archiveDir))).parts;
    const parts = listed.filter((p) => (typeof p === 'string' ? p : p.key).startsWith('activity_logs/'));
    // Without the Parquet cache, a report's days are parsed once into a table (cacheDays).
    const dayTable = options.partCache ? undefined : options.cacheDays;
    // With the JSON day cache the days are stored in a temporary database file: DuckDB compresses
    // tables on disk (the JSON-text columns shrink several times), so memory stays within the limit.
    const databaseFile = dayTable ? path.join(os.tmpdir(), `audit-archive-cache-${randomBytes(6).toString('hex')}.duckdb`) : undefined;
    const instance = await DuckDBInstance.create(databaseFile ?? ':memory:', {
      threads: String(options.threads ?? 2),
      // Over Parquet files nothing is held in tables: a smaller limit keeps the process under 1 GB.
      memory_limit: options.memoryLimit ?? (options.partCache ? '640MB' : '1GB'),
      temp_directory: TEMP_DIRECTORY,
    });
    const connection = await instance.connect();
    const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0] ?? '');
    await connection.run(MACROS);
    const columns = ARCHIVE_COLUMNS.map((c) => `${quote(c.name)}: ${quote(DUCK_TYPES[c.type])}`).join(', ');
    let privateDir: string | undefined;
    let sources: { parquet: string[]; json: string[] };
    if (options.partCache) {
      privateDir = await makePrivateDir();
      const days = options.cacheDays;
      const prepared = await options.partCache.prepare(
        connection,
        archiveDir,
        parts.map((p) => (typeof p === 'string' ? { key: p, sha256: '' } : p)),
        { privateDir, columnsSql: columns, ...(days && { days: (dt: string) => dt >= days.from && dt <= days.to }) },
      );
      sources = { parquet: prepared.parquet, json: prepared.json.map((p) => path.resolve(archiveDir, p.key)) };
    } else {
      sources = { parquet: [], json: parts.map((p) => path.resolve(archiveDir, typeof p === 'string' ? p : p.key)) };
    }
    await createActivityLogsView(connection, sources, columns, dayTable);
    const views = await createArchiveViews(connection, archiveDir, options.rosterKeys, { listQuarantine: options.untrustedSql === true });
    if (options.untrustedSql) {
      const files = [...sources.parquet, ...sources.json, ...views.files];
      const list = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`;
      await connection.run(`SET allowed_paths = ${list(files)}`);
      await connection.run(`SET allowed_directories = ${list([`${TEMP_DIRECTORY}${path.sep}`])}`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
    }
    // The macros, view and cache live in the database; each query gets its own connection.
    connection.closeSync();
    return new DuckDbEngine(instance, version, databaseFile, privateDir);
  }

  async run(sql: string, values: readonly string[]): Promise<QueryResult> {
    // A connection per query, so queries can run side by side on the same database.
    const connection = await this.instance.connect();
    try {
      const prepared = await connection.prepare(sql);
      for (const [i, value] of values.entries()) prepared.bindVarchar(i + 1, value);
      const reader = await prepared.runAndReadAll();
      return { columns: reader.columnNames(), rows: reader.getRows().map((row) => row.map(toCell)) };
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    this.instance.closeSync();
    if (this.databaseFile) for (const f of [this.databaseFile, `${this.databaseFile}.wal`]) rmSync(f, { force: true });
    if (this.privateDir) rmSync(this.privateDir, { recursive: true, force: true });
  }
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  return String(value);
}
