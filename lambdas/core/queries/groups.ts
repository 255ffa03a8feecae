/**
 * Activity-type groups, defined once. The canned queries carry these lists between
 * `/*group:<name>*\/` … `/*end*\/` markers, written by `npm run queries:generate`; a test fails
 * when a query file is not current. Unknown future types belong to no group until added here.
 */
export const ACTIVITY_GROUPS = {
  data_exports: ['app_data_export', 'bulk_export', 'conversation_pdf_export', 'macro_usage_export'],
  erasure_and_retention: [
    'app_data_deletion',
    'bulk_delete',
    'conversation_part_deletion',
    'message_deletion',
    'workspace_deletion_request',
    'content_redaction_rule_creation',
    'content_redaction_rule_update',
    'content_redaction_rule_deletion',
    'conversation_deletion_schedule_creation',
    'conversation_deletion_schedule_update',
    'conversation_deletion_schedule_state_change',
    'conversation_deletion_schedule_deletion',
  ],
  teammate_lifecycle: [
    'admin_invite_creation',
    'admin_invite_change',
    'admin_invite_deletion',
    'app_admin_join',
    'admin_provisioned',
    'admin_deprovisioned',
    'admin_deletion',
  ],
  permission_changes: [
    'admin_permission_change',
    'role_change',
    'role_creation',
    'role_deletion',
    'seat_change',
    'seat_revoke',
    'inbox_access_change',
    'app_team_membership_modification',
    'app_team_creation',
    'app_team_deletion',
  ],
  security_settings: [
    'app_authentication_method_change',
    'admin_two_factor_auth_change',
    'app_google_sso_domain_change',
    'app_identity_verification_change',
    'trusted_domains_setting_change',
    'security_settings_change',
    'malicious_domains_setting_change',
    'admin_unauthorized_sign_in_method',
    'admin_password_reset_request',
    'admin_password_reset_success',
  ],
  staff_impersonation: [
    'admin_impersonation_start',
    'admin_impersonation_end',
    'admin_impersonation_consent_approved',
    'admin_impersonation_consent_revoked',
  ],
  credentials_and_integrations: [
    'app_package_installation',
    'app_package_uninstallation',
    'app_package_token_regeneration',
    'app_webhook_creation',
    'app_webhook_deletion',
    'messenger_api_secret_creation',
    'messenger_api_secret_deletion',
    'custom_authentication_token_creation',
    'oauth_token_revocation',
  ],
  deprovisioning: ['admin_deprovisioned', 'admin_deletion'],
  sign_ins: ['admin_login_success'],
  failed_sign_ins: ['admin_login_failure'],
} as const satisfies Record<string, readonly string[]>;

export type ActivityGroup = keyof typeof ACTIVITY_GROUPS;

const MARKER = /\/\*group:([a-z_]+)\*\/[\s\S]*?\/\*end\*\//g;

/** Rewrites every group marker in `sql` with the current list. Throws on an unknown group name. */
export function applyGroups(sql: string): string {
  return sql.replace(MARKER, (_match, name: string) => {
    const list = (ACTIVITY_GROUPS as Record<string, readonly string[]>)[name];
    if (!list) throw new Error(`unknown activity group '${name}' in a query (known: ${Object.keys(ACTIVITY_GROUPS).join(', ')})`);
    return `/*group:${name}*/${list.map((t) => `'${t}'`).join(', ')}/*end*/`;
  });
}
