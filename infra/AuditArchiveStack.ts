/**
 * One stack: the locked archive bucket, the scheduled collector, the Glue table, the Athena
 * workgroup with the canned queries, the read-only auditor role, the legal-hold role, and alarms.
 *
 * Least privilege is written by hand: CDK's `grantPut` on an Object Lock bucket adds
 * s3:PutObjectRetention and s3:PutObjectLegalHold, which no writer here may hold (legal holds
 * belong to the legal-hold role alone), and no role gets any s3:Delete* or retention-shortening
 * action on the archive. The bucket, key and secret policies enforce the same server-side.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Annotations,
  Aws,
  CfnOutput,
  type CfnResource,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import { INDEX_TABLE, LISTED_VIEW, RAW_TABLE, prestoViewText } from '../lambdas/core/queries/listedView.ts';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { HEAD_RECEIPT_DETAIL_TYPE, HEAD_RECEIPT_SOURCE, METRICS_NAMESPACE, SERVICE_NAMES } from '../lambdas/handlers/constants.ts';
import { ARCHIVE_COLUMNS, QUARANTINE_COLUMNS, ROSTER_COLUMNS } from '../lambdas/core/archive/columns.ts';
import { hiveJsonTable } from './archiveTables.ts';
import { reportSigningKey } from './reportSigningKey.ts';
import { archiveBucketProps, objectLockConfiguration } from './archive-bucket-defaults.ts';
import { ConfigurationError } from '../lambdas/core/errors.ts';
import { parseRules } from '../lambdas/core/rules/ruleset.ts';
import { type DeployConfig, scheduleSeconds } from './config.ts';
import { SecurityLakeExport } from './constructs/SecurityLakeExport.ts';
import { SiemFeed } from './constructs/SiemFeed.ts';
import { prefixesWrittenBy } from '../lambdas/contract.ts';
import { bucketAdministrationOnlyBy, legalHoldOnlyBy, prefixWriterStatements, requireCreateOnlyPuts } from './archive-policies.ts';
import { type KeyAdministrators, keyAdministration, useThroughIam } from './key-policies.ts';
import { TamperAlarms } from './TamperAlarms.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Token secrets are named `<prefix><workspace id>`. */
const SECRET_NAME_PREFIX = 'intercom-audit-archive/';
/** The newest Node.js LTS runtime Lambda offers. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface AuditArchiveStackProps extends StackProps {
  readonly config: DeployConfig;
  /** Folder of canned queries, one named query per `.sql` file. @default queries/ of this repository */
  readonly queriesDir?: string;
}

export class AuditArchiveStack extends Stack {
  readonly archiveBucket: s3.Bucket;
  readonly collector: NodejsFunction;
  readonly auditorRole: iam.Role;
  readonly key: kms.Key;
  readonly alarmTopic: sns.Topic;
  readonly signingKey!: kms.Key;
  readonly tokensKey: kms.Key;
  /** Signs report packs; only the reporter may use it. */
  readonly reportSigningKey: kms.Key;
  readonly legalHoldRole: iam.Role;
  /** The role CloudFormation deploys with: the only one that may change bucket administration and key policies. */
  readonly deploymentRoleArn: string;

