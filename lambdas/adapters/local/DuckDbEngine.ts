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

const DUCK_TYPES: Record<ColumnType, string> = { string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN' };
const MACROS = readFileSync(new URL('./duckdbTrinoMacros.sql', import.meta.url), 'utf8');

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class DuckDbEngine implements QueryEngine {
  readonly name: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    version: string,
    private readonly databaseFile?: string,
  ) {
    this.name = `duckdb ${version}`;
  }

  /**
   * Opens DuckDB with the `activity_logs` view over `<archive>/activity_logs/`.
   *
   * `cacheDays` (a report's days, lookback included) parses those days' JSON once into a
   * columnar table, instead of once per query. The view stays complete: it is the cached days
   * UNION ALL the archive's other days read from JSON, and partition pruning skips the JSON
   * branch for queries that stay inside the cached days — same rows, one parse.
   */
  static async open(
    archiveDir: string,
    options: {
      threads?: number;
      memoryLimit?: string;
      cacheDays?: { from: string; to: string };
      parts?: readonly string[];
      rosterKeys?: readonly string[];
    } = {},
  ): Promise<DuckDbEngine> {
    // The chain-listed parts (archive keys); by default every chain's, hash chain only.
    const parts = options.parts ?? (await archiveScope(new LocalObjectStore(archiveDir))).parts.map((p) => p.key);
    // With a cache the days are stored in a temporary database file: DuckDB compresses tables on
    // disk (the JSON-text columns shrink several times), so memory stays within the limit.
    const databaseFile = options.cacheDays
      ? path.join(os.tmpdir(), `audit-archive-cache-${randomBytes(6).toString('hex')}.duckdb`)
      : undefined;
    const instance = await DuckDBInstance.create(databaseFile ?? ':memory:', {
      threads: String(options.threads ?? 2),
      memory_limit: options.memoryLimit ?? '1GB',
      temp_directory: path.join(os.tmpdir(), 'audit-archive-duckdb'),
    });
    const connection = await instance.connect();
    const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0] ?? '');
    await connection.run(MACROS);
    const columns = ARCHIVE_COLUMNS.map((c) => `${quote(c.name)}: ${quote(DUCK_TYPES[c.type])}`).join(', ');
    const files = parts.filter((key) => key.startsWith('activity_logs/')).map((key) => path.resolve(archiveDir, key));
    // An empty list is a binder error in DuckDB: no listed part means the empty table below.
    if (files.length > 0) {
      const json =
        `read_json([${files.map(quote).join(', ')}], format = 'newline_delimited', compression = 'gzip', ` +
        `hive_partitioning = true, hive_types = {'workspace': 'VARCHAR', 'dt': 'VARCHAR'}, columns = {${columns}})`;
      const cache = options.cacheDays;
      if (cache && /^\d{4}-\d{2}-\d{2}$/.test(cache.from) && /^\d{4}-\d{2}-\d{2}$/.test(cache.to)) {
        await connection.run(
          `CREATE TABLE activity_logs_cached AS SELECT * FROM ${json} WHERE dt BETWEEN ${quote(cache.from)} AND ${quote(cache.to)}`,
        );
        await connection.run('CHECKPOINT');
        await connection.run(
          `CREATE VIEW activity_logs AS SELECT * FROM activity_logs_cached UNION ALL ` +
            `SELECT * FROM ${json} WHERE dt < ${quote(cache.from)} OR dt > ${quote(cache.to)}`,
        );
      } else {
        await connection.run(`CREATE VIEW activity_logs AS SELECT * FROM ${json}`);
      }
    } else {
      // An archive with nothing in it yet: the same columns, no rows.
      const list = ARCHIVE_COLUMNS.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ');
      await connection.run(`CREATE TABLE activity_logs (${list}, workspace VARCHAR, dt VARCHAR)`);
    }
    await createArchiveViews(connection, archiveDir, options.rosterKeys);
    // The macros, view and cache live in the database; each query gets its own connection.
    connection.closeSync();
    return new DuckDbEngine(instance, version, databaseFile);
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
  }
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  return String(value);
}
