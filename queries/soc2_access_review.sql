-- title: SOC 2 quarterly access review
-- question: Which teammates had access in the period (the roster snapshot at period end, or the archive's history), which of them were dormant, when did each first and last act and last sign in, how often did their permissions and 2FA change, and were they deprovisioned?
-- control: SOC 2 CC6.2 and CC6.3 (periodic access review); ISO 27001 A.5.18
-- title_ja: SOC 2 四半期アクセスレビュー
-- question_ja: どのチームメイトがアクセス権を持っていましたか? それぞれ最初と最後の操作、最後のサインイン、権限変更の回数、休眠かどうか、アカウント停止の有無は?
-- control_ja: SOC 2 CC6.2 および CC6.3(定期的なアクセスレビュー)、ISO 27001 A.5.18
-- parameters: end_date, start_date, end_date, start_date, end_date
-- note: reads the archive's whole history up to the period end, to find dormant accounts.
WITH history AS (
  SELECT *
  FROM activity_logs
  WHERE dt <= ?
),
-- The newest roster snapshot inside the period, per workspace (saved daily from GET /admins).
latest AS (
  SELECT workspace, max(dt) AS dt
  FROM teammate_rosters
  WHERE dt BETWEEN ? AND ?
  GROUP BY workspace
),
roster AS (
  SELECT r.workspace, r.id AS teammate_id, r.email
  FROM teammate_rosters r
  JOIN latest l ON l.workspace = r.workspace AND l.dt = r.dt
),
subjects AS (
  SELECT workspace, performed_by_id AS teammate_id, performed_by_email AS email, created_at, dt, activity_type, 'actor' AS role
  FROM history
  WHERE performed_by_id IS NOT NULL
  UNION ALL
  SELECT workspace, json_extract_scalar(metadata, '$.teammate.id'), json_extract_scalar(metadata, '$.teammate.email'), created_at, dt, activity_type, 'subject'
  FROM history
  WHERE json_extract_scalar(metadata, '$.teammate.id') IS NOT NULL
    AND activity_type IN (/*group:permission_changes*/'admin_permission_change', 'role_change', 'role_creation', 'role_deletion', 'seat_change', 'seat_revoke', 'inbox_access_change', 'app_team_membership_modification', 'app_team_creation', 'app_team_deletion'/*end*/, /*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/, /*group:teammate_lifecycle*/'admin_invite_creation', 'admin_invite_change', 'admin_invite_deletion', 'app_admin_join', 'admin_provisioned', 'admin_deprovisioned', 'admin_deletion'/*end*/, /*group:security_settings*/'app_authentication_method_change', 'admin_two_factor_auth_change', 'app_google_sso_domain_change', 'app_identity_verification_change', 'trusted_domains_setting_change', 'security_settings_change', 'malicious_domains_setting_change', 'admin_unauthorized_sign_in_method', 'admin_password_reset_request', 'admin_password_reset_success'/*end*/)
),
marked AS (
  SELECT
    s.*,
    s.dt BETWEEN p.start_date AND p.end_date AS in_period,
    -- What makes a teammate part of the period's review (as before: acted, or had access changed).
    s.dt BETWEEN p.start_date AND p.end_date AND (s.role = 'actor' OR s.activity_type IN (/*group:permission_changes*/'admin_permission_change', 'role_change', 'role_creation', 'role_deletion', 'seat_change', 'seat_revoke', 'inbox_access_change', 'app_team_membership_modification', 'app_team_creation', 'app_team_deletion'/*end*/, /*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/)) AS mention
  FROM subjects s
  CROSS JOIN (SELECT ? AS start_date, ? AS end_date) p
),
people AS (
  SELECT
    workspace,
    teammate_id,
    max(CASE WHEN mention THEN email END) AS period_email,
    max(email) AS any_email,
    min(CASE WHEN role = 'actor' AND in_period THEN created_at END) AS first_activity,
    max(CASE WHEN role = 'actor' AND in_period THEN created_at END) AS last_activity,
    max(CASE WHEN role = 'actor' AND in_period AND activity_type IN (/*group:sign_ins*/'admin_login_success'/*end*/) THEN created_at END) AS last_sign_in,
    max(CASE WHEN role = 'actor' THEN created_at END) AS last_seen,
    count(CASE WHEN role = 'actor' AND in_period THEN 1 END) AS events,
    count(CASE WHEN role = 'subject' AND in_period AND activity_type IN (/*group:permission_changes*/'admin_permission_change', 'role_change', 'role_creation', 'role_deletion', 'seat_change', 'seat_revoke', 'inbox_access_change', 'app_team_membership_modification', 'app_team_creation', 'app_team_deletion'/*end*/) THEN 1 END) AS permission_changes,
    count(CASE WHEN in_period AND activity_type = 'admin_two_factor_auth_change' THEN 1 END) AS two_factor_changes,
    count(CASE WHEN role = 'subject' AND in_period AND activity_type IN (/*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/) THEN 1 END) AS deprovisionings,
    count(CASE WHEN mention THEN 1 END) AS mentions,
    max(CASE WHEN role = 'subject' AND NOT in_period AND activity_type IN (/*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/) THEN created_at END) AS removed_at,
    max(CASE WHEN NOT in_period AND (role = 'actor' OR activity_type IN ('app_admin_join', 'admin_provisioned')) THEN created_at END) AS present_at
  FROM marked
  GROUP BY workspace, teammate_id
),
population AS (
  SELECT
    COALESCE(p.workspace, r.workspace) AS workspace,
    COALESCE(p.teammate_id, r.teammate_id) AS teammate_id,
    COALESCE(p.period_email, r.email, p.any_email) AS teammate_email,
    p.first_activity,
    p.last_activity,
    p.last_sign_in,
    p.last_seen,
    COALESCE(p.events, 0) AS events,
    COALESCE(p.permission_changes, 0) AS permission_changes,
    COALESCE(p.two_factor_changes, 0) AS two_factor_changes,
    COALESCE(p.deprovisionings, 0) AS deprovisionings,
    COALESCE(p.mentions, 0) AS mentions,
    r.teammate_id IS NOT NULL AS in_roster,
    p.removed_at,
    p.present_at
  FROM people p
  FULL OUTER JOIN roster r ON r.workspace = p.workspace AND r.teammate_id = p.teammate_id
)
SELECT
  u.workspace,
  u.teammate_id,
  u.teammate_email,
  to_iso8601(from_unixtime(u.first_activity)) AS first_activity_utc,
  to_iso8601(from_unixtime(u.last_activity)) AS last_activity_utc,
  to_iso8601(from_unixtime(u.last_sign_in)) AS last_sign_in_utc,
  u.events,
  u.permission_changes,
  CASE WHEN u.deprovisionings > 0 THEN 'deprovisioned' ELSE 'active' END AS status,
  CASE WHEN u.events = 0 THEN 'yes' ELSE 'no' END AS dormant,
  to_iso8601(from_unixtime(u.last_seen)) AS last_seen_utc,
  u.two_factor_changes,
  CASE WHEN u.in_roster THEN 'roster' WHEN u.mentions > 0 THEN 'period activity' ELSE 'archive history' END AS basis
FROM population u
LEFT JOIN latest l ON l.workspace = u.workspace
WHERE u.mentions > 0
  OR u.in_roster
  -- Without a roster snapshot, everyone the archive's history knows and did not see removed.
  OR (l.workspace IS NULL AND (u.removed_at IS NULL OR u.present_at > u.removed_at))
ORDER BY u.workspace, u.teammate_email, u.teammate_id
