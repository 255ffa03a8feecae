/**
 * Athena re-performance reads what the pack read: the chain-listed view (`activity_logs`,
 * queries/listedView.ts) with each workspace's head bound as a parameter, so an index object
 * written after the pack (a later late manifest's) is not read. The view itself cannot take a
 * parameter, and re-performing must create nothing in the account (no view, no table, no named
 * query: an auditor role suffices), so the bounded view is put in front of the pack's own SQL
 * as common table expressions named `activity_logs` and `reperform_*`; the query text after
 * them is the pack's, unchanged, and its parameters follow the heads'.
 */
import { INDEX_TABLE, RAW_TABLE } from '../queries/listedView.ts';

/** The archive key of an object from its `s3://bucket/prefix/<root>/workspace=…` path (as the view does). */
const keyOf = (pathExpr: string, root: string) => `substr(${pathExpr}, strpos(${pathExpr}, '/${root}/workspace=') + 1)`;

function boundCtes(heads: number): string {
  const values = heads > 0 ? `VALUES ${Array.from({ length: heads }, () => '(?, CAST(? AS bigint))').join(', ')}` : undefined;
  return [
    values
      ? `reperform_heads (workspace_id, head_seq) AS (${values})`
      : 'reperform_heads AS (SELECT CAST(NULL AS varchar) AS workspace_id, CAST(NULL AS bigint) AS head_seq WHERE false)',
    `reperform_index AS (SELECT i.key, i.status, ${keyOf('i."$path"', 'index')} AS object_key FROM ${INDEX_TABLE} i ` +
      `JOIN reperform_heads h ON h.workspace_id = regexp_extract(i."$path", '/index/workspace=([A-Za-z0-9_-]+)/', 1) ` +
      `WHERE CAST(regexp_extract(i."$path", '/([0-9]{12})[.]jsonl$', 1) AS bigint) <= h.head_seq)`,
    `reperform_rejected AS (SELECT key FROM reperform_index WHERE status = 'rejected')`,
    `reperform_listed AS (SELECT key FROM reperform_index WHERE status = 'listed' AND object_key NOT IN (SELECT key FROM reperform_rejected))`,
    `activity_logs AS (SELECT o.* FROM ${RAW_TABLE} o WHERE ${keyOf('o."$path"', 'activity_logs')} IN (SELECT key FROM reperform_listed) ` +
      `AND ${keyOf('o."$path"', 'activity_logs')} NOT IN (SELECT key FROM reperform_rejected))`,
  ].join(',\n');
}

/** Leading `--` comment lines and blank lines (the canned queries' header block). */
function splitHeader(sql: string): { header: string; body: string } {
  const m = /^(?:[ \t]*(?:--[^\n]*)?\r?\n)*/.exec(sql)!;
  return { header: sql.slice(0, m[0].length), body: sql.slice(m[0].length) };
}

/** The pack's query reading only index objects up to `heads`, and its values with the heads' first. */
export function headBoundQuery(
  sql: string,
  values: readonly string[],
  heads: readonly { readonly workspaceId: string; readonly seq: number }[],
): { sql: string; values: string[] } {
  const { header, body } = splitHeader(sql);
  const ctes = boundCtes(heads.length);
  const withClause = /^WITH\s/i.exec(body);
  const text = withClause ? `WITH ${ctes},\n${body.slice(withClause[0].length)}` : `WITH ${ctes}\n${body}`;
  return { sql: `${header}${text}`, values: [...heads.flatMap((h) => [h.workspaceId, String(h.seq)]), ...values] };
}
