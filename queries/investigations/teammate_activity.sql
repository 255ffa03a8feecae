-- title: Teammate activity
-- question: What did one teammate (by id or e-mail address) do in the period, newest first?
-- control: Investigation (SOC 2 CC7.3 evaluation of security events; GDPR Art. 33 breach assessment)
-- parameters: start_date, end_date, teammate, teammate
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  activity_type,
  performed_by_id AS actor_id,
  performed_by_email AS actor_email,
  performed_by_ip AS ip_address,
  activity_description,
  metadata,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  -- The teammate as an id, or as an e-mail address compared without case.
  AND (performed_by_id = ? OR lower(performed_by_email) = lower(?))
ORDER BY created_at DESC, workspace DESC, id DESC
