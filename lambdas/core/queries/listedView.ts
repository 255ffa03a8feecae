/**
 * Athena reads every object under a table's location and cannot be told to skip any (Athena
 * User Guide, "Table location in Amazon S3"). So the canned queries do not read the raw table
 * (`activity_logs_objects`, over activity_logs/): they read the view `activity_logs`, which keeps
 * only rows whose object — Athena's hidden `"$path"` column — the part index lists (index/,
 * written by the collector beside each manifest) and no index row rejects. An index object a
 * later index rejects (a superseded manifest's, or one an operator acknowledged) lists nothing.
 *
 * Why a view on `"$path"` and not a symlink-manifest table (SymlinkTextInputFormat): the symlink
 * table would need the collector to rewrite one manifest file per partition whenever a part is
 * added, which create-only storage does not allow; the index is append-only like everything
 * else, and the view's filter is plain SQL that runs on DuckDB too (tested there, and against
 * Trino's grammar). The key is taken from `"$path"` after the bucket and prefix, so the view
 * names no bucket.
 */
export const RAW_TABLE = 'activity_logs_objects';
export const INDEX_TABLE = 'archive_index';
export const LISTED_VIEW = 'activity_logs';

/** The archive key of an object from its `s3://bucket/prefix/<root>/workspace=…` path. */
const keyOf = (pathExpr: string, root: string) => `substr(${pathExpr}, strpos(${pathExpr}, '/${root}/workspace=') + 1)`;

/** The view's SELECT (Trino SQL; also runs on DuckDB when `"$path"` is a column there). */
export function listedViewSelect(): string {
  return [
    `WITH rejected AS (SELECT key FROM ${INDEX_TABLE} WHERE status = 'rejected'),`,
    `listed AS (SELECT i.key FROM ${INDEX_TABLE} i WHERE i.status = 'listed' AND ${keyOf('i."$path"', 'index')} NOT IN (SELECT key FROM rejected))`,
    `SELECT o.* FROM ${RAW_TABLE} o`,
    `WHERE ${keyOf('o."$path"', 'activity_logs')} IN (SELECT key FROM listed)`,
    `  AND ${keyOf('o."$path"', 'activity_logs')} NOT IN (SELECT key FROM rejected)`,
  ].join('\n');
}

export function listedViewDdl(): string {
  return `CREATE OR REPLACE VIEW ${LISTED_VIEW} AS\n${listedViewSelect()}`;
}

/**
 * The Glue `ViewOriginalText` Athena writes for a view it creates: `/* Presto View: <base64 of
 * {originalSql, catalog, schema, columns}> *\/`, so the view exists from `cdk deploy` on.
 */
export function prestoViewText(database: string, columns: readonly { name: string; type: 'string' | 'bigint' | 'boolean' }[]): string {
  const prestoType = { string: 'varchar', bigint: 'bigint', boolean: 'boolean' } as const;
  const view = {
    originalSql: listedViewSelect(),
    catalog: 'awsdatacatalog',
    schema: database,
    columns: columns.map((c) => ({ name: c.name, type: prestoType[c.type] })),
  };
  return `/* Presto View: ${Buffer.from(JSON.stringify(view), 'utf8').toString('base64')} */`;
}
