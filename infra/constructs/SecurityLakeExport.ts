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
import path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SecurityLakeContext } from '../config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface SecurityLakeExportProps {
  readonly config: SecurityLakeContext;
  readonly archiveBucket: s3.IBucket;
  /** The archive key (decrypts parts). */
  readonly key: kms.IKey;
  /** The manifest signing key: the job reads its public key to check each chain head. */
  readonly signingKey: kms.Key;
  /** A role that may write only its own log group, and that log group. */
  readonly role: iam.Role;
  readonly logGroup: logs.ILogGroup;
  readonly runtime: lambda.Runtime;
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
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: SecurityLakeExportProps) {
    super(scope, id);
    const { config, role } = props;
    const bucketId = Stack.of(this).resolve(
      (props.archiveBucket.node.defaultChild as unknown as { logicalId: string }).logicalId,
    ) as string;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveRead',
        actions: ['s3:GetObject'],
        resources: ['activity_logs/*', 'manifests/*', 'signatures/*'].map((p) => props.archiveBucket.arnForObjects(p)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket'], resources: [props.archiveBucket.bucketArn] }),
    );
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
    for (const prefix of ['activity_logs', 'manifests', 'signatures'])
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}/*]`, reason: objectKeys });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((props.logGroup.node.defaultChild as unknown as { logicalId: string }).logicalId)}.Arn>:*]`,
      reason: 'Log streams of the export log group are created by Lambda at run time.',
    });
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*'])
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
      });

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(ROOT, 'lambdas/handlers/securityLakeEntry.ts'),
      handler: 'handler',
      runtime: props.runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 2048,
      timeout: Duration.minutes(15),
      reservedConcurrentExecutions: 1,
      role,
      logGroup: props.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      retryAttempts: 0,
      onFailure: new destinations.SqsDestination(props.failures),
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
      },
      bundling: {
        // DuckDB ships a native binary per platform: install it inside the Lambda build image (arm64).
        // (Only when this synth bundles: constructing a Docker bundling builds its image at once.)
        forceDockerBundling: Stack.of(this).bundlingRequired,
        nodeModules: ['@duckdb/node-api'],
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: 'The export only calls AWS APIs (S3, KMS, STS); a VPC would add endpoints or NAT and protect nothing here.',
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
}
