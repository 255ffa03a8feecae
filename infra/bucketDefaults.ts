/**
 * Secure defaults for every bucket as pure functions (the aws-solutions-constructs pattern):
 * public access blocked, TLS only, versioned, ACLs off (the bucket owner owns every object, also
 * one written from another account), retained when the stack goes. The archive adds Object Lock,
 * KMS and access logs, and a lifecycle that may move data to a class Athena reads without restore
 * and never expires it.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { DeployConfig } from './config.ts';

/** What every bucket of this app has, whatever it holds. */
export function secureBucketProps(props: s3.BucketProps): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    ...props,
  };
}

/** KMS with an S3 Bucket Key (fewer KMS calls), access logs under `logPrefix`. */
function kmsBucketProps(key: kms.IKey, accessLogs: s3.IBucket, logPrefix: string): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: logPrefix,
  };
}

/** Server access logs cannot be delivered to a bucket with default retention or SSE-KMS. */
export function accessLogsBucketProps(): s3.BucketProps {
  return secureBucketProps({
    encryption: s3.BucketEncryption.S3_MANAGED,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) }],
  });
}

/** Athena query results: transient copies that expire. */
export function resultsBucketProps(key: kms.IKey, accessLogs: s3.IBucket, config: DeployConfig): s3.BucketProps {
  return secureBucketProps({
    ...kmsBucketProps(key, accessLogs, 'athena-results/'),
    lifecycleRules: [
      { id: 'expire-query-results', expiration: Duration.days(config.athenaResultsDays), noncurrentVersionExpiration: Duration.days(1) },
    ],
  });
}

export function archiveBucketProps(key: kms.IKey, accessLogs: s3.IBucket, config: DeployConfig): s3.BucketProps {
  return secureBucketProps({
    ...kmsBucketProps(key, accessLogs, 'archive/'),
    objectLockEnabled: true,
    // Nothing here ever expires an object: only incomplete uploads are cleaned, and data may move
    // to a class that Athena and verify read without a restore.
    lifecycleRules: [
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ...(config.transition
        ? [
            {
              id: 'colder-storage-never-expire',
              transitions: [
                {
                  storageClass:
                    config.transition.storageClass === 'GLACIER_IR'
                      ? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL
                      : s3.StorageClass.INFREQUENT_ACCESS,
                  transitionAfter: Duration.days(config.transition.afterDays),
                },
              ],
            },
          ]
        : []),
    ],
  });
}

/** The Object Lock rule in whole years (CDK renders days, which leap years would shorten). */
export function objectLockConfiguration(config: DeployConfig) {
  return { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: config.objectLockMode, Years: config.retentionYears } } };
}
