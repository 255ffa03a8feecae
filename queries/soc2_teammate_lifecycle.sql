-- title: SOC 2 teammate lifecycle
-- question: Who was invited, joined, was provisioned, deprovisioned or deleted in the period; how long from invite to join, and how long a leaver's access outlived their last activity?
-- control: SOC 2 CC6.2 (registration and authorization of new users) and CC6.3 (removal of access)
-- title_ja: SOC 2 チームメイトのライフサイクル
-- question_ja: 対象期間に誰が招待、参加、プロビジョニング、プロビジョニング解除、削除されましたか? 招待から参加までの時間と、退職者のアクセスが最後の操作の後どれだけ残ったかは?
-- control_ja: SOC 2 CC6.2(新規ユーザーの登録と承認)および CC6.3(アクセスの削除)
-- parameters: start_date, end_date, start_date, end_date
-- lookback_days: 90
WITH history AS (
  -- The 90 days before the period are read too, so an invite sent before the quarter still counts.
  SELECT
    id,
    workspace,
    created_at,
    activity_type,
    activity_description,
    performed_by_id,
    performed_by_email,
    lower(COALESCE(
      json_extract_scalar(metadata, '$.invitee_email'),
      json_extract_scalar(metadata, '$.teammate.email'),
      CASE WHEN activity_type = 'app_admin_join' THEN performed_by_email END
    )) AS subject_email,
    lower(performed_by_email) AS actor_email,
    dt
  FROM activity_logs
  WHERE dt BETWEEN CAST(CAST(CAST(? AS date) - INTERVAL '90' DAY AS date) AS varchar) AND ?
),
timeline AS (
  SELECT
    *,
    max(CASE WHEN activity_type = 'admin_invite_creation' THEN created_at END)
      OVER (PARTITION BY workspace, subject_email ORDER BY created_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_invite_at
  FROM history
  WHERE activity_type IN (/*group:teammate_lifecycle*/'admin_invite_creation', 'admin_invite_change', 'admin_invite_deletion', 'app_admin_join', 'admin_provisioned', 'admin_deprovisioned', 'admin_deletion'/*end*/)
),
last_activity AS (
  SELECT h.workspace, h.actor_email, h.created_at
  FROM history h
)
SELECT
  to_iso8601(from_unixtime(t.created_at)) AS time_utc,
  t.workspace,
  t.activity_type,
  t.subject_email AS teammate_email,
  t.performed_by_id AS actor_id,
  t.performed_by_email AS actor_email,
  CASE WHEN t.activity_type = 'app_admin_join' AND t.last_invite_at IS NOT NULL
    THEN round((t.created_at - t.last_invite_at) / 3600.0, 1) END AS invite_to_join_hours,
  CASE WHEN t.activity_type IN (/*group:deprovisioning*/'admin_deprovisioned', 'admin_deletion'/*end*/)
    THEN round((t.created_at - (
      SELECT max(a.created_at) FROM last_activity a
      WHERE a.workspace = t.workspace AND a.actor_email = t.subject_email AND a.created_at < t.created_at
    )) / 3600.0, 1) END AS hours_since_last_activity,
  t.activity_description,
  t.id
FROM timeline t
WHERE t.dt BETWEEN ? AND ?
ORDER BY t.created_at, t.workspace, t.id
