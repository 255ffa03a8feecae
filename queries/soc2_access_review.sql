-- title: SOC 2 quarterly access review
-- question: Which teammates were active in the period, when did each first and last act and last sign in, how often did their permissions change, and were they deprovisioned?
-- control: SOC 2 CC6.2 and CC6.3 (periodic access review); ISO 27001 A.5.18
-- title_ja: SOC 2 四半期アクセスレビュー
-- question_ja: どのチームメイトがアクセス権を持っていましたか? それぞれ最初と最後の操作、最後のサインイン、権限変更の回数、休眠かどうか、アカウント停止の有無は?
-- control_ja: SOC 2 CC6.2 および CC6.3(定期的なアクセスレビュー)、ISO 27001 A.5.18
-- parameters: start_date, end_date
WITH period AS (
  SELECT *
  FROM activity_logs
  WHERE dt BETWEEN ? AND ?
),
subjects AS (
  SELECT workspace, performed_by_id AS teammate_id, performed_by_email AS email, created_at, activity_type, 'actor' AS role
  FROM period
  WHERE performed_by_id IS NOT NULL
  UNION ALL
  SELECT workspace, json_extract_scalar(metadata, '$.teammate.id'), json_extract_scalar(metadata, '$.teammate.email'), created_at, activity_type, 'subject'
  FROM period
  WHERE json_extract_scalar(metadata, '$.teammate.id') IS NOT NULL
    AND activity_type IN (/*group:permission_changes*/'admin_permission_change', 'role_change', 'role_creation', 'role_deletion', 'seat_change', 'seat_revoke', 'inbox_access_change', 'app_team_membership_modification', 'app_team_creation', 'app_team_deletion'/*end*/, /*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/)
)
SELECT
  workspace,
  teammate_id,
  max(email) AS teammate_email,
  to_iso8601(from_unixtime(min(CASE WHEN role = 'actor' THEN created_at END))) AS first_activity_utc,
  to_iso8601(from_unixtime(max(CASE WHEN role = 'actor' THEN created_at END))) AS last_activity_utc,
  to_iso8601(from_unixtime(max(CASE WHEN role = 'actor' AND activity_type IN (/*group:sign_ins*/'admin_login_success'/*end*/) THEN created_at END))) AS last_sign_in_utc,
  count(CASE WHEN role = 'actor' THEN 1 END) AS events,
  count(CASE WHEN role = 'subject' AND activity_type IN (/*group:permission_changes*/'admin_permission_change', 'role_change', 'role_creation', 'role_deletion', 'seat_change', 'seat_revoke', 'inbox_access_change', 'app_team_membership_modification', 'app_team_creation', 'app_team_deletion'/*end*/) THEN 1 END) AS permission_changes,
  CASE WHEN count(CASE WHEN role = 'subject' AND activity_type IN (/*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/) THEN 1 END) > 0
    THEN 'deprovisioned' ELSE 'active' END AS status
FROM subjects
GROUP BY workspace, teammate_id
ORDER BY workspace, teammate_email, teammate_id
