/**
 * The optional SIEM feed (`siemFeed: true`): an SNS topic the collector publishes to after each
 * window's manifest is signed — one S3-event-notification-shaped message per part the manifest
 * lists — and an SQS queue subscribed to it (raw message delivery, so each message body is the
 * S3 event notification itself), with a dead-letter queue. Everything is encrypted with the
 * archive key. A plain bucket notification is deliberately not used: it would announce any
 * object put into the bucket, planted or rejected ones included.
 */
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface SiemFeedProps {
  /** Encrypts the topic and both queues (the archive key: SIEM readers decrypt parts with it anyway). */
  readonly key: kms.IKey;
  /** The collector's role: the only publisher. */
  readonly publisher: iam.IRole;
  readonly archiveBucket: s3.IBucket;
  /** Where the dead-letter alarm goes. */
  readonly alarmTopic: sns.ITopic;
  /**
   * How long a SIEM reader has to fetch a part before the message is visible again.
   * @default Duration.minutes(5) - long enough to fetch an 8 MiB part; a longer one delays redelivery after a reader crashes, a shorter one risks a second reader fetching the same part
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5 - lower moves a part aside after fewer failed reads; higher keeps retrying a broken one
   */
  readonly maxReceiveCount?: number;
}

export class SiemFeed extends Construct {
  readonly topic: sns.Topic;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** Attach to the Splunk or Datadog reader role: read the queue, the listed parts, and decrypt. */
  readonly readerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SiemFeedProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      masterKey: props.key,
      enforceSSL: true,
      displayName: 'Intercom audit archive SIEM feed (signed, listed parts only)',
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const id of ['AwsSolutions-SQS3', 'cdk-validator-cfnguard::sqs_dlq_check'])
      Validations.of(this.deadLetterQueue).acknowledge({
        id,
        reason: 'This queue is itself the dead-letter queue of the SIEM feed queue.',
      });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout ?? Duration.minutes(5),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    this.topic.addSubscription(new subscriptions.SqsSubscription(this.queue, { rawMessageDelivery: true }));
    // Written by hand (not topic.grantPublish): sns:Publish on this topic only; the collector already holds the key.
    props.publisher.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PublishSiemFeed', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );

    this.readerPolicy = new iam.ManagedPolicy(this, 'ReaderPolicy', {
      description: 'SIEM reader (Splunk SQS-based S3 input, Datadog Forwarder): read the feed queue and the archived parts it announces',
      statements: [
        new iam.PolicyStatement({
          sid: 'FeedQueue',
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          resources: [this.queue.queueArn, this.deadLetterQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: 'ListedParts',
          actions: ['s3:GetObject'],
          resources: [props.archiveBucket.arnForObjects('activity_logs/*')],
        }),
        new iam.PolicyStatement({ sid: 'Decrypt', actions: ['kms:Decrypt'], resources: [props.key.keyArn] }),
      ],
    });
    const bucketId = Stack.of(this).resolve(
      (props.archiveBucket.node.defaultChild as unknown as { logicalId: string }).logicalId,
    ) as string;
    Validations.of(this.readerPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/activity_logs/*]`,
      reason: 'The reader fetches whichever part a message names; the wildcard covers the data prefix only.',
    });

    new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'SIEM feed messages reached the dead-letter queue: a reader could not fetch the parts they announce',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cwActions.SnsAction(props.alarmTopic));

    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'SIEM feed topic (subscribe the Datadog Forwarder here)' });
    new CfnOutput(this, 'QueueUrl', {
      value: this.queue.queueUrl,
      description: 'SIEM feed queue (the Splunk SQS-based S3 input reads it)',
    });
    new CfnOutput(this, 'ReaderPolicyArn', { value: this.readerPolicy.managedPolicyArn, description: 'Attach to the SIEM reader role' });
  }
}
