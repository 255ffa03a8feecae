-- title: Credentials and integrations
-- question: Which apps were installed or removed, which tokens were regenerated or revoked, and which webhooks and API secrets were created or deleted in the period, and by whom?
-- control: SOC 2 CC6.1 and CC6.8 (credentials and software); GDPR Art. 28 (sub-processors)
-- title_ja: 認証情報と連携
-- question_ja: 対象期間に、どのアプリがインストールまたは削除され、どのトークンが再発行または失効され、どの Webhook と API シークレットが作成または削除されましたか? 誰が行いましたか?
-- control_ja: SOC 2 CC6.1 および CC6.8(認証情報とソフトウェア)、GDPR 第28条(再委託先)
-- parameters: start_date, end_date
SELECT
  to_iso8601(from_unixtime(created_at)) AS time_utc,
  workspace,
  activity_type,
  performed_by_id AS actor_id,
  performed_by_email AS actor_email,
  performed_by_ip AS ip_address,
  metadata,
  activity_description,
  id
FROM activity_logs
WHERE dt BETWEEN ? AND ?
  AND activity_type IN (/*group:credentials_and_integrations*/'app_package_installation', 'app_package_uninstallation', 'app_package_token_regeneration', 'app_webhook_creation', 'app_webhook_deletion', 'messenger_api_secret_creation', 'messenger_api_secret_deletion', 'custom_authentication_token_creation', 'oauth_token_revocation'/*end*/)
ORDER BY created_at, workspace, id
