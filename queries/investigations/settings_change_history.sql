-- title: Settings change history
-- question: Who changed which configuration in the period — any activity type that records a change or a setting, inside the compliance groups or not — and from what to what, newest first?
-- control: Investigation (SOC 2 CC8.1 change management; CC6.1 configuration of logical access)
-- parameters: start_date, end_date
-- A configuration change: a type whose name says change or setting, or any entry whose metadata
-- has a before or an after value. A teammate's own status (away mode, occupancy) is not one.
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  activity_type,
  performed_by_id AS actor_id,
  performed_by_email AS actor_email,
  performed_by_ip AS ip_address,
  COALESCE(json_extract_scalar(metadata, '$.before'), json_format(json_extract(metadata, '$.before'))) AS before_value,
  COALESCE(json_extract_scalar(metadata, '$.after'), json_format(json_extract(metadata, '$.after'))) AS after_value,
  activity_description,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND (
    activity_type LIKE '%change%'
    OR activity_type LIKE '%setting%'
    OR json_extract(metadata, '$.before') IS NOT NULL
    OR json_extract(metadata, '$.after') IS NOT NULL
  )
  AND activity_type NOT IN ('admin_away_mode_change', 'admin_occupancy_state_change')
ORDER BY created_at DESC, workspace DESC, id DESC
