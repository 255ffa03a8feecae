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

export const OCSF_SCHEMA_VERSION = '1.1.0';
/** Bump on any change to the table or to the event shape. */
export const OCSF_MAPPING_VERSION = 'intercom-ocsf-mapping/v1';

export type OcsfClassName = 'authentication' | 'account_change' | 'entity_management' | 'user_access' | 'web_resources_activity';

export interface OcsfClassInfo {
  readonly uid: number;
  readonly categoryUid: number;
  readonly caption: string;
  readonly categoryName: string;
  /** OCSF profiles the events of this class use (named in metadata.profiles). */
  readonly profiles: readonly string[];
  /** Activity captions by id, as the class defines them (plus 0 Unknown, 99 Other). */
  readonly activities: Readonly<Record<number, string>>;
}

export const OCSF_CLASSES: Readonly<Record<OcsfClassName, OcsfClassInfo>> = {
  account_change: {
    uid: 3001,
    categoryUid: 3,
    caption: 'Account Change',
    categoryName: 'Identity & Access Management',
    profiles: [],
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
      99: 'Other',
    },
  },
  authentication: {
    uid: 3002,
    categoryUid: 3,
    caption: 'Authentication',
    categoryName: 'Identity & Access Management',
    profiles: [],
    activities: { 0: 'Unknown', 1: 'Logon', 2: 'Logoff', 99: 'Other' },
  },
  // actor is a Host-profile attribute in these three classes (the class does not define it itself).
  entity_management: {
    uid: 3004,
    categoryUid: 3,
    caption: 'Entity Management',
    categoryName: 'Identity & Access Management',
    profiles: ['host'],
    activities: { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
  },
  user_access: {
    uid: 3005,
    categoryUid: 3,
    caption: 'User Access Management',
    categoryName: 'Identity & Access Management',
    profiles: ['host'],
    activities: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 99: 'Other' },
  },
  web_resources_activity: {
    uid: 6001,
    categoryUid: 6,
    caption: 'Web Resources Activity',
    categoryName: 'Application Activity',
    profiles: ['host'],
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Read',
      3: 'Update',
      4: 'Delete',
      5: 'Search',
      6: 'Import',
      7: 'Export',
      8: 'Share',
      99: 'Other',
    },
  },
};

/** Whose account an Account Change / User Access / Authentication event is about. */
type Target = 'actor' | 'metadata';

export interface TypeMapping {
  readonly class: OcsfClassName;
  readonly activityId: number;
  /** Failure status (sign-in failures); everything else Intercom logs is a completed action. */
  readonly failure?: boolean;
  /** The entity or resource kind for Entity Management / Web Resources Activity. */
  readonly entity?: string;
  readonly target?: Target;
}

const auth = (activityId: number, failure = false): TypeMapping => ({ class: 'authentication', activityId, failure, target: 'actor' });
const account = (activityId: number, target: Target = 'metadata'): TypeMapping => ({ class: 'account_change', activityId, target });
const access = (activityId: number): TypeMapping => ({ class: 'user_access', activityId, target: 'metadata' });
const web = (activityId: number, entity: string): TypeMapping => ({ class: 'web_resources_activity', activityId, entity });
const entity = (activityId: number, kind: string): TypeMapping => ({ class: 'entity_management', activityId, entity: kind });
const [CREATE, UPDATE, DELETE] = [1, 3, 4];

/**
 * Every activity type in Intercom's 2.16 OpenAPI enum (shared/intercom/activity-types.txt), in its order.
 * Account Change / User Access ids follow the class's enum; 99 "Other" where Intercom's type does not
 * say which of the class's activities it was (e.g. a 2FA change may enable or disable).
 */
