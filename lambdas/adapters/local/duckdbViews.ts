/**
 * Views beside `activity_logs` in the local engine, with the columns of their Glue tables:
 * `quarantine` over quarantine/ (entries that failed validation, kept verbatim) and
 * `teammate_rosters` over rosters/ (the daily GET /admins snapshots). An archive
 * without such objects gets an empty table with the same columns, so the SQL still binds.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type ColumnDefinition, type ColumnType, QUARANTINE_COLUMNS, ROSTER_COLUMNS } from '../../core/archive/columns.ts';

const DUCK_TYPES: Record<ColumnType, string> = { string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN' };
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `<root>/workspace=*\/dt=*\/*.jsonl.gz` as a view named `name`, or an empty table when there is none. */
export async function createHiveJsonView(connection: DuckDBConnection, name: string, root: string, columns: readonly ColumnDefinition[]): Promise<void> {
  const hasFiles = existsSync(root) && readdirSync(root).some((ws) => ws.startsWith('workspace=') && readdirSync(path.join(root, ws)).length > 0);
  if (hasFiles) {
    const spec = columns.map((c) => `${quote(c.name)}: ${quote(DUCK_TYPES[c.type])}`).join(', ');
    const glob = path.join(root, 'workspace=*', 'dt=*', '*.jsonl.gz');
    await connection.run(
      `CREATE VIEW ${name} AS SELECT * FROM read_json(${quote(glob)}, format = 'newline_delimited', compression = 'gzip', ` +
        `hive_partitioning = true, hive_types = {'workspace': 'VARCHAR', 'dt': 'VARCHAR'}, columns = {${spec}})`,
    );
  } else {
    await connection.run(`CREATE TABLE ${name} (${columns.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ')}, workspace VARCHAR, dt VARCHAR)`);
  }
}

/** The views the engine adds for the archive at `archiveDir`. */
export async function createArchiveViews(connection: DuckDBConnection, archiveDir: string): Promise<void> {
  await createHiveJsonView(connection, 'quarantine', path.resolve(archiveDir, 'quarantine'), QUARANTINE_COLUMNS);
  await createHiveJsonView(connection, 'teammate_rosters', path.resolve(archiveDir, 'rosters'), ROSTER_COLUMNS);
}
