/** Turns Intercom entries into archive lines, and archive parts back into lines. */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { ActivityLog, QuarantinedEntry } from '../intercom/schema.ts';
import type { ArchiveLine, Provenance } from './columns.ts';

/** The flat line for one valid entry; nested values are stored as JSON text. */
export function toArchiveLine(
  entry: ActivityLog,
  workspaceId: string,
  provenance: Provenance,
  ingestedAt: string,
  late: boolean,
): ArchiveLine {
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

/**
 * Deepest nesting of arrays and objects an archived entry may have. Intercom's entries nest a
 * few levels; a deeper one is kept verbatim in quarantine, so no reader of the archive (the
 * SerDe, DuckDB's JSON functions, the rules) has to handle it.
 */
export const MAX_ENTRY_NESTING = 100;

/**
 * The archive line for a valid entry, or why it cannot be one. Whatever goes wrong for one
 * entry (too deep to serialise, a value JSON cannot hold) becomes a reason to quarantine it:
 * one poison entry never stops its window.
 */
export function toArchiveLineOrReason(
  entry: ActivityLog,
  workspaceId: string,
  provenance: Provenance,
  ingestedAt: string,
  late: boolean,
): { line: ArchiveLine } | { reason: string } {
  try {
    if (nestingExceeds(entry, MAX_ENTRY_NESTING)) {
      return {
        reason: `(entry): nested more than ${MAX_ENTRY_NESTING} levels deep; kept verbatim here instead of in the archive's columns`,
      };
    }
    return { line: toArchiveLine(entry, workspaceId, provenance, ingestedAt, late) };
  } catch (error) {
    return { reason: `(entry): could not be serialised (${failureText(error)})` };
  }
}

/** A thrown value as a short reason: the error's name and the first line of its message. */
export function failureText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text
    .split('\n')[0]!
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .slice(0, 200);
}

/**
 * Whether arrays/objects nest deeper than `max`. Recursive, but never deeper than `max` + 1
 * frames (it stops there), so it cannot overflow the stack; no allocation on the hot path.
 */
export function nestingExceeds(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object' && nestingExceeds(item, max - 1)) return true;
    return false;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && nestingExceeds(child, max - 1)) return true;
  }
  return false;
}

/**
 * JSON.stringify without recursion, for any depth: the same text as JSON.stringify for values
 * that came from JSON.parse (`toJSON` is not called). Hand-written because JSON.stringify
 * overflows the stack at a few thousand levels, and the maintained alternatives
 * (safe-stable-stringify, fast-json-stable-stringify) recurse too.
 */
export function stringifyDeep(value: unknown): string | undefined {
  const out: string[] = [];
  type Frame = { items: unknown[]; keys?: string[]; source?: Record<string, unknown>; i: number; wrote: boolean };
  const stack: Frame[] = [];
  const open = new Set<object>();
  const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';
  const emit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') {
      out.push(JSON.stringify(v) ?? 'null');
      return;
    }
    if (open.has(v)) throw new TypeError('a value refers to itself');
    open.add(v);
    if (Array.isArray(v)) {
      out.push('[');
      stack.push({ items: v, i: 0, wrote: false });
    } else {
      const source = v as Record<string, unknown>;
      out.push('{');
      stack.push({ items: [], keys: Object.keys(source), source, i: 0, wrote: false });
    }
  };
  if (skipped(value)) return undefined;
  emit(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.keys) {
      let key: string | undefined;
      while (frame.i < frame.keys.length) {
        key = frame.keys[frame.i]!;
        if (!skipped(frame.source![key])) break;
        frame.i += 1;
      }
      if (frame.i >= frame.keys.length) {
        out.push('}');
        open.delete(frame.source!);
        stack.pop();
        continue;
      }
      frame.i += 1;
      out.push(`${frame.wrote ? ',' : ''}${JSON.stringify(key)}:`);
      frame.wrote = true;
      emit(frame.source![key!]);
    } else {
      if (frame.i >= frame.items.length) {
        out.push(']');
        open.delete(frame.items);
        stack.pop();
        continue;
      }
      const item = frame.items[frame.i];
      if (frame.i > 0) out.push(',');
      frame.i += 1;
      if (skipped(item)) out.push('null');
      else emit(item);
    }
  }
  return out.join('');
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

export function toQuarantineLine(
  entry: QuarantinedEntry,
  key: string,
  workspaceId: string,
  provenance: Provenance,
  ingestedAt: string,
): QuarantineLine {
  return {
    quarantine_key: key,
    workspace_id: workspaceId,
    id: entry.id ?? null,
    created_at: entry.createdAt ?? null,
    reason: entry.reason,
    // Verbatim at any depth: a quarantined entry is often exactly the one JSON.stringify cannot take.
    source: stringifyDeep(entry.raw) ?? 'null',
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
