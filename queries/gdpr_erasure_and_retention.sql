-- title: GDPR erasure and retention
-- question: What was deleted or redacted in the period, and who created, changed or removed deletion schedules and redaction rules?
-- control: GDPR Art. 17 (right to erasure) and Art. 5(1)(e) (storage limitation); SOC 2 C1.2
-- title_ja: GDPR 消去と保持
-- question_ja: 対象期間に何が削除または墨消しされ、誰が削除スケジュールと墨消しルールを作成、変更、削除しましたか?
-- control_ja: GDPR 第17条(消去の権利)および第5条1項(e)(保存の制限)、SOC 2 C1.2
-- parameters: start_date, end_date
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  performed_by_id AS teammate_id,
  performed_by_email AS teammate_email,
  activity_type,
  activity_description,
  metadata,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND activity_type IN (/*group:erasure_and_retention*/'app_data_deletion', 'bulk_delete', 'conversation_part_deletion', 'message_deletion', 'workspace_deletion_request', 'content_redaction_rule_creation', 'content_redaction_rule_update', 'content_redaction_rule_deletion', 'conversation_deletion_schedule_creation', 'conversation_deletion_schedule_update', 'conversation_deletion_schedule_state_change', 'conversation_deletion_schedule_deletion'/*end*/)
ORDER BY created_at, workspace, id
