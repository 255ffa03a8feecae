/**
 * The collector's role and log group: create-only writes to its own archive prefixes, reads of
 * them, the archive key, and its workspaces' tokens. Least privilege is written by hand: CDK's
 * `grantPut` on an Object Lock bucket adds s3:PutObjectRetention and s3:PutObjectLegalHold, which
 * no writer here may hold.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { prefixesWrittenBy } from '../../lambdas/contract.ts';
import { acknowledge, bucketArnInFinding } from '../acknowledge.ts';
import { StackSection } from '../SectionedStack.ts';
import { functionRole } from './AuditFunction.ts';
import { type KeyGrant, keyGrantStatement } from './keys.ts';

export interface CollectorRoleProps {
  readonly archiveBucket: s3.IBucket;
  /** The key archive objects are encrypted with. */
  readonly archiveKey: KeyGrant;
  /** Encrypts the log group. */
  readonly logsKey: kms.IKey;
  /** The token secrets (names or ARNs). */
  readonly secretRefs: readonly string[];
  /** A fixed role name, so the archive account's policies can name it. @default - generated */
  readonly roleName?: string;
}

export class CollectorRole extends StackSection {
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CollectorRoleProps) {
    super(scope, id);
    const { archiveBucket: bucket } = props;
    ({ role: this.role, logGroup: this.logGroup } = functionRole(this, {
      name: 'Collector',
      description: 'Intercom audit archive collector: create-only writes, no delete, no retention changes',
      key: props.logsKey,
      pins: { logs: 'collectorLogs', role: 'collectorRole' },
      ...(props.roleName && { roleName: props.roleName }),
    }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveWriteOnce',
        // PutObject only: If-None-Match makes it create-only; retention comes from the bucket default.
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: prefixesWrittenBy('collector').map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    this.role.addToPolicy(keyGrantStatement('Encrypt', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], props.archiveKey));
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'Tokens', actions: ['secretsmanager:GetSecretValue'], resources: [...props.secretRefs] }),
    );
    const objectKeys = 'Object keys are created at run time; the wildcard covers one archive prefix, nothing else.';
    acknowledge(
      this.role,
      Object.fromEntries(
        prefixesWrittenBy('collector').map((p) => [`AwsSolutions-IAM5[Resource::${bucketArnInFinding(bucket)}/${p}*]`, objectKeys]),
      ),
    );
    if (props.archiveKey.conditions)
      acknowledge(this.role, {
        [`AwsSolutions-IAM5[Resource::${props.archiveKey.resources[0]}]`]:
          'The archive keys are in the archive account, named by alias (kms:ResourceAliases), not by an id this stack cannot know.',
      });
  }
}
