/**
 * Alarms on every administrative change that could alter or hide the archive's history: the
 * CloudTrail record of the API call (EventBridge "AWS API Call via CloudTrail") goes to the
 * alarm topic, naming the caller. Needs a trail recording management events; the legal-hold
 * calls are S3 data events and need a trail recording those for the archive bucket.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Bucket management calls (CloudTrail event names; PutBucketLifecycle is PutBucketLifecycleConfiguration's event). */
export const BUCKET_TAMPER_EVENTS = [
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketLifecycle',
  'DeleteBucketLifecycle',
  'PutBucketVersioning',
  'PutBucketObjectLockConfiguration',
] as const;
/** Legal holds (S3 data events). */
export const LEGAL_HOLD_EVENTS = ['PutObjectLegalHold'] as const;
export const KEY_TAMPER_EVENTS = ['PutKeyPolicy', 'CreateGrant', 'DisableKey', 'ScheduleKeyDeletion', 'DeleteAlias'] as const;
/** Calls that could open a token secret to someone else (its resource policy, its key) or remove it. */
export const SECRET_TAMPER_EVENTS = ['PutResourcePolicy', 'DeleteResourcePolicy', 'UpdateSecret', 'DeleteSecret'] as const;

export interface TamperAlarmsProps {
  /** The archive bucket. @default - none in this stack (the two-account layout's collector stack) */
  readonly bucket?: s3.IBucket;
  /** Every key of this stack the archive depends on. */
  readonly keys: readonly kms.IKey[];
  readonly topic: sns.ITopic;
  /** Name prefix of the token secrets, e.g. `intercom-audit-archive/`. @default - none in this stack (the archive stack) */
  readonly secretNamePrefix?: string;
}

export class TamperAlarms extends Construct {
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: TamperAlarmsProps) {
    super(scope, id);
    // Strings only: a JSON object placed inside a text template would not be escaped.
    const field = (p: string) => events.EventField.fromPath(p);
    const message = events.RuleTargetInput.fromText(
      `Intercom audit archive: ${field('$.detail.eventName')} (${field('$.detail.eventSource')}) on ${field('$.detail.resources[0].ARN')} ` +
        `by ${field('$.detail.userIdentity.arn')} from ${field('$.detail.sourceIPAddress')} at ${field('$.detail.eventTime')}; ` +
        `error code, if refused: ${field('$.detail.errorCode')}`,
    );
    const rule = (ruleId: string, description: string, pattern: events.EventPattern) => {
      const r = new events.Rule(this, ruleId, { description, eventPattern: pattern });
      r.addTarget(new targets.SnsTopic(props.topic, { message }));
      return r;
    };
    const { bucket, secretNamePrefix } = props;
    this.rules = [];
    if (bucket)
      this.rules.push(
        rule('Bucket', 'Alarms on policy, lifecycle, versioning, Object Lock and legal-hold changes to the archive bucket', {
          source: ['aws.s3'],
          detailType: ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['s3.amazonaws.com'],
            eventName: [...BUCKET_TAMPER_EVENTS, ...LEGAL_HOLD_EVENTS],
            requestParameters: { bucketName: [bucket.bucketName] },
          },
        }),
      );
    this.rules.push(
      rule('Keys', 'Alarms on key-policy changes, grants, disabling, deletion and alias removal of the archive keys', {
        source: ['aws.kms'],
        detailType: ['AWS API Call via CloudTrail'],
        // CloudTrail names the key by ARN in `resources`, whatever form (id, ARN, alias) the caller used.
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: [...KEY_TAMPER_EVENTS],
          resources: { ARN: props.keys.map((k) => k.keyArn) },
        },
      }),
    );
    if (secretNamePrefix)
      this.rules.push(
        rule('Secrets', 'Alarms on resource-policy, key and deletion changes to the Intercom token secrets', {
          source: ['aws.secretsmanager'],
          detailType: ['AWS API Call via CloudTrail'],
          // The caller may name a secret by name or by ARN.
          detail: {
            eventSource: ['secretsmanager.amazonaws.com'],
            eventName: [...SECRET_TAMPER_EVENTS],
            requestParameters: { secretId: events.Match.wildcard(`*${secretNamePrefix}*`) },
          },
        }),
      );
  }
}
