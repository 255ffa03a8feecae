/** Turns Intercom entries into archive lines, and archive parts back into lines. */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { ActivityLog, QuarantinedEntry } from '../intercom/schema.ts';
import type { ArchiveLine, Provenance } from './columns.ts';

/** The flat line for one valid entry; nested values are stored as JSON text. */
export function toArchiveLine(entry: ActivityLog, workspaceId: string, provenance: Provenance, ingestedAt: string, late: boolean): ArchiveLine {
  const by = entry.performed_by ?? undefined;
  return {
    id: entry.id,
    workspace_id: workspaceId,
    created_at: entry.created_at,
    activity_type: entry.activity_type,
    activity_description: entry.activity_description ?? null,
    performed_by_type: by?.type ?? null,
    performed_by_id: by?.id === undefined || by.id === null ? null : String(by.id),
    performed_by_email: by?.email ?? null,
    performed_by_ip: by?.ip ?? null,
    metadata: entry.metadata === undefined || entry.metadata === null ? null : JSON.stringify(entry.metadata),
    source: JSON.stringify(entry),
    late,
    run_id: provenance.runId,
    collector_version: provenance.collectorVersion,
    api_host: provenance.apiHost,
    api_version: provenance.apiVersion,
    ingested_at: ingestedAt,
  };
}

/** A quarantined entry: the verbatim input, why it failed, and whatever could be read of it. */
export interface QuarantineLine {
  quarantine_key: string;
  workspace_id: string;
  id: string | null;
  created_at: number | null;
  reason: string;
  source: string;
  run_id: string;
  collector_version: string;
  api_host: string;
  api_version: string;
  ingested_at: string;
}

export function toQuarantineLine(entry: QuarantinedEntry, key: string, workspaceId: string, provenance: Provenance, ingestedAt: string): QuarantineLine {
  return {
    quarantine_key: key,
    workspace_id: workspaceId,
    id: entry.id ?? null,
    created_at: entry.createdAt ?? null,
    reason: entry.reason,
    source: JSON.stringify(entry.raw),
    run_id: provenance.runId,
    collector_version: provenance.collectorVersion,
    api_host: provenance.apiHost,
    api_version: provenance.apiVersion,
    ingested_at: ingestedAt,
  };
}

/** Streams the text lines of a gzip part without inflating it all into memory at once. */
export async function* readGzipTextLines(body: Buffer): AsyncGenerator<string> {
  const lines = createInterface({ input: Readable.from([body]).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length > 0) yield line;
  }
}

/** Streams the JSON lines of a gzip part without inflating it all into memory at once. */
export async function* readGzipLines(body: Buffer): AsyncGenerator<Record<string, unknown>> {
  for await (const line of readGzipTextLines(body)) yield JSON.parse(line) as Record<string, unknown>;
}

// The writer puts id, workspace_id and created_at first; verify reads just those on its hot path.
const LINE_HEAD = /^\{"id":"([^"\\]*)","workspace_id":"[^"\\]*","created_at":(\d+),/;

/** `id` and `created_at` of an archive line, without parsing the whole line when it has the writer's shape. */
export function lineIdAndTime(line: string): { id: string; createdAt: unknown } {
  const m = LINE_HEAD.exec(line);
  // Copy the id out: a substring would keep the whole line alive in V8 while verify keeps ids.
  if (m) return { id: Buffer.from(m[1]!, 'utf8').toString('utf8'), createdAt: Number(m[2]) };
  const parsed = JSON.parse(line) as Record<string, unknown>;
  return { id: String(parsed.id), createdAt: parsed.created_at };
}
