-- title: GDPR data exports
-- question: Which teammate exported data out of Intercom in the period, when, from which IP, and what kind of export was it (type, scope, record count and the entry's metadata as served)?
-- control: GDPR Art. 30 (records of processing) and Art. 32 (security of processing); SOC 2 CC6.1, CC7.2
-- title_ja: GDPR データエクスポート
-- question_ja: 対象期間に、どのチームメイトが、いつ、どの IP アドレスから、どの種類のデータを Intercom からエクスポートしましたか?
-- control_ja: GDPR 第30条(処理活動の記録)および第32条(処理の安全性)、SOC 2 CC6.1、CC7.2
-- parameters: start_date, end_date
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  performed_by_id AS teammate_id,
  performed_by_email AS teammate_email,
  performed_by_ip AS ip_address,
  activity_type,
  -- What was exported, where the entry's metadata says (field names vary by export type).
  COALESCE(json_extract_scalar(metadata, '$.export_type'), json_extract_scalar(metadata, '$.type')) AS export_type,
  COALESCE(json_extract_scalar(metadata, '$.scope'), json_extract_scalar(metadata, '$.export_scope')) AS export_scope,
  COALESCE(json_extract_scalar(metadata, '$.record_count'), json_extract_scalar(metadata, '$.count')) AS record_count,
  metadata AS metadata_json,
  activity_description,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND activity_type IN (/*group:data_exports*/'app_data_export', 'bulk_export', 'conversation_pdf_export', 'macro_usage_export'/*end*/)
ORDER BY created_at, workspace, id