export const OCSF_TYPE_MAPPING: Readonly<Record<string, TypeMapping>> = {
  admin_conversation_assignment_limit_change: entity(UPDATE, 'teammate_setting'),
  admin_ticket_assignment_limit_change: entity(UPDATE, 'teammate_setting'),
  admin_avatar_change: entity(UPDATE, 'teammate_profile'),
  admin_away_mode_change: entity(UPDATE, 'teammate_status'),
  admin_deletion: account(6),
  admin_deprovisioned: account(5),
  admin_impersonation_end: auth(2),
  admin_impersonation_start: auth(1),
  admin_impersonation_consent_approved: access(1),
  admin_impersonation_consent_revoked: access(2),
  admin_invite_change: account(99),
  admin_invite_creation: account(1),
  admin_invite_deletion: account(6),
  admin_login_failure: auth(1, true),
  admin_login_success: auth(1),
  admin_logout: auth(2),
  admin_occupancy_setting_change: entity(UPDATE, 'teammate_setting'),
  admin_occupancy_state_change: entity(UPDATE, 'teammate_status'),
  admin_password_reset_request: account(4, 'actor'),
  admin_password_reset_success: account(3, 'actor'),
  admin_permission_change: access(99),
  admin_provisioned: account(1),
  admin_two_factor_auth_change: account(99),
  admin_unauthorized_sign_in_method: auth(1, true),
  app_admin_join: account(1, 'actor'),
  app_authentication_method_change: entity(UPDATE, 'security_setting'),
  app_data_deletion: web(DELETE, 'app_data'),
  app_data_export: web(7, 'app_data'),
  app_google_sso_domain_change: entity(UPDATE, 'security_setting'),
  app_identity_verification_change: entity(UPDATE, 'security_setting'),
  app_name_change: entity(UPDATE, 'workspace'),
  app_outbound_address_change: entity(UPDATE, 'workspace'),
  app_package_installation: entity(CREATE, 'app_package'),
  app_package_token_regeneration: entity(UPDATE, 'app_package_token'),
  app_package_uninstallation: entity(DELETE, 'app_package'),
  app_team_creation: entity(CREATE, 'team'),
  app_team_deletion: entity(DELETE, 'team'),
  app_team_membership_modification: access(99),
  app_timezone_change: entity(UPDATE, 'workspace'),
  app_webhook_creation: entity(CREATE, 'webhook'),
  app_webhook_deletion: entity(DELETE, 'webhook'),
  articles_in_messenger_enabled_change: entity(UPDATE, 'messenger_setting'),
  automatic_away_mode_setting_change: entity(UPDATE, 'workspace_setting'),
  bulk_delete: web(DELETE, 'conversations'),
  bulk_export: web(7, 'conversations'),
  campaign_deletion: entity(DELETE, 'campaign'),
  campaign_state_change: entity(UPDATE, 'campaign'),
  conversation_deletion_schedule_creation: entity(CREATE, 'conversation_deletion_schedule'),
  conversation_deletion_schedule_deletion: entity(DELETE, 'conversation_deletion_schedule'),
  conversation_deletion_schedule_state_change: entity(UPDATE, 'conversation_deletion_schedule'),
  conversation_deletion_schedule_update: entity(UPDATE, 'conversation_deletion_schedule'),
  conversation_part_deletion: web(DELETE, 'conversation_part'),
  conversation_pdf_export: web(7, 'conversation'),
  conversation_topic_change: entity(UPDATE, 'conversation_topic'),
  conversation_topic_creation: entity(CREATE, 'conversation_topic'),
  conversation_topic_deletion: entity(DELETE, 'conversation_topic'),
  content_redaction_rule_creation: entity(CREATE, 'content_redaction_rule'),
  content_redaction_rule_deletion: entity(DELETE, 'content_redaction_rule'),
  content_redaction_rule_update: entity(UPDATE, 'content_redaction_rule'),
  csv_import_completion: web(6, 'csv_import'),
  csv_import_creation: web(6, 'csv_import'),
  custom_authentication_token_creation: entity(CREATE, 'custom_authentication_token'),
  help_center_settings_change: entity(UPDATE, 'help_center_setting'),
  inbound_conversations_change: entity(UPDATE, 'workspace_setting'),
  inbox_access_change: access(99),
  macro_creation: entity(CREATE, 'macro'),
  macro_deletion: entity(DELETE, 'macro'),
  macro_update: entity(UPDATE, 'macro'),
  macro_usage_export: web(7, 'macro_usage'),
  malicious_domains_setting_change: entity(UPDATE, 'security_setting'),
  message_deletion: entity(DELETE, 'message'),
  message_state_change: entity(UPDATE, 'message'),
  messenger_api_secret_creation: entity(CREATE, 'messenger_api_secret'),
  messenger_api_secret_deletion: entity(DELETE, 'messenger_api_secret'),
  messenger_look_and_feel_change: entity(UPDATE, 'messenger_setting'),
  messenger_search_required_change: entity(UPDATE, 'messenger_setting'),
  messenger_spaces_change: entity(UPDATE, 'messenger_setting'),
  oauth_token_revocation: entity(DELETE, 'oauth_token'),
  office_hours_change: entity(UPDATE, 'workspace_setting'),
  role_change: access(99),
  role_creation: entity(CREATE, 'role'),
  role_deletion: entity(DELETE, 'role'),
  ruleset_activation_title_preview: entity(UPDATE, 'ruleset'),
  ruleset_creation: entity(CREATE, 'ruleset'),
  ruleset_deletion: entity(DELETE, 'ruleset'),
  search_browse_enabled_change: entity(UPDATE, 'messenger_setting'),
  search_browse_required_change: entity(UPDATE, 'messenger_setting'),
  seat_change: access(99),
  seat_revoke: access(2),
  security_settings_change: entity(UPDATE, 'security_setting'),
  series_creation: entity(CREATE, 'series'),
  series_deletion: entity(DELETE, 'series'),
  series_settings_update: entity(UPDATE, 'series'),
  series_status_change: entity(UPDATE, 'series'),
  series_update: entity(UPDATE, 'series'),
  strip_inbound_email_links_change: entity(UPDATE, 'security_setting'),
  temporary_expectation_change: entity(UPDATE, 'workspace_setting'),
  team_assignment_limit_change: entity(UPDATE, 'team'),
  trusted_domains_setting_change: entity(UPDATE, 'security_setting'),
  unassign_unsnoozed_at_capacity_setting_change: entity(UPDATE, 'workspace_setting'),
  unassign_unsnoozed_when_away_setting_change: entity(UPDATE, 'workspace_setting'),
  upfront_email_collection_change: entity(UPDATE, 'messenger_setting'),
  allowed_attachment_filetypes_setting_change: entity(UPDATE, 'attachment_setting'),
  attach_uploads_inline_setting_change: entity(UPDATE, 'attachment_setting'),
  teammate_gifs_setting_change: entity(UPDATE, 'attachment_setting'),
  user_camera_attachments_setting_change: entity(UPDATE, 'attachment_setting'),
  user_conversation_attachments_setting_change: entity(UPDATE, 'attachment_setting'),
  user_file_attachments_setting_change: entity(UPDATE, 'attachment_setting'),
  user_gifs_setting_change: entity(UPDATE, 'attachment_setting'),
  user_media_attachments_setting_change: entity(UPDATE, 'attachment_setting'),
  user_voice_notes_setting_change: entity(UPDATE, 'attachment_setting'),
  welcome_message_change: entity(UPDATE, 'messenger_setting'),
  workspace_deletion_request: entity(DELETE, 'workspace'),
  hide_csat_from_agents_setting_change: entity(UPDATE, 'workspace_setting'),
};

