-- title: Activity summary by type
-- question: How many events of each activity type happened in each month of the period?
-- control: SOC 2 CC7.2 (monitoring) and CC4.1 (evaluation of controls); GDPR Art. 30
-- title_ja: 操作種別ごとの件数
-- question_ja: 対象期間の各月に、操作種別ごとに何件の操作がありましたか?
-- control_ja: SOC 2 CC7.2(監視)および CC4.1(統制の評価)、GDPR 第30条
-- parameters: start_date, end_date
SELECT substr(dt, 1, 7) AS month, workspace, activity_type, count(*) AS events
FROM activity_logs
WHERE dt BETWEEN ? AND ?
GROUP BY substr(dt, 1, 7), workspace, activity_type
ORDER BY month, workspace, activity_type
