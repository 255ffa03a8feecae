-- title: SOC 2 permission changes
-- question: Which permission, role, seat, inbox-access and team-membership changes were made in the period, by whom, to whom, from what to what?
-- control: SOC 2 CC6.1 (logical access) and CC6.3 (modification of access)
-- title_ja: SOC 2 権限変更
-- question_ja: 対象期間に、どの権限、ロール、シート、受信箱アクセス、チーム所属の変更が、誰によって、誰に対して、何から何に行われましたか?
-- control_ja: SOC 2 CC6.1(論理アクセス)および CC6.3(アクセスの変更)
-- parameters: start_date, end_date
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  activity_type,
  performed_by_id AS actor_id,
  performed_by_email AS actor_email,
  json_extract_scalar(metadata, '$.teammate.id') AS subject_id,
  json_extract_scalar(metadata, '$.teammate.email') AS subject_email,
  COALESCE(json_extract_scalar(metadata, '$.before'), json_format(json_extract(metadata, '$.before'))) AS before_value,
  COALESCE(json_extract_scalar(metadata, '$.after'), json_format(json_extract(metadata, '$.after'))) AS after_value,
  activity_description,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND activity_type IN (/*group:permission_changes*/'admin_permission_change', 'role_change', 'role_creation', 'role_deletion', 'seat_change', 'seat_revoke', 'inbox_access_change', 'app_team_membership_modification', 'app_team_creation', 'app_team_deletion'/*end*/)
ORDER BY created_at, workspace, id
