-- title: Sign-in anomalies
-- question: Which sign-ins failed in the period, and which successful sign-ins came from an IP address not seen for that teammate in the 90 days before?
-- control: SOC 2 CC6.1 and CC7.2 (monitoring for anomalies); GDPR Art. 32
-- title_ja: サインインの異常
-- question_ja: 対象期間に失敗したサインインはどれですか? また、成功したサインインのうち、そのチームメイトが直前 90 日間に使っていない IP アドレスからのものはどれですか?
-- control_ja: SOC 2 CC6.1 および CC7.2(異常の監視)、GDPR 第32条
-- parameters: start_date, end_date, start_date, end_date
-- lookback_days: 90
-- note: reads 90 days before the period by design, to know which addresses each teammate used.
WITH history AS (
  SELECT
    id, workspace, created_at, activity_type, performed_by_id, performed_by_email, performed_by_ip, dt,
    -- Earlier events of the same teammate from the same address within the 90 days before.
    count(*) OVER (
      PARTITION BY workspace, performed_by_id, performed_by_ip
      ORDER BY created_at
      RANGE BETWEEN 7776000 PRECEDING AND 1 PRECEDING
    ) AS seen_in_90_days
  FROM activity_logs
  WHERE dt BETWEEN CAST(CAST(CAST(? AS date) - INTERVAL '90' DAY AS date) AS varchar) AND ?
)
SELECT
  to_iso8601(from_unixtime(s.created_at)) AS time_utc,
  s.workspace,
  CASE WHEN s.activity_type IN (/*group:failed_sign_ins*/'admin_login_failure'/*end*/) THEN 'failed_sign_in' ELSE 'new_ip_address' END AS anomaly,
  s.performed_by_id AS teammate_id,
  s.performed_by_email AS teammate_email,
  s.performed_by_ip AS ip_address,
  s.activity_type,
  s.id
FROM history s
WHERE s.dt BETWEEN ? AND ?
  AND (
    s.activity_type IN (/*group:failed_sign_ins*/'admin_login_failure'/*end*/)
    OR (
      s.activity_type IN (/*group:sign_ins*/'admin_login_success'/*end*/)
      AND s.performed_by_ip IS NOT NULL
      AND (s.seen_in_90_days = 0 OR s.performed_by_id IS NULL)
    )
  )
ORDER BY s.created_at, s.workspace, s.id
