-- title: Activity summary by actor kind
-- question: How many events did each kind of actor (performed_by_type) perform in each month of the period?
-- control: SOC 2 CC7.2 (monitoring) and CC4.1 (evaluation of controls); GDPR Art. 30
-- title_ja: 実行者の種類ごとの件数
-- question_ja: 対象期間の各月に、実行者の種類(performed_by_type)ごとに何件の操作がありましたか?
-- control_ja: SOC 2 CC7.2(監視)および CC4.1(統制の評価)、GDPR 第30条
-- parameters: start_date, end_date
SELECT substr(dt, 1, 7) AS month, workspace, COALESCE(performed_by_type, '(none)') AS performed_by_type, count(*) AS events
FROM activity_logs
WHERE dt BETWEEN ? AND ?
GROUP BY substr(dt, 1, 7), workspace, COALESCE(performed_by_type, '(none)')
ORDER BY month, workspace, performed_by_type
