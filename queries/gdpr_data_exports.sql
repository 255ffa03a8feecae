-- title: GDPR data exports
-- question: Which teammate exported data out of Intercom in the period, when, from which IP, and what kind of export was it?
-- control: GDPR Art. 30 (records of processing) and Art. 32 (security of processing); SOC 2 CC6.1, CC7.2
-- parameters: start_date, end_date
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  performed_by_id AS teammate_id,
  performed_by_email AS teammate_email,
  performed_by_ip AS ip_address,
  activity_type,
  activity_description,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND activity_type IN (/*group:data_exports*/'app_data_export', 'bulk_export', 'conversation_pdf_export', 'macro_usage_export'/*end*/)
ORDER BY created_at, workspace, id
