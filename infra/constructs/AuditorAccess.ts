/**
 * The read-only auditor role: Athena in the workgroup, the Glue catalog, every archived object
 * with its retention and legal hold, Athena results, and signature checks with the manifest key
 * (granted in the key's own policy: naming the role there, and the key in the role's policy, would
 * be a dependency cycle).
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge, logicalIdOf } from '../acknowledge.ts';
import { StackSection } from '../SectionedStack.ts';
import { pinStateful } from '../statefulLogicalIds.ts';
import { VERIFY_ACTIONS, keyUse } from './keys.ts';
import type { QueryCatalog } from './QueryCatalog.ts';

export interface AuditorAccessProps {
  /** Who may assume the role. @default - the account root (grant through IAM) */
  readonly principals: readonly string[];
  readonly archiveBucket: s3.Bucket;
  readonly results: s3.Bucket;
  readonly key: kms.IKey;
  readonly signingKey: kms.Key;
  readonly catalog: QueryCatalog;
}

export class AuditorAccess extends StackSection {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuditorAccessProps) {
    super(scope, id);
    const principals = props.principals.length
      ? props.principals.map((arn) => new iam.ArnPrincipal(arn))
      : [new iam.AccountRootPrincipal()];
    this.role = new iam.Role(this, 'AuditorRole', {
      assumedBy: new iam.CompositePrincipal(...principals),
      description: 'Read-only access to the Intercom audit archive: Athena queries, Glue catalog, archive objects and their retention',
      maxSessionDuration: Duration.hours(4),
    });
    pinStateful(this.role, 'auditorRole');
    const policy = new iam.ManagedPolicy(this, 'AuditorPolicy', {
      description: 'Read the Intercom audit archive and run its canned Athena queries; writes only Athena results',
      statements: statements(props),
    });
    props.signingKey.addToResourcePolicy(
      keyUse({ sid: 'AuditorsVerify', principal: new iam.ArnPrincipal(this.role.roleArn) }, VERIFY_ACTIONS),
    );
    this.role.addManagedPolicy(policy);
    const { region: stackRegion } = Stack.of(this);
    const region = Token.isUnresolved(stackRegion) ? '<AWS::Region>' : stackRegion;
    acknowledge(policy, {
      [`AwsSolutions-IAM5[Resource::<${logicalIdOf(props.archiveBucket)}.Arn>/*]`]:
        'Auditors read every archived object (data, manifests, reports) of this one bucket.',
      [`AwsSolutions-IAM5[Resource::<${logicalIdOf(props.results)}.Arn>/results/*]`]:
        'Athena writes each query result under results/ with a generated name.',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:${region}:<AWS::AccountId>:table/intercom_audit_archive/*]`]:
        'Every table of the archive database, read-only.',
    });
  }
}

function statements(props: AuditorAccessProps): iam.PolicyStatement[] {
  const bucket = props.archiveBucket;
  return [
    new iam.PolicyStatement({
      sid: 'AthenaInWorkgroup',
      actions: [
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:GetWorkGroup',
        'athena:ListNamedQueries',
        'athena:GetNamedQuery',
        'athena:BatchGetNamedQuery',
        'athena:ListQueryExecutions',
      ],
      resources: [props.catalog.workgroupArn],
    }),
    new iam.PolicyStatement({
      sid: 'GlueCatalogRead',
      actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
      resources: props.catalog.glueArns(['*']),
    }),
    new iam.PolicyStatement({
      sid: 'ArchiveRead',
      actions: [
        's3:GetObject',
        's3:GetObjectVersion',
        's3:GetObjectRetention',
        's3:GetObjectLegalHold',
        's3:GetObjectAttributes',
        's3:GetObjectVersionAttributes',
      ],
      resources: [bucket.arnForObjects('*')],
    }),
    new iam.PolicyStatement({
      sid: 'ArchiveList',
      actions: [
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:GetBucketLocation',
        's3:GetBucketObjectLockConfiguration',
        's3:GetBucketVersioning',
      ],
      resources: [bucket.bucketArn],
    }),
    props.catalog.resultsStatement(),
    new iam.PolicyStatement({
      sid: 'Decrypt',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [props.key.keyArn],
    }),
  ];
}
