-- title: Security settings changes
-- question: Who changed authentication methods, two-factor settings, SSO domains, identity verification, trusted or malicious domains, or other security settings in the period, from what to what?
-- control: SOC 2 CC6.1, CC6.6 and CC8.1 (change management of security configuration)
-- title_ja: セキュリティ設定の変更
-- question_ja: 対象期間に、誰が認証方式、二要素認証、SSO ドメイン、本人確認、信頼済みドメイン・悪意あるドメイン、その他のセキュリティ設定を、何から何に変更しましたか?
-- control_ja: SOC 2 CC6.1、CC6.6 および CC8.1(セキュリティ構成の変更管理)
-- parameters: start_date, end_date
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
  AND activity_type IN (/*group:security_settings*/'app_authentication_method_change', 'admin_two_factor_auth_change', 'app_google_sso_domain_change', 'app_identity_verification_change', 'trusted_domains_setting_change', 'security_settings_change', 'malicious_domains_setting_change', 'admin_unauthorized_sign_in_method', 'admin_password_reset_request', 'admin_password_reset_success'/*end*/)
ORDER BY created_at, workspace, id
