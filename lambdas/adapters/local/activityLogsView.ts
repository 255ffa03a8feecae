/**
 * The local `activity_logs` view over the chain-listed parts: their checked Parquet cache files
 * UNION ALL the parts read from gzip JSON lines (those not cached), or an empty table with the
 * same columns when nothing is listed. Both branches have the archive columns then `workspace`
 * and `dt`, so a query cannot tell them apart.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVE_COLUMNS, type ColumnType } from '../../core/archive/columns.ts';

const DUCK_TYPES: Record<ColumnType, string> = { string: 'VARCHAR', bigint: 'BIGINT', boolean: 'BOOLEAN' };
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Named, in read_json's order (its hive columns come after the file's, dt before workspace): a UNION ALL matches by position. */
const SELECT = `SELECT ${[...ARCHIVE_COLUMNS.map((c) => c.name), 'dt', 'workspace'].join(', ')}`;

/**
 * `dayTable` (a report's days, lookback included, when there is no Parquet cache) parses those
 * days' JSON once into a columnar table instead of once per query; the view stays complete: the
 * table UNION ALL the other days read from JSON, and partition pruning skips the JSON branch for
 * queries inside the days.
 */
export async function createActivityLogsView(
  connection: DuckDBConnection,
  sources: { readonly parquet: readonly string[]; readonly json: readonly string[] },
  columnsSql: string,
  dayTable?: { from: string; to: string },
): Promise<void> {
  const branches: string[] = [];
  if (sources.parquet.length > 0) branches.push(`${SELECT} FROM read_parquet([${sources.parquet.map(quote).join(', ')}])`);
  if (sources.json.length > 0) {
    const json =
      `read_json([${sources.json.map(quote).join(', ')}], format = 'newline_delimited', compression = 'gzip', ` +
      `hive_partitioning = true, hive_types = {'workspace': 'VARCHAR', 'dt': 'VARCHAR'}, columns = {${columnsSql}})`;
    if (dayTable && DAY.test(dayTable.from) && DAY.test(dayTable.to)) {
      const [from, to] = [quote(dayTable.from), quote(dayTable.to)];
      await connection.run(`CREATE TABLE activity_logs_cached AS SELECT * FROM ${json} WHERE dt BETWEEN ${from} AND ${to}`);
      await connection.run('CHECKPOINT');
      branches.push(`${SELECT} FROM activity_logs_cached`, `${SELECT} FROM ${json} WHERE dt < ${from} OR dt > ${to}`);
    } else branches.push(`${SELECT} FROM ${json}`);
  }
  if (branches.length > 0) {
    await connection.run(`CREATE VIEW activity_logs AS ${branches.join(' UNION ALL ')}`);
    return;
  }
  // An archive with nothing in it yet (DuckDB rejects an empty file list): the same columns, no rows.
  const list = ARCHIVE_COLUMNS.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ');
  await connection.run(`CREATE TABLE activity_logs (${list}, workspace VARCHAR, dt VARCHAR)`);
}
