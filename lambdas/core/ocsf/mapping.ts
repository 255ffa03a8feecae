/**
 * The OCSF 1.1.0 mapping of Intercom activity types, defined once and versioned: the CLI export,
 * the Security Lake job and the tests all read this table. A change to what any type maps to, or
 * to the shape of an event, bumps OCSF_MAPPING_VERSION (carried in every event's metadata.labels).
 *
 * Unknown and future activity types take the documented fallback: Entity Management (3004),
 * activity 99 "Other" — a class Amazon Security Lake lists for custom sources (Base Event, the
 * generic OCSF class, is not on that list) — with the raw entry kept in `raw_data`.
 */
import { isIP } from 'node:net';
import type { ArchiveLine } from '../archive/columns.ts';
import { OCSF_CLASSES, OCSF_MAPPING_VERSION, OCSF_SCHEMA_VERSION } from './ocsfClasses.ts';
import { type TypeMapping, mappingFor } from './typeMapping.ts';

export {
  DEFAULT_SOURCE_NAMES,
  OCSF_CLASSES,
  OCSF_MAPPING_VERSION,
  OCSF_SCHEMA_VERSION,
  type OcsfClassInfo,
  type OcsfClassName,
  classNameOf,
} from './ocsfClasses.ts';
export { OCSF_FALLBACK, OCSF_TYPE_MAPPING, type TypeMapping, mappingFor, ocsfMappingTable } from './typeMapping.ts';

/** Where an event came from in the archive, so every exported event traces back to a signed manifest. */
export interface ArchiveProvenance {
  readonly partKey: string;
  readonly manifestSeq: number;
  readonly manifestSha256?: string;
}

export type OcsfEvent = Record<string, unknown> & { class_uid: number; time: number; metadata: Record<string, unknown> };

// The OCSF email_t pattern (dictionary.json): a value that does not match goes to `unmapped`.
const EMAIL = /^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$/;

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : undefined;

/** A teammate the entry's metadata names (`teammate`, `admin` or `user` with an id or e-mail), if any. */
function metadataUser(metadata: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  for (const field of ['teammate', 'admin', 'user', 'invitee']) {
    const candidate = asRecord(metadata?.[field]);
    if (!candidate) continue;
    const uid = text(candidate.id);
    const email = typeof candidate.email === 'string' && EMAIL.test(candidate.email) ? candidate.email : undefined;
    const name = text(candidate.name);
    if (uid || email || name) return { ...(uid && { uid }), ...(email && { email_addr: email }), ...(name && { name }) };
  }
  return undefined;
}

/** What OCSF has no field for, kept beside the event: the type, the archive provenance, Intercom's metadata. */
function baseUnmapped(line: ArchiveLine, provenance: ArchiveProvenance, metadataValue: unknown): Record<string, unknown> {
  return {
    activity_type: line.activity_type,
    archive: {
      part_key: provenance.partKey,
      manifest_seq: provenance.manifestSeq,
      ...(provenance.manifestSha256 && { manifest_sha256: provenance.manifestSha256 }),
      workspace_id: line.workspace_id,
      run_id: line.run_id,
      collector_version: line.collector_version,
      late: line.late,
    },
    ...(metadataValue !== null && { intercom_metadata: metadataValue }),
  };
}

/** The actor: OCSF user with the teammate id and e-mail; the e-mail only when OCSF's email_t accepts it. */
function actorOf(line: ArchiveLine, unmapped: Record<string, unknown>): Record<string, unknown> | undefined {
  const actorUser: Record<string, unknown> = {};
  if (line.performed_by_id) actorUser.uid = line.performed_by_id;
  if (line.performed_by_email && EMAIL.test(line.performed_by_email)) actorUser.email_addr = line.performed_by_email;
  else if (line.performed_by_email) unmapped.performed_by_email = line.performed_by_email;
  if (line.performed_by_type) actorUser.type = line.performed_by_type;
  // user needs a name or uid (OCSF at_least_one); a type alone is not an identity.
  const hasActor = actorUser.uid !== undefined || actorUser.email_addr !== undefined;
  if (!hasActor && line.performed_by_type) unmapped.performed_by_type = line.performed_by_type;
  if (hasActor && actorUser.uid === undefined) actorUser.name = actorUser.email_addr;
  return hasActor ? actorUser : undefined;
}

