/**
 * The optional Amazon Security Lake export (`securityLake` context): a Lambda that runs once a
 * day and writes the previous UTC day's OCSF Parquet into each custom source's location, with the
 * provider role Security Lake created for the source. It reads the archive (chain-listed parts,
 * manifests, signatures) and holds no write permission on it.
 *
 * Parquet is written in Lambda by DuckDB — the same encoder and the same mapping code as
 * `export ocsf` — rather than by Athena UNLOAD (see the README, "Feeding a SIEM"). DuckDB is a
 * native module, so this function is bundled in Docker (the Lambda build image for arm64).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PREFIXES_READ_BY, type RuntimeEnvironment, type SecurityLakeEnvironment } from '../../lambdas/environment.ts';
import { acknowledge, bucketArnInFinding } from '../acknowledge.ts';
import type { SecurityLakeContext } from '../config.ts';
import { AuditFunction } from './AuditFunction.ts';

export interface SecurityLakeExportProps {
  readonly config: SecurityLakeContext;
  readonly archiveBucket: s3.IBucket;
  /** The archive key (decrypts parts). */
  readonly key: kms.IKey;
  /** The manifest signing key: the job reads its public key to check each chain head. */
  readonly signingKey: kms.Key;
  /** A role that may write only its own log group (functionRole), and that log group. */
  readonly role: iam.Role;
  readonly logGroup: logs.ILogGroup;
  /** Failed runs land here (and raise the FailedInvocations alarm). */
  readonly failures: sqs.IQueue;
  readonly scheduleDeadLetters: sqs.IQueue;
  /**
   * When the daily run starts (UTC), after the collector has closed the previous day and its lookback.
   * @default 02:30 UTC - earlier risks exporting a day before its late entries (1 h lookback, 10 min settle lag) are archived
   */
  readonly schedule?: events.Schedule;
}

export class SecurityLakeExport extends Construct {
  readonly function: AuditFunction;

  constructor(scope: Construct, id: string, props: SecurityLakeExportProps) {
    super(scope, id);
    const { config } = props;
    this.grant(props);
    this.function = new AuditFunction(this, 'Function', {
      entry: 'lambdas/handlers/securityLakeEntry.ts',
      role: props.role,
      logGroup: props.logGroup,
      failures: props.failures,
      memorySize: 2048,
      timeout: Duration.minutes(15),
      environment: {
        ARCHIVE_BUCKET: props.archiveBucket.bucketName,
        SIGNING_KEY_ID: props.signingKey.keyArn,
        SECURITY_LAKE_BUCKET: config.bucket,
        SECURITY_LAKE_REGION: config.region,
        SECURITY_LAKE_ACCOUNT_ID: config.accountId,
        SECURITY_LAKE_SOURCES: JSON.stringify(config.sources),
        SECURITY_LAKE_PROVIDER_ROLE_ARN: config.providerRoleArn,
        SECURITY_LAKE_PROVIDER_ROLE_ARNS: JSON.stringify(config.providerRoleArns),
        SECURITY_LAKE_EXTERNAL_ID: config.externalId,
        POWERTOOLS_SERVICE_NAME: 'security-lake-export',
        NODE_OPTIONS: '--enable-source-maps',
      } satisfies SecurityLakeEnvironment & RuntimeEnvironment,
      // DuckDB ships a native binary per platform: install it inside the Lambda build image (arm64).
      nativeModules: ['@duckdb/node-api'],
      outsideVpcReason: 'The export only calls AWS APIs (S3, KMS, STS); a VPC would add endpoints or NAT and protect nothing here.',
    });
    new events.Rule(this, 'Daily', {
      description: "Exports the previous UTC day's chain-listed entries to Amazon Security Lake as OCSF Parquet",
      schedule: props.schedule ?? events.Schedule.cron({ minute: '30', hour: '2' }),
    }).addTarget(
      new targets.LambdaFunction(this.function, {
        retryAttempts: 0,
        deadLetterQueue: props.scheduleDeadLetters,
        maxEventAge: Duration.hours(1),
      }),
    );
  }

  /** Reads of chain-listed parts, manifests and signatures; the provider roles; the manifest key's public key. */
  private grant(props: SecurityLakeExportProps): void {
    const { config, role, archiveBucket: bucket } = props;
    const reads = PREFIXES_READ_BY.securityLakeExport;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveRead',
        actions: ['s3:GetObject'],
        resources: reads.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'Decrypt', actions: ['kms:Decrypt'], resources: [props.key.keyArn] }));
    const providerRoles = [...new Set([config.providerRoleArn, ...Object.values(config.providerRoleArns)])].filter((r): r is string =>
      Boolean(r),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'AssumeProviderRoles', actions: ['sts:AssumeRole'], resources: providerRoles }));
    // The public key is granted in the signing key's own policy (as for auditors: no dependency cycle).
    props.signingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SecurityLakeExportReadsPublicKey',
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['kms:GetPublicKey', 'kms:DescribeKey'],
        resources: ['*'],
      }),
    );
    const objectKeys = 'Object keys are created at run time; the wildcard covers one archive prefix, read-only.';
    acknowledge(
      role,
      Object.fromEntries(reads.map((p) => [`AwsSolutions-IAM5[Resource::${bucketArnInFinding(bucket)}/${p}*]`, objectKeys])),
    );
  }
}