/** Unknown and future activity types: Entity Management, activity 99 "Other", the type as activity_name. */
export const OCSF_FALLBACK: TypeMapping = { class: 'entity_management', activityId: 99, entity: 'intercom_activity' };

export function mappingFor(activityType: string): { mapping: TypeMapping; fallback: boolean } {
  // Own properties only: an activity type named like an Object.prototype member must not match it.
  const mapping = Object.hasOwn(OCSF_TYPE_MAPPING, activityType) ? OCSF_TYPE_MAPPING[activityType] : undefined;
  return mapping ? { mapping, fallback: false } : { mapping: OCSF_FALLBACK, fallback: true };
}

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

/**
 * The OCSF event for one archived line. Deterministic: the same line and provenance give the
 * same event (no clock is read), so an export can be re-performed.
 */
export function toOcsfEvent(line: ArchiveLine, provenance: ArchiveProvenance): OcsfEvent {
  const { mapping, fallback } = mappingFor(line.activity_type);
  const info = OCSF_CLASSES[mapping.class];
  const metadataValue = parseJson(line.metadata);
  const metadata = asRecord(metadataValue);
  const unmapped: Record<string, unknown> = {
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

  // The actor: OCSF user with the teammate id and e-mail; the e-mail only when OCSF's email_t accepts it.
  const actorUser: Record<string, unknown> = {};
  if (line.performed_by_id) actorUser.uid = line.performed_by_id;
  if (line.performed_by_email && EMAIL.test(line.performed_by_email)) actorUser.email_addr = line.performed_by_email;
  else if (line.performed_by_email) unmapped.performed_by_email = line.performed_by_email;
  if (line.performed_by_type) actorUser.type = line.performed_by_type;
  // user needs a name or uid (OCSF at_least_one); a type alone is not an identity.
  const hasActor = actorUser.uid !== undefined || actorUser.email_addr !== undefined;
  if (!hasActor && line.performed_by_type) unmapped.performed_by_type = line.performed_by_type;
  if (hasActor && actorUser.uid === undefined) actorUser.name = actorUser.email_addr;

  const ip = line.performed_by_ip && isIP(line.performed_by_ip) ? line.performed_by_ip : undefined;
  if (line.performed_by_ip && !ip) unmapped.performed_by_ip = line.performed_by_ip;
  // Account Change, Authentication and Web Resources Activity define src_endpoint; the other two do not.
  const classHasSrcEndpoint = mapping.class !== 'entity_management' && mapping.class !== 'user_access';
  if (ip && !classHasSrcEndpoint) unmapped.src_ip = ip;

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
    ...(hasActor && { actor: { user: actorUser } }),
    ...(ip && classHasSrcEndpoint && { src_endpoint: { ip } }),
    raw_data: line.source,
  };

  const target = mapping.target === 'actor' ? (hasActor ? actorUser : undefined) : metadataUser(metadata);
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
      event.privileges = [line.activity_type];
      break;
    case 'entity_management':
      event.entity = entityOf(mapping.entity ?? 'intercom_activity', line.activity_type, metadata);
      break;
    case 'web_resources_activity':
      event.web_resources = [entityOf(mapping.entity ?? 'intercom_data', line.activity_type, metadata)];
      break;
  }
  event.unmapped = unmapped;
  return event;
}

