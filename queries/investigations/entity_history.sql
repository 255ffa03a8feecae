-- title: Entity history
-- question: Which events in the period mention one id (a contact, teammate, conversation or other object) in their metadata, newest first?
-- control: Investigation (GDPR Art. 15 and 16 requests: who touched a person's data; SOC 2 CC7.3)
-- parameters: start_date, end_date, entity_id
-- A text match on the metadata JSON: id 123 also matches 1234 or a value that merely contains it;
-- check each row's metadata before drawing a conclusion.
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  activity_type,
  performed_by_id AS actor_id,
  performed_by_email AS actor_email,
  activity_description,
  metadata,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND strpos(COALESCE(metadata, ''), ?) > 0
ORDER BY created_at DESC, workspace DESC, id DESC
