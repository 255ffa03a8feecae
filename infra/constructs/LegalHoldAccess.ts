/** The role that places and releases legal holds; it reads no archive object, only lists keys. */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { prefixesWrittenBy } from '../../lambdas/contract.ts';
import { acknowledge, logicalIdOf } from '../acknowledge.ts';
import { StackSection } from '../SectionedStack.ts';
import { pinStateful } from '../statefulLogicalIds.ts';

export interface LegalHoldAccessProps {
  /** Who may assume the role. @default - the account root (grant through IAM) */
  readonly principals: readonly string[];
  readonly archiveBucket: s3.Bucket;
  /** Encrypts the hold records. */
  readonly key: kms.IKey;
}

export class LegalHoldAccess extends StackSection {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LegalHoldAccessProps) {
    super(scope, id);
    const bucket = props.archiveBucket;
    const principals = props.principals.length
      ? props.principals.map((arn) => new iam.ArnPrincipal(arn))
      : [new iam.AccountRootPrincipal()];
    const role = new iam.Role(this, 'LegalHoldRole', {
      assumedBy: new iam.CompositePrincipal(...principals),
      description:
        'Places and releases S3 legal holds on Intercom audit archive objects and records each under holds/; no retention change, no delete, no reads',
      maxSessionDuration: Duration.hours(1),
    });
    pinStateful(role, 'legalHoldRole');
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LegalHolds',
        actions: ['s3:PutObjectLegalHold', 's3:GetObjectLegalHold'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'HoldRecordsWriteOnce',
        actions: ['s3:PutObject'],
        resources: prefixesWrittenBy('legalHold').map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'EncryptHoldRecords', actions: ['kms:GenerateDataKey'], resources: [props.key.keyArn] }),
    );
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/*]`]:
        'A legal hold may be placed on any archived object; the role cannot read, delete or change retention of any.',
      [`AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/holds/*]`]:
        'Each hold is recorded as a new create-only object under holds/.',
    });
    this.role = role;
  }
}
