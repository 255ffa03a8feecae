-- title: Activity summary
-- question: How many events of each type happened in each month of the period, and how many by each kind of actor?
-- control: SOC 2 CC7.2 (monitoring) and CC4.1 (evaluation of controls); GDPR Art. 30
-- parameters: start_date, end_date, start_date, end_date
SELECT 'activity_type' AS dimension, substr(dt, 1, 7) AS month, workspace, activity_type AS value, count(*) AS events
FROM activity_logs
WHERE dt BETWEEN ? AND ?
GROUP BY substr(dt, 1, 7), workspace, activity_type
UNION ALL
SELECT 'performed_by_type' AS dimension, substr(dt, 1, 7) AS month, workspace, COALESCE(performed_by_type, '(none)') AS value, count(*) AS events
FROM activity_logs
WHERE dt BETWEEN ? AND ?
GROUP BY substr(dt, 1, 7), workspace, COALESCE(performed_by_type, '(none)')
ORDER BY dimension, month, workspace, value