function entityOf(kind: string, activityType: string, metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  // The object Intercom names in metadata (e.g. metadata.message = { id, title }), where it names one.
  const named = asRecord(metadata?.[kind]) ?? asRecord(metadata?.[kind.replace(/_.*$/, '')]);
  const uid = text(named?.id);
  const name = text(named?.title) ?? text(named?.name);
  return { type: kind, name: name ?? activityType, ...(uid && { uid }) };
}

/** Security Lake source name per class (custom source names are at most 20 characters). */
export const DEFAULT_SOURCE_NAMES: Readonly<Record<OcsfClassName, string>> = {
  authentication: 'intercom_auth',
  account_change: 'intercom_account',
  entity_management: 'intercom_entity',
  user_access: 'intercom_access',
  web_resources_activity: 'intercom_webres',
};

export function classNameOf(classUid: number): OcsfClassName {
  const found = (Object.keys(OCSF_CLASSES) as OcsfClassName[]).find((name) => OCSF_CLASSES[name].uid === classUid);
  if (!found) throw new Error(`class_uid ${classUid} is not one the mapping produces`);
  return found;
}

/** The mapping as a Markdown table (one row per class and activity), as the README shows it; a test keeps them equal. */
export function ocsfMappingTable(): string {
  const rows = new Map<string, string[]>();
  for (const [type, m] of Object.entries(OCSF_TYPE_MAPPING)) {
    const info = OCSF_CLASSES[m.class];
    const id = `${info.uid}\u0000${String(m.activityId).padStart(2, '0')}\u0000${m.failure ? 'failure' : ''}`;
    rows.set(id, [...(rows.get(id) ?? []), type]);
  }
  const lines = ['| OCSF class | activity_id | status | Intercom activity types |', '|---|---|---|---|'];
  for (const [id, types] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [uid, activity, failure] = id.split('\u0000') as [string, string, string];
    const info = Object.values(OCSF_CLASSES).find((c) => String(c.uid) === uid)!;
    const activityId = Number(activity);
    lines.push(
      `| ${info.caption} (${uid}) | ${activityId} ${info.activities[activityId]} | ${failure ? 'Failure' : 'Success'} | ${types
        .sort()
        .map((t) => `\`${t}\``)
        .join(', ')} |`,
    );
  }
  const fb = OCSF_CLASSES[OCSF_FALLBACK.class];
  lines.push(
    `| ${fb.caption} (${fb.uid}) — **fallback** | 99 Other (activity_name = the type) | Success | any other type, e.g. one Intercom adds later |`,
  );
  return lines.join('\n');
}
