/**
 * The archive's line format: one definition of the flat, Parquet-ready columns. The Glue
 * table, the local DuckDB view and the writer all read this list, so they cannot drift.
 */
export type ColumnType = 'string' | 'bigint' | 'boolean';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  readonly comment: string;
}

export const ARCHIVE_COLUMNS = [
  { name: 'id', type: 'string', comment: 'Intercom activity id (unique per workspace)' },
  { name: 'workspace_id', type: 'string', comment: 'Intercom workspace (app id_code)' },
  { name: 'created_at', type: 'bigint', comment: 'when the activity happened, UNIX seconds (UTC)' },
  { name: 'activity_type', type: 'string', comment: 'open set: new types appear without notice' },
  { name: 'activity_description', type: 'string', comment: 'Intercom text; contains teammate names' },
  { name: 'performed_by_type', type: 'string', comment: "actor kind, 'admin' today" },
  { name: 'performed_by_id', type: 'string', comment: 'teammate id' },
  { name: 'performed_by_email', type: 'string', comment: 'teammate e-mail (personal data)' },
  { name: 'performed_by_ip', type: 'string', comment: 'client IP (personal data)' },
  { name: 'metadata', type: 'string', comment: 'metadata object as JSON text (field types vary)' },
  { name: 'source', type: 'string', comment: 'the verbatim entry as served, JSON text' },
  { name: 'late', type: 'boolean', comment: 'true when found by a lookback after its window closed' },
  { name: 'run_id', type: 'string', comment: 'collector run that archived the line' },
  { name: 'collector_version', type: 'string', comment: 'collector version' },
  { name: 'api_host', type: 'string', comment: 'Intercom API host' },
  { name: 'api_version', type: 'string', comment: 'Intercom-Version header used' },
  { name: 'ingested_at', type: 'string', comment: 'when the collector fetched the entry, ISO-8601 UTC' },
] as const satisfies readonly ColumnDefinition[];

export type ColumnName = (typeof ARCHIVE_COLUMNS)[number]['name'];

/** Columns of a quarantine line (lines.ts `QuarantineLine`): the Glue table and DuckDB view over quarantine/. */
export const QUARANTINE_COLUMNS = [
  { name: 'quarantine_key', type: 'string', comment: 'id:<id>, or sha256:<hash> of the input when no id was readable' },
  { name: 'workspace_id', type: 'string', comment: 'Intercom workspace (app id_code)' },
  { name: 'id', type: 'string', comment: 'the entry id when readable, else null' },
  { name: 'created_at', type: 'bigint', comment: 'the entry time when readable, UNIX seconds, else null' },
  { name: 'reason', type: 'string', comment: 'why validation failed' },
  { name: 'source', type: 'string', comment: 'the verbatim input as served, JSON text' },
  { name: 'run_id', type: 'string', comment: 'collector run that quarantined it' },
  { name: 'collector_version', type: 'string', comment: 'collector version' },
  { name: 'api_host', type: 'string', comment: 'Intercom API host' },
  { name: 'api_version', type: 'string', comment: 'Intercom-Version header used' },
  { name: 'ingested_at', type: 'string', comment: 'when the collector fetched it, ISO-8601 UTC' },
] as const satisfies readonly ColumnDefinition[];

/** One archived line, with every column of ARCHIVE_COLUMNS. */
export type ArchiveLine = {
  id: string;
  workspace_id: string;
  created_at: number;
  activity_type: string;
  activity_description: string | null;
  performed_by_type: string | null;
  performed_by_id: string | null;
  performed_by_email: string | null;
  performed_by_ip: string | null;
  metadata: string | null;
  source: string;
  late: boolean;
  run_id: string;
  collector_version: string;
  api_host: string;
  api_version: string;
  ingested_at: string;
};

/** Provenance stamped on every line. */
export interface Provenance {
  readonly runId: string;
  readonly collectorVersion: string;
  readonly apiHost: string;
  readonly apiVersion: string;
}

/** Columns of a roster line (`rosters/…/roster.jsonl.gz`, one teammate from GET /admins per line). */
export const ROSTER_COLUMNS = [
  { name: 'workspace_id', type: 'string', comment: 'Intercom workspace (app id_code)' },
  { name: 'snapshot_at', type: 'string', comment: 'when the collector fetched the list, ISO-8601 UTC' },
  { name: 'id', type: 'string', comment: 'teammate (admin) id' },
  { name: 'name', type: 'string', comment: 'teammate name (personal data)' },
  { name: 'email', type: 'string', comment: 'teammate e-mail (personal data)' },
  { name: 'role', type: 'string', comment: 'role or permission set where Intercom serves one, JSON text, else null' },
  { name: 'has_inbox_seat', type: 'boolean', comment: 'whether the teammate holds an inbox seat, where served' },
  { name: 'two_factor', type: 'string', comment: 'two-factor status where Intercom serves it, JSON text, else null' },
  { name: 'source', type: 'string', comment: 'the admin object exactly as served, JSON text' },
  { name: 'run_id', type: 'string', comment: 'collector run that saved the snapshot' },
  { name: 'collector_version', type: 'string', comment: 'collector version' },
  { name: 'api_host', type: 'string', comment: 'Intercom API host' },
  { name: 'api_version', type: 'string', comment: 'Intercom-Version header used' },
] as const satisfies readonly ColumnDefinition[];
