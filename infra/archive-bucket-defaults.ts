/**
 * Secure defaults for the archive bucket as a pure function (the aws-solutions-constructs
 * pattern): Object Lock, versioning, KMS, public access blocked, TLS only, access logs, a
 * lifecycle that may move data to a class Athena reads without restore and never expires it.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { DeployConfig } from './config.ts';

export function archiveBucketProps(key: kms.IKey, accessLogs: s3.IBucket, config: DeployConfig): s3.BucketProps {
  return {
    objectLockEnabled: true,
    versioned: true,
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'archive/',
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
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
  };
}

/** The Object Lock rule in whole years (CDK renders days, which leap years would shorten). */
export function objectLockConfiguration(config: DeployConfig) {
  return { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: config.objectLockMode, Years: config.retentionYears } } };
}
