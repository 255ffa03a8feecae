/** Alarms on the collector's health and on failed invocations of any function, to the alarm topic. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { COLLECTOR_METRICS } from '../../lambdas/environment.ts';
import { type DeployConfig, scheduleSeconds } from '../config.ts';
import { StackSection } from '../SectionedStack.ts';
import { alarmOn, collectorMetric } from './alarm.ts';

export interface OperationalAlarmsProps {
  readonly config: DeployConfig;
  readonly topic: sns.ITopic;
  readonly failures: sqs.IQueue;
  readonly scheduleDeadLetters: sqs.IQueue;
  /** The collector's errors, staleness and quarantine are watched when given. @default - only failed invocations */
  readonly collector?: lambda.IFunction;
}

export class OperationalAlarms extends StackSection {
  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const { config, topic } = props;
    const interval = Duration.seconds(Math.max(300, scheduleSeconds(config.schedule)));
    if (props.collector) {
      alarmOn(this, 'CollectorErrors', {
        description: 'The collector failed (see its logs; a configuration error such as a missing token does not fix itself)',
        metric: props.collector.metricErrors({ period: interval }),
        topic,
      });
      alarmOn(this, 'ArchiveStale', {
        description: `No window was archived for ${config.staleAfterIntervals} schedule intervals: the archive is falling behind`,
        metric: collectorMetric(COLLECTOR_METRICS.windowsClosed, 'Sum', interval),
        evaluationPeriods: config.staleAfterIntervals,
        when: 'below',
        topic,
      });
      alarmOn(this, 'EntriesQuarantined', {
        description: 'Intercom served entries that failed validation; they are kept under quarantine/ and need a look',
        metric: collectorMetric(COLLECTOR_METRICS.entriesQuarantined, 'Sum', interval),
        topic,
      });
    }
    alarmOn(this, 'FailedInvocations', {
      description: props.collector
        ? 'A collector invocation failed or could not be delivered (failure destination or schedule dead-letter queue)'
        : 'A reporter or export invocation failed or could not be delivered (failure destination or schedule dead-letter queue)',
      metric: new cloudwatch.MathExpression({
        expression: 'f + d',
        usingMetrics: {
          f: props.failures.metricApproximateNumberOfMessagesVisible({ period: interval }),
          d: props.scheduleDeadLetters.metricApproximateNumberOfMessagesVisible({ period: interval }),
        },
        period: interval,
      }),
      topic,
    });
  }
}
