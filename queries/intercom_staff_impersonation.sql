-- title: Intercom staff impersonation
-- question: When did Intercom staff impersonate a teammate, under which consent, and who approved or revoked that consent?
-- control: SOC 2 CC6.1 and CC9.2 (third-party/vendor access); GDPR Art. 28 (processor access)
-- title_ja: Intercom スタッフによる代理ログイン
-- question_ja: Intercom のスタッフがいつ、どの同意に基づいてチームメイトとして代理ログインし、誰がその同意を承認または取り消しましたか?
-- control_ja: SOC 2 CC6.1 および CC9.2(第三者・委託先のアクセス)、GDPR 第28条(処理者のアクセス)
-- parameters: start_date, end_date
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  activity_type,
  performed_by_id AS teammate_id,
  performed_by_email AS teammate_email,
  performed_by_ip AS ip_address,
  json_extract_scalar(metadata, '$.consent_id') AS consent_id,
  json_extract_scalar(metadata, '$.reason') AS reason,
  json_extract_scalar(metadata, '$.expired_at') AS consent_expires_at,
  activity_description,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND activity_type IN (/*group:staff_impersonation*/'admin_impersonation_start', 'admin_impersonation_end', 'admin_impersonation_consent_approved', 'admin_impersonation_consent_revoked'/*end*/)
ORDER BY created_at, workspace, id
