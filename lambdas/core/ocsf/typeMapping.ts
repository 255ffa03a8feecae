/**
 * Which OCSF class and activity each Intercom activity type maps to, defined once and versioned.
 * Unknown and future types take OCSF_FALLBACK (Entity Management, activity 99 "Other").
 */
import { OCSF_CLASSES, type OcsfClassName } from './ocsfClasses.ts';

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
