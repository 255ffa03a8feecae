/**
 * OCSF export: chain-listed parts → OCSF events (the one mapping) → one object per OCSF class,
 * workspace and UTC day, laid out like an Amazon Security Lake custom source:
 *
 *   ext/<source>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/<workspace>-<YYYYMMDD>-<hash>.<ext>
 *
 * Security Lake wants one OCSF class per source, so each class goes to its own source. Object
 * names carry a hash of their events, so a rerun writes the same names with the same content.
 * The same function runs in the CLI (local folder) and in the daily Security Lake job (S3).
 */
import { ConfigurationError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import type { ArchiveLine } from '../archive/columns.ts';
import { readGzipLines } from '../archive/lines.ts';
import { sha256Hex } from '../archive/manifest.ts';
import { type ChainPart, readChainPart } from './chainListedParts.ts';
import { DEFAULT_SOURCE_NAMES, type OcsfClassName, type OcsfEvent, classNameOf, toOcsfEvent } from './mapping.ts';

/** Turns one object's events into bytes: Parquet (DuckDB locally, the same in the Security Lake job) or JSON lines. */
export interface OcsfEncoder {
  readonly extension: string;
  encode(events: readonly OcsfEvent[]): Promise<Buffer>;
}

/** Where exported objects go: a local folder, or a Security Lake bucket. Never the archive. */
export interface OcsfDestination {
  readonly location: string;
  write(key: string, body: Buffer): Promise<void>;
}

export interface SecurityLakeLayout {
  readonly region: string;
  readonly accountId: string;
  /** Custom source name per class; defaults to DEFAULT_SOURCE_NAMES. */
  readonly sources?: Partial<Record<OcsfClassName, string>>;
}

export interface ExportedObject {
  readonly key: string;
  readonly className: OcsfClassName;
  readonly events: number;
  readonly bytes: number;
}

export interface ExportResult {
  readonly partsRead: number;
  readonly events: number;
  readonly objects: ExportedObject[];
}

const SOURCE_NAME = /^[A-Za-z0-9_-]{1,20}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;

/** Checks the layout once; every problem is named (Security Lake source names are at most 20 characters). */
export function checkLayout(layout: SecurityLakeLayout): void {
  const problems: string[] = [];
  if (!REGION.test(layout.region)) problems.push(`region '${layout.region}' is not an AWS region like eu-west-1`);
  if (!ACCOUNT.test(layout.accountId)) problems.push(`accountId '${layout.accountId}' is not a 12-digit AWS account id`);
  for (const [cls, name] of Object.entries(layout.sources ?? {})) {
    if (!(cls in DEFAULT_SOURCE_NAMES))
      problems.push(`sources.${cls}: not a class the mapping produces (${Object.keys(DEFAULT_SOURCE_NAMES).join(', ')})`);
    else if (!SOURCE_NAME.test(name ?? ''))
      problems.push(`sources.${cls}: '${name}' is not a custom source name (1–20 letters, digits, '_' or '-')`);
  }
  if (problems.length > 0) throw new ConfigurationError(`OCSF export layout: ${problems.join('; ')}`);
}

export function sourceName(layout: SecurityLakeLayout, className: OcsfClassName): string {
  return layout.sources?.[className] ?? DEFAULT_SOURCE_NAMES[className];
}

/** The Security Lake custom-source prefix of one class and day. */
export function securityLakePrefix(layout: SecurityLakeLayout, className: OcsfClassName, dt: string): string {
  return `ext/${sourceName(layout, className)}/region=${layout.region}/accountId=${layout.accountId}/eventDay=${dt.replace(/-/g, '')}/`;
}

export async function exportOcsf(
  store: ObjectStore,
  parts: readonly ChainPart[],
  options: {
    readonly encoder: OcsfEncoder;
    readonly destination: OcsfDestination;
    readonly layout: SecurityLakeLayout;
    readonly onObject?: (object: ExportedObject) => void;
  },
): Promise<ExportResult> {
  checkLayout(options.layout);
  // A part holds one workspace's entries of one UTC day (dt), so a group is one eventDay.
  const groups = new Map<string, ChainPart[]>();
  for (const part of parts) {
    const id = `${part.workspaceId}\u0000${part.dt}`;
    const group = groups.get(id);
    if (group) group.push(part);
    else groups.set(id, [part]);
  }
  const objects: ExportedObject[] = [];
  let events = 0;
  for (const [id, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [workspaceId, dt] = id.split('\u0000') as [string, string];
    const byClass = new Map<OcsfClassName, OcsfEvent[]>();
    for (const part of group) {
      const body = await readChainPart(store, part);
      for await (const line of readGzipLines(body)) {
        const event = toOcsfEvent(line as unknown as ArchiveLine, {
          partKey: part.key,
          manifestSeq: part.manifestSeq,
          manifestSha256: part.manifestSha256,
        });
        const cls = classNameOf(event.class_uid);
        const list = byClass.get(cls);
        if (list) list.push(event);
        else byClass.set(cls, [event]);
      }
    }
    for (const [className, list] of [...byClass].sort(([a], [b]) => (a < b ? -1 : 1))) {
      list.sort((a, b) => a.time - b.time || String(a.metadata.uid).localeCompare(String(b.metadata.uid)));
      const hash = sha256Hex(list.map((e) => JSON.stringify(e)).join('\n')).slice(0, 16);
      const key = `${securityLakePrefix(options.layout, className, dt)}${workspaceId}-${dt.replace(/-/g, '')}-${hash}.${options.encoder.extension}`;
      const body = await options.encoder.encode(list);
      await options.destination.write(key, body);
      const object = { key, className, events: list.length, bytes: body.length };
      objects.push(object);
      options.onObject?.(object);
      events += list.length;
    }
  }
  return { partsRead: parts.length, events, objects };
}

/** JSON lines, one OCSF event each (`--format jsonl`). */
export const jsonlEncoder: OcsfEncoder = {
  extension: 'jsonl',
  encode: async (events) => Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8'),
};

/**
 * The Parquet form of an event: `unmapped` becomes a map of strings (nested values as JSON
 * text), as Security Lake's own OCSF tables hold it, so one class's objects keep one column
 * type whatever Intercom's metadata looks like.
 */
export function parquetRow(event: OcsfEvent): Record<string, unknown> {
  const unmapped = (event.unmapped ?? {}) as Record<string, unknown>;
  // As key/value entries: the encoder turns them into a MAP(VARCHAR, VARCHAR) column.
  return {
    ...event,
    unmapped: Object.entries(unmapped).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
  };
}