  /** A Lambda role that may write only its own KMS-encrypted log group (no managed policy). */
  private functionRole(name: string, description: string): { role: iam.Role; logGroup: logs.LogGroup } {
    const logGroup = new logs.LogGroup(this, `${name}Logs`, {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: this.key,
    });
    const role = new iam.Role(this, `${name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Logs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );
    return { role, logGroup };
  }

  /** The logical id CloudFormation uses for a construct's main resource (cdk-nag finding ids name it). */
  private logicalId(construct: Construct): string {
    return this.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;
  }

  /** The role that places and releases legal holds; it reads no archive object, only lists keys. */
  private legalHold(config: DeployConfig): iam.Role {
    const principals = config.legalHoldPrincipals.length
      ? config.legalHoldPrincipals.map((arn) => new iam.ArnPrincipal(arn))
      : [new iam.AccountRootPrincipal()];
    const role = new iam.Role(this, 'LegalHoldRole', {
      assumedBy: new iam.CompositePrincipal(...principals),
      description:
        'Places and releases S3 legal holds on Intercom audit archive objects and records each under holds/; no retention change, no delete, no reads',
      maxSessionDuration: Duration.hours(1),
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LegalHolds',
        actions: ['s3:PutObjectLegalHold', 's3:GetObjectLegalHold'],
        resources: [this.archiveBucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'HoldRecordsWriteOnce',
        actions: ['s3:PutObject'],
        resources: prefixesWrittenBy('legalHold').map((p) => this.archiveBucket.arnForObjects(`${p}*`)),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket'], resources: [this.archiveBucket.bucketArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'EncryptHoldRecords', actions: ['kms:GenerateDataKey'], resources: [this.key.keyArn] }),
    );
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/*]`]:
        'A legal hold may be placed on any archived object; the role cannot read, delete or change retention of any.',
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/holds/*]`]:
        'Each hold is recorded as a new create-only object under holds/.',
    });
    return role;
  }

  /**
   * Server-side rules that hold whatever IAM says: create-only puts, one writer per prefix,
   * legal holds by the legal-hold role alone, bucket administration by the deployment role alone,
   * token secrets read by the collector alone, and alarms on every administrative change.
   */
  private protectArchive(collectorRole: iam.IRole, reporterRole: iam.IRole, secrets: secretsmanager.CfnSecret[]): void {
    const bucket = this.archiveBucket;
    bucket.addToResourcePolicy(requireCreateOnlyPuts(bucket));
    for (const st of prefixWriterStatements(bucket, {
      collector: collectorRole.roleArn,
      reporter: reporterRole.roleArn,
      legalHold: this.legalHoldRole.roleArn,
    }))
      bucket.addToResourcePolicy(st);
    bucket.addToResourcePolicy(legalHoldOnlyBy(bucket, this.legalHoldRole.roleArn));
    bucket.addToResourcePolicy(bucketAdministrationOnlyBy(bucket, this.deploymentRoleArn));

    // The collector decrypts tokens through Secrets Manager, and only it may read them.
    this.tokensKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CollectorReadsTokens',
        principals: [new iam.ArnPrincipal(collectorRole.roleArn)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    for (const secret of secrets) {
      new secretsmanager.CfnResourcePolicy(this, `${secret.node.id}Policy`, {
        secretId: secret.ref,
        blockPublicPolicy: true,
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyTheCollectorReadsTheToken',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': collectorRole.roleArn } },
            },
          ],
        },
      });
    }

    // Deleting the stack must not take the bucket's protection with it: the policy outlives it, like the bucket.
    bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);

    new TamperAlarms(this, 'TamperAlarms', {
      bucket,
      keys: [this.key, this.signingKey, this.tokensKey, this.reportSigningKey],
      topic: this.alarmTopic,
      secretNamePrefix: SECRET_NAME_PREFIX,
    });
  }

  constructor(scope: Construct, id: string, props: AuditArchiveStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.objectLockMode === 'GOVERNANCE') {
      Annotations.of(this).addWarningV2(
        'audit-archive:governance-mode',
        'Object Lock is in GOVERNANCE mode: principals with s3:BypassGovernanceRetention can delete archived objects early. Use it for trials only; production archives need COMPLIANCE.',
      );
    }

    this.deploymentRoleArn = config.deploymentRoleArn ?? defaultDeploymentRole(this);
    const admins: KeyAdministrators = {
      deploymentRoleArn: this.deploymentRoleArn,
      ...(config.keyAdminRoleArn && { breakGlassRoleArn: config.keyAdminRoleArn }),
    };

    this.key = new kms.Key(this, 'ArchiveKey', {
      description: 'Encrypts the Intercom audit archive, query results, queues and alarms',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Not CDK's default (root kms:*): administrators manage without PutKeyPolicy; the roles get use through IAM.
      policy: new iam.PolicyDocument({ statements: [...keyAdministration(admins), useThroughIam()] }),
    });
    // EventBridge publishes tamper alarms to the encrypted topic and failed schedules to the encrypted queue.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgePublishes',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    // CloudWatch alarms publish to the encrypted topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    // Only AWS services (S3, Secrets Manager, Logs…) may be granted use of the key.
    this.key.addToResourcePolicy(grantsOnlyForAwsServices());
    // CloudWatch Logs encrypts the collector's log group with the key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
        },
      }),
    );

    // Server access logs cannot be delivered to a bucket with default retention or SSE-KMS.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) }],
    });
    acknowledge(accessLogs, {
      'AwsSolutions-S1': 'This is the access-log bucket itself; logging it into itself would loop.',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check': 'This is the access-log bucket itself; logging it into itself would loop.',
      'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check':
        'S3 server access logs can only be delivered to a bucket encrypted with SSE-S3, not SSE-KMS.',
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check':
        'S3 cannot deliver server access logs to a bucket with an Object Lock default retention.',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check': 'Nothing reacts to new access-log objects.',
    });

    this.archiveBucket = new s3.Bucket(this, 'Archive', archiveBucketProps(this.key, accessLogs, config));
    acknowledge(this.archiveBucket, {
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check':
        'The collector runs on a schedule and verify walks the manifests; nothing needs per-object events.',
    });
    (this.archiveBucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('ObjectLockConfiguration', objectLockConfiguration(config));
    // Nobody deletes archived objects or versions, shortens retention, or changes the lock rule — whatever IAM says.
    this.archiveBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingArchivedObjects',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 's3:PutObjectRetention'],
        resources: [this.archiveBucket.arnForObjects('*')],
      }),
    );
    this.archiveBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyChangingObjectLockOrDeletingBucket',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutBucketObjectLockConfiguration', 's3:DeleteBucket'],
        resources: [this.archiveBucket.bucketArn],
      }),
    );

    const results = new s3.Bucket(this, 'AthenaResults', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'athena-results/',
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-query-results', expiration: Duration.days(config.athenaResultsDays), noncurrentVersionExpiration: Duration.days(1) },
      ],
    });
    acknowledge(results, {
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check':
        'Athena query results are transient copies that expire; the locked evidence is the archive and the report packs in it.',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check': 'Nothing reacts to new query results.',
    });

    // Intercom tokens get their own key, usable only through Secrets Manager: operators set a token
    // there (Secrets Manager documents GenerateDataKey and Decrypt for that), and each secret's
    // resource policy lets only the collector read one. The archive key's users (auditor,
    // reporter) get nothing here.
    this.tokensKey = new kms.Key(this, 'TokensKey', {
      description: 'Encrypts the Intercom access tokens (only the collector decrypts them)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          ...keyAdministration(admins),
          new iam.PolicyStatement({
            sid: 'SetTokensThroughSecretsManager',
            principals: [new iam.AccountRootPrincipal()],
            actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
          }),
          grantsOnlyForAwsServices(),
        ],
      }),
    });

    // One secret per workspace, created without a value (an L2 Secret would generate a random
    // string that looks like a bad token). The README says how to set it.
    const secrets = config.workspaces.map((workspace) => {
      const secret = new secretsmanager.CfnSecret(this, `Token-${workspace.id}`, {
        name: `${SECRET_NAME_PREFIX}${workspace.id}`,
        description: `Intercom access token (Read admin activity logs) for workspace ${workspace.id}`,
        kmsKeyId: this.tokensKey.keyArn,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'Intercom access tokens are issued by Intercom and cannot be rotated by a Secrets Manager rotation function.',
      });
      return { workspace, secret };
    });

    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      masterKey: this.key,
      enforceSSL: true,
      displayName: 'Intercom audit archive alarms',
    });
    if (config.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));

    const queue = (queueId: string) => {
      const q = new sqs.Queue(this, queueId, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(q, {
        'AwsSolutions-SQS3': 'This queue is itself the dead-letter destination for failed collector runs.',
        'cdk-validator-cfnguard::sqs_dlq_check': 'This queue is itself the dead-letter destination for failed collector runs.',
      });
      return q;
    };
    const failures = queue('CollectorFailures');
    const scheduleDlq = queue('ScheduleDeadLetters');

    const { role: collectorRole, logGroup } = this.functionRole(
      'Collector',
      'Intercom audit archive collector: create-only writes, no delete, no retention changes',
    );
    collectorRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveWriteOnce',
        // PutObject only: If-None-Match makes it create-only; retention comes from the bucket default.
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: prefixesWrittenBy('collector').map((p) => this.archiveBucket.arnForObjects(`${p}*`)),
      }),
    );
    collectorRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket'], resources: [this.archiveBucket.bucketArn] }),
    );
    collectorRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Encrypt',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
      }),
    );
    collectorRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'Tokens', actions: ['secretsmanager:GetSecretValue'], resources: secrets.map((s) => s.secret.ref) }),
    );
    const objectKeys = 'Object keys are created at run time; the wildcard covers one archive prefix, nothing else.';
    acknowledge(collectorRole, {
      ...Object.fromEntries(
        prefixesWrittenBy('collector').map((p) => [
          `AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/${p}*]`,
          objectKeys,
        ]),
      ),
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(logGroup)}.Arn>:*]`]:
        'Log streams of the collector log group are created by Lambda at run time.',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
    });

    // Manifest signing key: RSASSA-PSS SHA-256. Its policy is written for this purpose (CDK's
    // default gives the account root kms:*): administrators manage it but cannot sign; only the
    // collector role signs; auditors verify and read the public key.
    const signingKey = new kms.Key(this, 'ManifestSigningKey', {
      description: 'Signs the Intercom audit archive manifest chain (only the collector may sign)',
      keySpec: kms.KeySpec.RSA_3072,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          // Administrators manage but can neither sign nor put a key policy that would let them.
          ...keyAdministration(admins),
          new iam.PolicyStatement({
            sid: 'CollectorSigns',
            principals: [new iam.ArnPrincipal(collectorRole.roleArn)],
            actions: ['kms:Sign', 'kms:GetPublicKey', 'kms:DescribeKey'],
            resources: ['*'],
          }),
          grantsOnlyForAwsServices(),
        ],
      }),
    });
    acknowledge(signingKey, {
      'AwsSolutions-KMS5': 'Asymmetric signing keys cannot be rotated by KMS; rotate by deploying a new key and recording its fingerprint.',
    });
    collectorRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'SignManifests', actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [signingKey.keyArn] }),
    );
    // Head receipts go to the account's default bus, from where an operator routes them out of the account.
    // Only events with this source and detail type: the collector cannot impersonate anything else there.
    collectorRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishHeadReceipts',
        actions: ['events:PutEvents'],
        resources: [Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        conditions: { StringEquals: { 'events:source': HEAD_RECEIPT_SOURCE, 'events:detail-type': HEAD_RECEIPT_DETAIL_TYPE } },
      }),
    );
    this.signingKey = signingKey;

    // Alert rules: checked here, so a bad rules file fails the synth with the rule and field named.
    const rulesPath = config.rulesFile === null ? undefined : path.resolve(ROOT, config.rulesFile);
    if (rulesPath) {
      let rulesText: string;
      try {
        rulesText = readFileSync(rulesPath, 'utf8');
      } catch {
        throw new ConfigurationError(`auditArchive.rulesFile: cannot read '${config.rulesFile}'`);
      }
      parseRules(rulesText, config.rulesFile!);
    }
    const alertsTopic = new sns.Topic(this, 'Alerts', {
      masterKey: this.key,
      enforceSSL: true,
      displayName: 'Intercom teammate activity alerts',
    });
    if (config.alarmEmail) alertsTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    const alertsBus = new events.EventBus(this, 'AlertsBus', {
      eventBusName: `${Stack.of(this).stackName}-alerts`,
      description: 'Alerts on risky Intercom teammate actions (source intercom-audit-archive); subscribe a SIEM here',
    });
    collectorRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [alertsTopic.topicArn] }),
    );
    collectorRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'PutAlertEvents', actions: ['events:PutEvents'], resources: [alertsBus.eventBusArn] }),
    );

    // Local esbuild (no Docker), ESM, minified; files a handler reads at run time are copied beside it.
    const bundlingWith = (copy: (outputDir: string) => string[]) => ({
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      minify: true,
      sourceMap: true,
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (_inputDir: string, outputDir: string) => copy(outputDir),
      },
    });
    this.collector = new NodejsFunction(this, 'Collector', {
      entry: path.join(ROOT, 'lambdas/handlers/collectorEntry.ts'),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.minutes(config.collectorTimeoutMinutes),
      // One run at a time: runs never overlap, and the create-only manifest key makes any race lose cleanly.
      reservedConcurrentExecutions: 1,
      role: collectorRole,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      retryAttempts: 0,
      onFailure: new destinations.SqsDestination(failures),
      environment: {
        ARCHIVE_BUCKET: this.archiveBucket.bucketName,
        WORKSPACES: JSON.stringify(
          secrets.map(({ workspace, secret }) => ({ id: workspace.id, region: workspace.region, secretId: secret.ref })),
        ),
        RETENTION_YEARS: String(config.retentionYears),
        OBJECT_LOCK_MODE: config.objectLockMode,
        SIGNING_KEY_ID: signingKey.keyArn,
        ...(rulesPath && { RULES_FILE: `rules/${path.basename(rulesPath)}` }),
        ALERTS_TOPIC_ARN: alertsTopic.topicArn,
        ALERTS_BUS_NAME: alertsBus.eventBusName,
        ALERT_MAX_AGE_SECONDS: String(config.alertMaxAgeHours * 3600),
        ...(config.backfillFrom && { BACKFILL_FROM: config.backfillFrom }),
        DEADLINE_MARGIN_SECONDS: '120',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.collector,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: bundlingWith((outputDir) =>
        rulesPath ? [`mkdir -p "${outputDir}/rules"`, `cp "${rulesPath}" "${outputDir}/rules/"`] : [],
      ),
    });

    acknowledge(this.collector, {
      'cdk-validator-cfnguard::lambda_inside_vpc_check':
        'The collector only calls Intercom over HTTPS and AWS APIs; a VPC would add NAT gateways (cost, another egress path) and protect nothing here.',
    });

    const rule = new events.Rule(this, 'CollectorSchedule', {
      schedule: events.Schedule.expression(config.schedule),
      description: 'Runs the Intercom audit archive collector',
    });
    // No retries: a failed run is reported, and the next scheduled run continues from the checkpoint.
    rule.addTarget(
      new targets.LambdaFunction(this.collector, { retryAttempts: 0, deadLetterQueue: scheduleDlq, maxEventAge: Duration.minutes(10) }),
    );

    // Glue table over activity_logs/ with partition projection (no crawler) and the Hive JSON SerDe.
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: 'intercom_audit_archive', description: 'Intercom teammate activity logs' },
    });
    const start = config.backfillFrom ?? '2024-01-01';
    const table = new glue.CfnTable(this, 'ActivityLogsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: 'intercom_audit_archive',
      tableInput: {
        // Every object under activity_logs/, listed or not: the canned queries read the view below instead.
        name: RAW_TABLE,
        tableType: 'EXTERNAL_TABLE',
        description:
          'Every object under activity_logs/, chain-listed or not; query the activity_logs view, which reads only the parts the manifest chain lists',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.workspace.type': 'enum',
          'projection.workspace.values': config.workspaces.map((w) => w.id).join(','),
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${start},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `s3://${this.archiveBucket.bucketName}/activity_logs/workspace=\${workspace}/dt=\${dt}/`,
        },
        partitionKeys: [
          { name: 'workspace', type: 'string' },
          { name: 'dt', type: 'string' },
        ],
        storageDescriptor: {
          location: `s3://${this.archiveBucket.bucketName}/activity_logs/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
          columns: ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        },
      },
    });
    table.addResourceDependency(database);
    // Quarantined entries (failed validation, kept verbatim): the report pack lists them as exceptions.
    const tableProps = {
      databaseName: 'intercom_audit_archive',
      bucketName: this.archiveBucket.bucketName,
      workspaceIds: config.workspaces.map((w) => w.id),
      start,
    };
    hiveJsonTable(this, 'QuarantineTable', {
      ...tableProps,
      tableName: 'quarantine',
      prefix: 'quarantine/',
      description: 'Entries Intercom served that failed validation, verbatim with the reason',
      columns: QUARANTINE_COLUMNS,
    }).addResourceDependency(database);
    // The daily teammate list (GET /admins) the access review reads; listed by roster manifests.
    hiveJsonTable(this, 'TeammateRostersTable', {
      ...tableProps,
      tableName: 'teammate_rosters',
      prefix: 'rosters/',
      description: 'Daily snapshots of the Intercom teammate list (GET /admins), one teammate per row',
      columns: ROSTER_COLUMNS,
    }).addResourceDependency(database);

    // The part index the collector writes beside each manifest, and the view the queries read.
    const indexTable = new glue.CfnTable(this, 'ArchiveIndexTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: 'intercom_audit_archive',
      tableInput: {
        name: INDEX_TABLE,
        tableType: 'EXTERNAL_TABLE',
        description: 'One row per data part a manifest lists (status listed) or rejects (status rejected); written by the collector',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.workspace.type': 'enum',
          'projection.workspace.values': config.workspaces.map((w) => w.id).join(','),
          'storage.location.template': `s3://${this.archiveBucket.bucketName}/index/workspace=\${workspace}/`,
        },
        partitionKeys: [{ name: 'workspace', type: 'string' }],
        storageDescriptor: {
          location: `s3://${this.archiveBucket.bucketName}/index/`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          columns: [
            { name: 'seq', type: 'bigint', comment: 'Manifest sequence number' },
            { name: 'key', type: 'string', comment: 'Archive key of the part' },
            { name: 'status', type: 'string', comment: 'listed or rejected' },
          ],
        },
      },
    });
    indexTable.addResourceDependency(database);
    const viewColumns = [
      ...ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
      { name: 'workspace', type: 'string' as const },
      { name: 'dt', type: 'string' as const },
    ];
    const view = new glue.CfnTable(this, 'ActivityLogsView', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: 'intercom_audit_archive',
      tableInput: {
        name: LISTED_VIEW,
        tableType: 'VIRTUAL_VIEW',
        description: 'One row per archived Intercom activity in a part the manifest chain lists (never an unlisted or rejected object)',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: prestoViewText('intercom_audit_archive', viewColumns),
        viewExpandedText: '/* Presto View */',
        storageDescriptor: { columns: viewColumns.map((c) => ({ name: c.name, type: c.type })) },
      },
    });
    view.addResourceDependency(table);
    view.addResourceDependency(indexTable);

    const workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: 'intercom-audit-archive',
      description: 'Canned compliance queries over the Intercom audit archive',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: Math.round(config.athenaScanCutoffGb * 1024 ** 3),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${results.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.key.keyArn },
        },
      },
    });
    const queriesDir = props.queriesDir ?? path.join(ROOT, 'queries');
    // Investigations (queries/investigations/) take more parameters than a period; no pack runs them.
    const investigations = path.join(queriesDir, 'investigations');
    const queryFiles = [
      ...listSql(queriesDir).map((file) => ({ dir: queriesDir, file, prefix: '' })),
      ...listSql(investigations).map((file) => ({ dir: investigations, file, prefix: 'investigation_' })),
    ];
    for (const { dir, file, prefix } of queryFiles) {
      const name = `${prefix}${path.basename(file, '.sql')}`;
      const sql = readFileSync(path.join(dir, file), 'utf8');
      const title = /^--\s*(?:title:\s*)?(.+)$/im.exec(sql)?.[1]?.trim() ?? name;
      const q = new athena.CfnNamedQuery(this, `Query-${name}`, {
        name,
        database: 'intercom_audit_archive',
        workGroup: workgroup.ref,
        queryString: sql,
        description: title.slice(0, 1024),
      });
      q.addResourceDependency(workgroup);
    }

    // Read-only auditor access.
    const principals = config.auditorPrincipals.length
      ? config.auditorPrincipals.map((arn) => new iam.ArnPrincipal(arn))
      : [new iam.AccountRootPrincipal()];
    this.auditorRole = new iam.Role(this, 'AuditorRole', {
      assumedBy: new iam.CompositePrincipal(...principals),
      description: 'Read-only access to the Intercom audit archive: Athena queries, Glue catalog, archive objects and their retention',
      maxSessionDuration: Duration.hours(4),
    });
    const auditorPolicy = new iam.ManagedPolicy(this, 'AuditorPolicy', {
      description: 'Read the Intercom audit archive and run its canned Athena queries; writes only Athena results',
      statements: [
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
          resources: [Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: workgroup.ref })],
        }),
        new iam.PolicyStatement({
          sid: 'GlueCatalogRead',
          actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
          resources: [
            Stack.of(this).formatArn({ service: 'glue', resource: 'catalog' }),
            Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: 'intercom_audit_archive' }),
            Stack.of(this).formatArn({ service: 'glue', resource: 'table', resourceName: 'intercom_audit_archive/*' }),
          ],
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
          resources: [this.archiveBucket.arnForObjects('*')],
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
          resources: [this.archiveBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'AthenaResults',
          actions: [
            's3:GetObject',
            's3:PutObject',
            's3:ListBucket',
            's3:GetBucketLocation',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          resources: [results.bucketArn, results.arnForObjects('results/*')],
        }),
        new iam.PolicyStatement({
          sid: 'Decrypt',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [this.key.keyArn],
        }),
      ],
    });
    // kms:Verify and kms:GetPublicKey for auditors are granted in the signing key's own policy
    // (naming the role there, and the key in the role's policy, would be a dependency cycle).
    signingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditorsVerify',
        principals: [new iam.ArnPrincipal(this.auditorRole.roleArn)],
        actions: ['kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey'],
        resources: ['*'],
      }),
    );
    this.auditorRole.addManagedPolicy(auditorPolicy);
    acknowledge(auditorPolicy, {
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/*]`]:
        'Auditors read every archived object (data, manifests, reports) of this one bucket.',
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(results)}.Arn>/results/*]`]:
        'Athena writes each query result under results/ with a generated name.',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:${Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region}:<AWS::AccountId>:table/intercom_audit_archive/*]`]:
        'Every table of the archive database, read-only.',
    });

    // Alarms.
    const metric = (metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAMES.collector },
        statistic,
        period,
      });
    const interval = Duration.seconds(Math.max(300, scheduleSeconds(config.schedule)));
    const alarms = [
      new cloudwatch.Alarm(this, 'CollectorErrors', {
        alarmDescription: 'The collector failed (see its logs; a configuration error such as a missing token does not fix itself)',
        metric: this.collector.metricErrors({ period: interval }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'ArchiveStale', {
        alarmDescription: `No window was archived for ${config.staleAfterIntervals} schedule intervals: the archive is falling behind`,
        metric: metric('WindowsClosed', 'Sum', interval),
        threshold: 1,
        evaluationPeriods: config.staleAfterIntervals,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      new cloudwatch.Alarm(this, 'EntriesQuarantined', {
        alarmDescription: 'Intercom served entries that failed validation; they are kept under quarantine/ and need a look',
        metric: metric('EntriesQuarantined', 'Sum', interval),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'FailedInvocations', {
        alarmDescription: 'A collector invocation failed or could not be delivered (failure destination or schedule dead-letter queue)',
        metric: new cloudwatch.MathExpression({
          expression: 'f + d',
          usingMetrics: {
            f: failures.metricApproximateNumberOfMessagesVisible({ period: interval }),
            d: scheduleDlq.metricApproximateNumberOfMessagesVisible({ period: interval }),
          },
          period: interval,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));

    // Reporter: the quarterly report pack on Athena, written into the archive under reports/.
    const { role: reporterRole, logGroup: reporterLogs } = this.functionRole(
      'Reporter',
      'Intercom audit archive reporter: runs canned queries, writes create-only report packs, no delete',
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Athena',
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: workgroup.ref })],
      }),
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'GlueCatalogRead',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          Stack.of(this).formatArn({ service: 'glue', resource: 'catalog' }),
          Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: 'intercom_audit_archive' }),
          ...[LISTED_VIEW, RAW_TABLE, INDEX_TABLE, 'quarantine', 'teammate_rosters'].map((name) =>
            Stack.of(this).formatArn({ service: 'glue', resource: 'table', resourceName: `intercom_audit_archive/${name}` }),
          ),
        ],
      }),
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveRead',
        actions: ['s3:GetObject'],
        resources: ['activity_logs/*', 'quarantine/*', 'manifests/*', 'index/*', 'rosters/*', 'reports/*'].map((p) =>
          this.archiveBucket.arnForObjects(p),
        ),
      }),
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReportsWriteOnce',
        actions: ['s3:PutObject'],
        resources: prefixesWrittenBy('reporter').map((p) => this.archiveBucket.arnForObjects(`${p}*`)),
      }),
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveList',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [this.archiveBucket.bucketArn],
      }),
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AthenaResults',
        actions: [
          's3:GetObject',
          's3:PutObject',
          's3:ListBucket',
          's3:GetBucketLocation',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: [results.bucketArn, results.arnForObjects('results/*')],
      }),
    );
    reporterRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'Encrypt',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
      }),
    );
    reporterRole.addToPolicy(new iam.PolicyStatement({ sid: 'Notify', actions: ['sns:Publish'], resources: [this.alarmTopic.topicArn] }));
    const reportKey = reportSigningKey(this, {
      reporterRole,
      auditorRole: this.auditorRole,
      administration: keyAdministration(admins),
      grantsOnlyForAwsServices: grantsOnlyForAwsServices(),
    });
    this.reportSigningKey = reportKey;
    acknowledge(reportKey, {
      'AwsSolutions-KMS5': 'Asymmetric signing keys cannot be rotated by KMS; rotate by deploying a new key and recording its fingerprint.',
    });
    reporterRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'SignReports', actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [reportKey.keyArn] }),
    );
    new CfnOutput(this, 'ReportSigningKeyArn', {
      value: reportKey.keyArn,
      description: 'report verify --kms-key-id; record its public key fingerprint',
    });
    acknowledge(reporterRole, {
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/activity_logs/*]`]: objectKeys,
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/manifests/*]`]: objectKeys,
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/quarantine/*]`]: objectKeys,
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/rosters/*]`]: objectKeys,
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/index/*]`]: objectKeys,
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(this.archiveBucket)}.Arn>/reports/*]`]: objectKeys,
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(results)}.Arn>/results/*]`]:
        'Athena writes each query result under results/ with a generated name.',
      [`AwsSolutions-IAM5[Resource::<${this.logicalId(reporterLogs)}.Arn>:*]`]:
        'Log streams of the reporter log group are created by Lambda at run time.',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 'Added by CDK to send failed invocations to the KMS-encrypted failure queue.',
    });
    const reporter = new NodejsFunction(this, 'Reporter', {
      entry: path.join(ROOT, 'lambdas/handlers/reporterEntry.ts'),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(15),
      reservedConcurrentExecutions: 1,
      role: reporterRole,
      logGroup: reporterLogs,
      loggingFormat: lambda.LoggingFormat.JSON,
      retryAttempts: 0,
      onFailure: new destinations.SqsDestination(failures),
      environment: {
        ARCHIVE_BUCKET: this.archiveBucket.bucketName,
        WORKSPACE_IDS: config.workspaces.map((w) => w.id).join(','),
        ATHENA_WORKGROUP: workgroup.ref,
        ATHENA_DATABASE: 'intercom_audit_archive',
        TOPIC_ARN: this.alarmTopic.topicArn,
        REPORT_LANG: config.reportLang,
        REPORT_SIGNING_KEY_ID: reportKey.keyArn,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.reporter,
        NODE_OPTIONS: '--enable-source-maps',
      },
      // The canned queries ship beside the handler; the same files become the named queries.
      bundling: bundlingWith((outputDir) => [`cp -r "${queriesDir}" "${outputDir}/queries"`]),
    });
    acknowledge(reporter, {
      'cdk-validator-cfnguard::lambda_inside_vpc_check':
        'The reporter only calls AWS APIs (Athena, S3, SNS); a VPC would add endpoints or NAT and protect nothing here.',
    });
    new events.Rule(this, 'QuarterlyReport', {
      description: 'Builds the report pack of the previous quarter',
      schedule: events.Schedule.cron({ minute: '0', hour: '6', day: '1', month: '1,4,7,10' }),
    }).addTarget(new targets.LambdaFunction(reporter, { retryAttempts: 0, deadLetterQueue: scheduleDlq, maxEventAge: Duration.hours(1) }));

    // Optional feeds, each in its own construct.
    if (config.siemFeed) {
      const feed = new SiemFeed(this, 'SiemFeed', {
        key: this.key,
        publisher: collectorRole,
        archiveBucket: this.archiveBucket,
        alarmTopic: this.alarmTopic,
      });
      this.collector.addEnvironment('SIEM_FEED_TOPIC_ARN', feed.topic.topicArn);
    }
    if (config.securityLake) {
      const { role, logGroup: exportLogs } = this.functionRole(
        'SecurityLakeExport',
        'Intercom audit archive Security Lake export: reads chain-listed parts, writes only into Security Lake',
      );
      new SecurityLakeExport(this, 'SecurityLake', {
        config: config.securityLake,
        archiveBucket: this.archiveBucket,
        key: this.key,
        signingKey,
        role,
        logGroup: exportLogs,
        runtime: LAMBDA_RUNTIME,
        failures,
        scheduleDeadLetters: scheduleDlq,
      });
    }
    this.legalHoldRole = this.legalHold(config);
    this.protectArchive(
      collectorRole,
      reporterRole,
      secrets.map((s) => s.secret),
    );

    new CfnOutput(this, 'ArchiveBucketName', { value: this.archiveBucket.bucketName });
    new CfnOutput(this, 'LegalHoldRoleArn', {
      value: this.legalHoldRole.roleArn,
      description: 'audit-archive hold place|release|list runs with this role',
    });
    new CfnOutput(this, 'AuditorRoleArn', { value: this.auditorRole.roleArn });
    new CfnOutput(this, 'ManifestSigningKeyArn', {
      value: signingKey.keyArn,
      description: 'verify --kms-key-id; record its public key fingerprint',
    });
    new CfnOutput(this, 'AthenaWorkgroup', { value: workgroup.ref });
    new CfnOutput(this, 'AlertsTopicArn', { value: alertsTopic.topicArn });
    new CfnOutput(this, 'AlertsBusName', { value: alertsBus.eventBusName });
    for (const { workspace, secret } of secrets)
      new CfnOutput(this, `TokenSecret${workspace.id.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: secret.ref,
        description: `Set the Intercom token of ${workspace.id} here`,
      });
  }
}

/**
 * The CDK bootstrap's CloudFormation execution role, which `cdk deploy` passes to CloudFormation.
 * Other synthesizers have none to name: set auditArchive.deploymentRoleArn then.
 */
function defaultDeploymentRole(stack: Stack): string {
  if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) {
    throw new ConfigurationError(
      'auditArchive.deploymentRoleArn is required with a synthesizer other than the default one (name the role CloudFormation deploys this stack with)',
    );
  }
  return Fn.sub(stack.synthesizer.cloudFormationExecutionRoleArn);
}

/** Control Tower CT.KMS.PR.3: only AWS services may be granted use of a key. */
function grantsOnlyForAwsServices(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/** Narrow acknowledgements, each with its reason (cdk-nag and cfn-guard both read Validations). */
function acknowledge(scope: Construct, reasons: Record<string, string>): void {
  for (const [id, reason] of Object.entries(reasons)) Validations.of(scope).acknowledge({ id, reason });
}

function listSql(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort();
  } catch {
    return [];
  }
}
