/**
 * OCSF events → one Parquet object (zstd), written by DuckDB: the events go to a temporary
 * JSON-lines file, DuckDB reads them with every row sampled (so each class's nested structs get
 * one schema) and COPYs them to Parquet. Runs wherever @duckdb/node-api does (here, and in Lambda).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type OcsfEncoder, parquetRow } from '../../core/ocsf/exportOcsf.ts';
import type { OcsfEvent } from '../../core/ocsf/mapping.ts';

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class DuckDbParquetEncoder implements OcsfEncoder {
  readonly extension = 'parquet';

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly tmpDir: string,
  ) {}

  static async open(options: { tmpDir?: string; memoryLimit?: string } = {}): Promise<DuckDbParquetEncoder> {
    const tmpDir = options.tmpDir ?? os.tmpdir();
    // One thread: row order in the file follows the input, so the same events give the same bytes.
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      memory_limit: options.memoryLimit ?? '512MB',
      temp_directory: path.join(tmpDir, 'audit-archive-duckdb'),
    });
    return new DuckDbParquetEncoder(instance, tmpDir);
  }

  async encode(events: readonly OcsfEvent[]): Promise<Buffer> {
    const base = path.join(this.tmpDir, `ocsf-${randomBytes(6).toString('hex')}`);
    const input = `${base}.jsonl`;
    const output = `${base}.parquet`;
    await fs.writeFile(input, events.map((e) => `${JSON.stringify(parquetRow(e))}\n`).join(''));
    const connection = await this.instance.connect();
    try {
      await connection.run(
        `COPY (SELECT * REPLACE (map_from_entries(unmapped) AS unmapped) FROM read_json(${quote(input)}, format = 'newline_delimited', sample_size = -1, maximum_depth = -1)) ` +
          `TO ${quote(output)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      return await fs.readFile(output);
    } finally {
      connection.closeSync();
      await Promise.all([fs.rm(input, { force: true }), fs.rm(output, { force: true })]);
    }
  }

  close(): void {
    this.instance.closeSync();
  }
}
