/** Every alarm of the app from one helper: the shape is the same, only metric and threshold differ. */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../lambdas/handlers/constants.ts';

export interface AlarmOnProps {
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly topic: sns.ITopic;
  /** @default 1 */
  readonly threshold?: number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** `below`: fires when the metric drops under the threshold, and when it is missing (nothing happened). @default 'atLeast' */
  readonly when?: 'atLeast' | 'below';
}

/** An alarm notifying `topic`: at or above the threshold (missing data is fine), or below it (missing data breaches). */
export function alarmOn(scope: Construct, id: string, props: AlarmOnProps): cloudwatch.Alarm {
  const below = props.when === 'below';
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: props.threshold ?? 1,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    comparisonOperator: below
      ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
      : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: below ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cwActions.SnsAction(props.topic));
  return alarm;
}

/** A metric the collector publishes (Powertools, dimension service=collector). */
export function collectorMetric(metricName: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAMES.collector },
    statistic,
    period,
  });
}
