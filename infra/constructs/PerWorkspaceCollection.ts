/**
 * One collector invocation per workspace, serialised per workspace and parallel across them:
 * each workspace has its own schedule rule that sends `{"workspace":"<id>"}` to an SQS FIFO
 * queue with the workspace id as message group. Lambda reads a FIFO queue one message group at
 * a time, so two runs of one workspace never overlap, while a backfilling or failing workspace
 * holds only its own group. The create-only manifest key stays the last guard (a race loses 412).
 * Each workspace gets its own failure and lag alarms naming its id.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { workspaceMetricName } from '../../lambdas/handlers/collectorQueue.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../lambdas/handlers/constants.ts';
import { acknowledge } from '../acknowledge.ts';
import { type DeployConfig, scheduleSeconds } from '../config.ts';
import { pinStateful } from '../statefulLogicalIds.ts';

export interface PerWorkspaceCollectionProps {
  /** Workspaces, schedule, collector timeout and `staleAfterIntervals` come from the deploy config. */
  readonly config: DeployConfig;
  /** The archive key: the queues are encrypted with it (EventBridge and the collector already use it). */
  readonly key: kms.IKey;
  readonly collector: lambda.IFunction;
  /** Where a schedule that cannot deliver its message goes. */
  readonly scheduleDeadLetters: sqs.IQueue;
  readonly alarmTopic: sns.ITopic;
}

export class PerWorkspaceCollection extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PerWorkspaceCollectionProps) {
    super(scope, id);
    const { config } = props;
    const timeout = Duration.minutes(config.collectorTimeoutMinutes);
    const interval = Duration.seconds(Math.max(300, scheduleSeconds(config.schedule)));
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      fifo: true,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Runs', {
      fifo: true,
      // A schedule's message for a workspace is sent once per interval; a duplicate within 5 minutes is one run.
      contentBasedDeduplication: true,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      visibilityTimeout: timeout.plus(Duration.minutes(1)),
      // A message older than two intervals is stale: the next schedule's message continues from the checkpoint.
      retentionPeriod: Duration.seconds(Math.max(60, interval.toSeconds() * 2)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });
    pinStateful(this.deadLetterQueue, 'perWorkspaceDeadLetters');
    acknowledge(this.deadLetterQueue, {
      'cdk-validator-cfnguard::sqs_dlq_check': 'This queue is itself the dead-letter destination of the per-workspace run queue.',
    });
    pinStateful(this.queue, 'perWorkspaceRuns');
    props.collector.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));
    for (const workspace of config.workspaces) this.#workspace(props, workspace.id, interval);
  }

  #workspace(props: PerWorkspaceCollectionProps, workspaceId: string, interval: Duration): void {
    const scope = new Construct(this, `Workspace-${workspaceId}`);
    new events.Rule(scope, 'Schedule', {
      schedule: events.Schedule.expression(props.config.schedule),
      description: `Runs the Intercom audit archive collector for workspace ${workspaceId}`,
    }).addTarget(
      new targets.SqsQueue(this.queue, {
        messageGroupId: workspaceId,
        message: events.RuleTargetInput.fromObject({ workspace: workspaceId }),
        // No retries: the next scheduled run continues from the checkpoint.
        retryAttempts: 0,
        deadLetterQueue: props.scheduleDeadLetters,
        maxEventAge: Duration.minutes(10),
      }),
    );
    const metric = (base: 'failures' | 'lagSeconds', statistic: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: workspaceMetricName(base, workspaceId),
        dimensionsMap: { service: SERVICE_NAMES.collector },
        statistic,
        period: interval,
      });
    const alarms = [
      new cloudwatch.Alarm(scope, 'Failures', {
        alarmDescription: `Collecting workspace ${workspaceId} failed (see the collector's logs for workspace ${workspaceId}); other workspaces are not delayed`,
        metric: metric('failures', 'Sum'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(scope, 'Behind', {
        alarmDescription: `Workspace ${workspaceId}'s archive is more than ${props.config.staleAfterIntervals} schedule intervals behind (backfilling, or its runs do not finish)`,
        metric: metric('lagSeconds', 'Minimum'),
        threshold: interval.toSeconds() * props.config.staleAfterIntervals,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
  }
}
