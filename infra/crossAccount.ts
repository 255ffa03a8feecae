/**
 * The two-account layout's fixed names and cross-account statements. The stacks are deployed
 * separately, each with its own account's credentials, so neither can read the other's outputs:
 * the archive stack names the collector role by ARN, and the collector stack names the bucket by
 * name and the keys by alias.
 *
 * The archive account's policies name the collector as its account with an `aws:PrincipalArn`
 * condition rather than as a role principal: a key or bucket policy naming a role that does not
 * exist yet is refused, and the archive is deployed first; a re-created role keeps matching.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { prefixesWrittenBy } from '../lambdas/contract.ts';
import type { DeployConfig } from './config.ts';

export type AccountAndRegion = NonNullable<DeployConfig['archiveAccount']>;

export const STACK_NAMES = {
  oneAccount: 'IntercomAuditArchive',
  archive: 'IntercomAuditArchive-Archive',
  collector: 'IntercomAuditArchive-Collector',
} as const;

/** The collector's role name in the workload account. */
export const COLLECTOR_ROLE_NAME = 'intercom-audit-archive-collector';
export const ARCHIVE_KEY_ALIAS = 'alias/intercom-audit-archive/archive';
export const MANIFEST_KEY_ALIAS = 'alias/intercom-audit-archive/manifest-signing';

export function archiveBucketName(archive: AccountAndRegion): string {
  return `intercom-audit-archive-${archive.account}-${archive.region}`;
}

export function collectorRoleArn(workload: AccountAndRegion): string {
  return `arn:${Aws.PARTITION}:iam::${workload.account}:role/${COLLECTOR_ROLE_NAME}`;
}

/** The collector role of the workload account, as the archive account's resource policies name it. */
export function collectorPrincipal(workload: AccountAndRegion): iam.IPrincipal {
  return new iam.AccountPrincipal(workload.account).withConditions({
    ArnEquals: { 'aws:PrincipalArn': collectorRoleArn(workload) },
  });
}

/**
 * The bucket-policy allows a cross-account writer needs (its own IAM policy is the other half):
 * put and get under the collector's prefixes, list the bucket. Nothing else: every deny of the
 * bucket policy (create-only, one writer per prefix, no delete, no retention change) still applies.
 */
export function crossAccountCollectorStatements(bucket: s3.IBucket, workload: AccountAndRegion): iam.PolicyStatement[] {
  const principal = collectorPrincipal(workload);
  return [
    new iam.PolicyStatement({
      sid: 'CollectorWritesFromWorkloadAccount',
      principals: [principal],
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: prefixesWrittenBy('collector').map((p) => bucket.arnForObjects(`${p}*`)),
    }),
    new iam.PolicyStatement({
      sid: 'CollectorListsFromWorkloadAccount',
      principals: [principal],
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  ];
}

/** The archive key's statement for the collector: encrypt and decrypt its objects, through S3 only. */
export function crossAccountArchiveKeyStatement(workload: AccountAndRegion): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CollectorEncryptsThroughS3',
    principals: [collectorPrincipal(workload)],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
  });
}