/** The source IP for `src_endpoint`, when it is an IP and the class has that field; otherwise it goes to `unmapped`. */
function sourceIpOf(line: ArchiveLine, mapping: TypeMapping, unmapped: Record<string, unknown>): string | undefined {
  const ip = line.performed_by_ip && isIP(line.performed_by_ip) ? line.performed_by_ip : undefined;
  if (line.performed_by_ip && !ip) unmapped.performed_by_ip = line.performed_by_ip;
  // Account Change, Authentication and Web Resources Activity define src_endpoint; the other two do not.
  const classHasSrcEndpoint = mapping.class !== 'entity_management' && mapping.class !== 'user_access';
  if (ip && !classHasSrcEndpoint) unmapped.src_ip = ip;
  return classHasSrcEndpoint ? ip : undefined;
}

/**
 * The OCSF event for one archived line. Deterministic: the same line and provenance give the
 * same event (no clock is read), so an export can be re-performed.
 */
export function toOcsfEvent(line: ArchiveLine, provenance: ArchiveProvenance): OcsfEvent {
  const { mapping, fallback } = mappingFor(line.activity_type);
  const info = OCSF_CLASSES[mapping.class];
  const metadataValue = parseJson(line.metadata);
  const metadata = asRecord(metadataValue);
  const unmapped = baseUnmapped(line, provenance, metadataValue);
  const actorUser = actorOf(line, unmapped);
  const ip = sourceIpOf(line, mapping, unmapped);

  const activityName =
    fallback || mapping.activityId === 99 ? line.activity_type : (info.activities[mapping.activityId] ?? line.activity_type);
  const status = mapping.failure ? { status_id: 2, status: 'Failure' } : { status_id: 1, status: 'Success' };
  const event: OcsfEvent = {
    class_uid: info.uid,
    class_name: info.caption,
    category_uid: info.categoryUid,
    category_name: info.categoryName,
    activity_id: mapping.activityId,
    activity_name: activityName,
    type_uid: info.uid * 100 + mapping.activityId,
    type_name: `${info.caption}: ${activityName}`,
    severity_id: 1,
    severity: 'Informational',
    ...status,
    time: line.created_at * 1000,
    ...(line.activity_description !== null && { message: line.activity_description }),
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      uid: line.id,
      product: { vendor_name: 'Intercom', name: 'Intercom teammate activity logs', version: line.api_version },
      ...(info.profiles.length > 0 && { profiles: [...info.profiles] }),
      log_name: provenance.partKey,
      log_provider: 'intercom-audit-archive',
      log_version: line.api_version,
      tenant_uid: line.workspace_id,
      original_time: new Date(line.created_at * 1000).toISOString(),
      labels: [OCSF_MAPPING_VERSION, ...(fallback ? ['unmapped-activity-type'] : [])],
    },
    ...(actorUser && { actor: { user: actorUser } }),
    ...(ip && { src_endpoint: { ip } }),
    raw_data: line.source,
  };
  const target = mapping.target === 'actor' ? actorUser : metadataUser(metadata);
  addClassFields(event, mapping, line.activity_type, target, metadata);
  event.unmapped = unmapped;
  return event;
}

/** The fields the event's class adds: whose account (`user`), the privileges, or the entity acted on. */
function addClassFields(
  event: OcsfEvent,
  mapping: TypeMapping,
  activityType: string,
  target: Record<string, unknown> | undefined,
  metadata: Record<string, unknown> | undefined,
): void {
  // Intercom does not always say whose account changed: OCSF requires `user`, so it says "unknown" rather than guess.
  const subject = target ?? { name: 'unknown' };
  switch (mapping.class) {
    case 'authentication':
      event.user = subject;
      event.service = { name: 'Intercom' };
      event.is_remote = true;
      break;
    case 'account_change':
      event.user = subject;
      break;
    case 'user_access':
      event.user = subject;
      event.privileges = [activityType];
      break;
    case 'entity_management':
      event.entity = entityOf(mapping.entity ?? 'intercom_activity', activityType, metadata);
      break;
    case 'web_resources_activity':
      event.web_resources = [entityOf(mapping.entity ?? 'intercom_data', activityType, metadata)];
      break;
  }
}

function entityOf(kind: string, activityType: string, metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  // The object Intercom names in metadata (e.g. metadata.message = { id, title }), where it names one.
  const named = asRecord(metadata?.[kind]) ?? asRecord(metadata?.[kind.replace(/_.*$/, '')]);
  const uid = text(named?.id);
  const name = text(named?.title) ?? text(named?.name);
  return { type: kind, name: name ?? activityType, ...(uid && { uid }) };
}
