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

/**
 * A view named `name` over hive-partitioned gzip JSON lines — `files` (an explicit list), or
 * `<root>/workspace=*\/dt=*\/*.jsonl.gz` — or an empty table with the same columns when there are none
 * (DuckDB rejects an empty file list).
 */
export async function createHiveJsonView(
  connection: DuckDBConnection,
  name: string,
  source: { root: string } | { files: readonly string[] },
  columns: readonly ColumnDefinition[],
): Promise<void> {
  const files = 'files' in source ? source.files : undefined;
  const root = 'root' in source ? source.root : '';
  const hasFiles = files
    ? files.length > 0
    : existsSync(root) && readdirSync(root).some((ws) => ws.startsWith('workspace=') && readdirSync(path.join(root, ws)).length > 0);
  if (hasFiles) {
    const spec = columns.map((c) => `${quote(c.name)}: ${quote(DUCK_TYPES[c.type])}`).join(', ');
    const from = files ? `[${files.map(quote).join(', ')}]` : quote(path.join(root, 'workspace=*', 'dt=*', '*.jsonl.gz'));
    await connection.run(
      `CREATE VIEW ${name} AS SELECT * FROM read_json(${from}, format = 'newline_delimited', compression = 'gzip', ` +
        `hive_partitioning = true, hive_types = {'workspace': 'VARCHAR', 'dt': 'VARCHAR'}, columns = {${spec}})`,
    );
  } else {
    await connection.run(
      `CREATE TABLE ${name} (${columns.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ')}, workspace VARCHAR, dt VARCHAR)`,
    );
  }
}

/**
 * The views the engine adds for the archive at `archiveDir`. `rosterKeys` are the chain-listed,
 * hash-checked roster objects (reports/rosters.ts): nothing else under rosters/ is read.
 */
export async function createArchiveViews(
  connection: DuckDBConnection,
  archiveDir: string,
  rosterKeys: readonly string[] = [],
  options: { listQuarantine?: boolean } = {},
): Promise<{ files: string[] }> {
  const root = path.resolve(archiveDir, 'quarantine');
  // Listed now rather than globbed by DuckDB, when the engine may open only the files named here.
  const quarantine = options.listQuarantine ? hiveFiles(root) : undefined;
  await createHiveJsonView(connection, 'quarantine', quarantine ? { files: quarantine } : { root }, QUARANTINE_COLUMNS);
  const rosters = rosterKeys.map((key) => path.resolve(archiveDir, key));
  await createHiveJsonView(connection, 'teammate_rosters', { files: rosters }, ROSTER_COLUMNS);
  return { files: [...(quarantine ?? []), ...rosters] };
}

/** `<root>/workspace=*\/dt=*\/*.jsonl.gz`, as DuckDB's glob would find them. */
function hiveFiles(root: string): string[] {
  const dirs = (dir: string, prefix: string) =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
          .map((e) => path.join(dir, e.name))
      : [];
  return dirs(root, 'workspace=')
    .flatMap((ws) => dirs(ws, 'dt='))
    .flatMap((day) =>
      readdirSync(day, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.jsonl.gz'))
        .map((e) => path.join(day, e.name)),
    )
    .sort();
}
