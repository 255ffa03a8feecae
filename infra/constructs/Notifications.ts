/**
 * Where operators hear about trouble: the encrypted alarm topic (e-mailed when alarmEmail is
 * set), the failure destination of the functions, and the dead-letter queue of their schedules.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.ts';
import { StackSection } from '../SectionedStack.ts';
import { type StatefulResource, pinStateful } from '../statefulLogicalIds.ts';

export interface NotificationsProps {
  readonly key: kms.IKey;
  /** Subscribed to the alarm topic. @default - no subscriber */
  readonly alarmEmail?: string;
}

export class Notifications extends StackSection {
  readonly alarmTopic: sns.Topic;
  /** Failed function invocations (the FailedInvocations alarm reads it). */
  readonly failures: sqs.Queue;
  /** Schedule deliveries that could not invoke their function. */
  readonly scheduleDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      masterKey: props.key,
      enforceSSL: true,
      displayName: 'Intercom audit archive alarms',
    });
    pinStateful(this.alarmTopic, 'alarmTopic');
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.failures = this.deadLetterQueue('CollectorFailures', props.key, 'collectorFailures');
    this.scheduleDeadLetters = this.deadLetterQueue('ScheduleDeadLetters', props.key, 'scheduleDeadLetters');
  }

  private deadLetterQueue(id: string, key: kms.IKey, pin: StatefulResource): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    pinStateful(queue, pin);
    acknowledge(queue, {
      'AwsSolutions-SQS3': 'This queue is itself the dead-letter destination for failed collector runs.',
      'cdk-validator-cfnguard::sqs_dlq_check': 'This queue is itself the dead-letter destination for failed collector runs.',
    });
    return queue;
  }
}
