/**
 * Server-side rules that hold whatever IAM says: create-only puts, one writer per prefix, legal
 * holds by the legal-hold role alone, bucket administration by the deployment role alone, and
 * alarms on every administrative change (TamperAlarms).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  type WriterArns,
  bucketAdministrationOnlyBy,
  legalHoldOnlyBy,
  prefixWriterStatements,
  requireCreateOnlyPuts,
} from '../archivePolicies.ts';
import { StackSection } from '../SectionedStack.ts';
import { TamperAlarms } from './TamperAlarms.ts';

export interface ArchiveProtectionProps {
  readonly bucket: s3.Bucket;
  /** The role ARNs of the writers, for the per-prefix denies. */
  readonly writers: WriterArns & { readonly legalHold: string };
  /** The only principal that may change bucket administration (CloudFormation's role). */
  readonly deploymentRoleArn: string;
  /** Every key of this stack the archive depends on (tamper alarms). */
  readonly keys: readonly kms.IKey[];
  readonly alarmTopic: sns.ITopic;
  /** Name prefix of the token secrets when they are in this stack. @default - no secret alarms */
  readonly secretNamePrefix?: string;
}

export class ArchiveProtection extends StackSection {
  constructor(scope: Construct, id: string, props: ArchiveProtectionProps) {
    super(scope, id);
    const { bucket } = props;
    bucket.addToResourcePolicy(requireCreateOnlyPuts(bucket));
    for (const statement of prefixWriterStatements(bucket, props.writers)) bucket.addToResourcePolicy(statement);
    bucket.addToResourcePolicy(legalHoldOnlyBy(bucket, props.writers.legalHold));
    bucket.addToResourcePolicy(bucketAdministrationOnlyBy(bucket, props.deploymentRoleArn));
    // Deleting the stack must not take the bucket's protection with it: the policy outlives it, like the bucket.
    bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new TamperAlarms(this, 'TamperAlarms', {
      bucket,
      keys: props.keys,
      topic: props.alarmTopic,
      ...(props.secretNamePrefix && { secretNamePrefix: props.secretNamePrefix }),
    });
  }
}
