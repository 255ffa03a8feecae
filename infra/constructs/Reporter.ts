/**
 * The quarterly reporter: runs the canned queries on Athena, writes the report pack into the
 * archive under reports/ (create-only), signs it with its own key, and notifies the alarm topic.
 */
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { prefixesWrittenBy } from '../../lambdas/contract.ts';
import { PREFIXES_READ_BY, type ReporterEnvironment, type RuntimeEnvironment } from '../../lambdas/environment.ts';
import { SERVICE_NAMES } from '../../lambdas/handlers/constants.ts';
import { acknowledge, logicalIdOf } from '../acknowledge.ts';
import type { DeployConfig } from '../config.ts';
import type { KeyAdministrators } from '../keyPolicies.ts';
import { StackSection } from '../SectionedStack.ts';
import { pinStateful } from '../statefulLogicalIds.ts';
import { AuditFunction, functionRole } from './AuditFunction.ts';
import { signingKey } from './keys.ts';
import { DATABASE_NAME, type QueryCatalog, REPORTED_TABLES } from './QueryCatalog.ts';

export interface ReporterProps {
  readonly config: DeployConfig;
  readonly admins: KeyAdministrators;
  readonly archiveBucket: s3.Bucket;
  /** The Athena results bucket (the catalog's workgroup writes there). */
  readonly results: s3.Bucket;
  readonly key: kms.IKey;
  readonly catalog: QueryCatalog;
  readonly alarmTopic: sns.ITopic;
  readonly auditorRole: iam.IRole;
  readonly failures: sqs.IQueue;
  readonly scheduleDeadLetters: sqs.IQueue;
}

export class Reporter extends StackSection {
  readonly role: iam.Role;
  /** Signs report packs; only the reporter may use it. */
  readonly signingKey: kms.Key;
  readonly function: AuditFunction;

  constructor(scope: Construct, id: string, props: ReporterProps) {
    super(scope, id);
    const { role, logGroup } = functionRole(this, {
      name: 'Reporter',
      description: 'Intercom audit archive reporter: runs canned queries, writes create-only report packs, no delete',
      key: props.key,
      pins: { logs: 'reporterLogs', role: 'reporterRole' },
    });
    this.role = role;
    for (const statement of this.statements(props)) role.addToPolicy(statement);
    this.signingKey = signingKey(this, 'ReportSigningKey', {
      description: 'Signs Intercom audit report packs (only the reporter may sign; not the manifest key)',
      admins: props.admins,
      signer: { sid: 'ReporterSigns', principal: new iam.ArnPrincipal(role.roleArn) },
      verifiers: [{ sid: 'AuditorsVerify', principal: new iam.ArnPrincipal(props.auditorRole.roleArn) }],
    });
    pinStateful(this.signingKey, 'reportSigningKey');
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'SignReports', actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.signingKey.keyArn] }),
    );
    new CfnOutput(this, 'ReportSigningKeyArn', {
      value: this.signingKey.keyArn,
      description: 'report verify --kms-key-id; record its public key fingerprint',
    });
    this.acknowledgeGrants(props);
    this.function = new AuditFunction(this, 'Reporter', {
      entry: 'lambdas/handlers/reporterEntry.ts',
      role,
      logGroup,
      failures: props.failures,
      memorySize: 512,
      timeout: Duration.minutes(15),
      environment: {
        ARCHIVE_BUCKET: props.archiveBucket.bucketName,
        WORKSPACE_IDS: props.config.workspaces.map((w) => w.id).join(','),
        ATHENA_WORKGROUP: props.catalog.workgroup.ref,
        ATHENA_DATABASE: DATABASE_NAME,
        TOPIC_ARN: props.alarmTopic.topicArn,
        REPORT_LANG: props.config.reportLang,
        REPORT_SIGNING_KEY_ID: this.signingKey.keyArn,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.reporter,
        NODE_OPTIONS: '--enable-source-maps',
      } satisfies ReporterEnvironment & RuntimeEnvironment,
      // The canned queries ship beside the handler; the same files become the named queries.
      copyBeside: (outputDir) => [`cp -r "${props.catalog.queriesDir}" "${outputDir}/queries"`],
      outsideVpcReason: 'The reporter only calls AWS APIs (Athena, S3, SNS); a VPC would add endpoints or NAT and protect nothing here.',
    });
    new events.Rule(this, 'QuarterlyReport', {
      description: 'Builds the report pack of the previous quarter',
      schedule: events.Schedule.cron({ minute: '0', hour: '6', day: '1', month: '1,4,7,10' }),
    }).addTarget(
      new targets.LambdaFunction(this.function, {
        retryAttempts: 0,
        deadLetterQueue: props.scheduleDeadLetters,
        maxEventAge: Duration.hours(1),
      }),
    );
  }

  private statements(props: ReporterProps): iam.PolicyStatement[] {
    const bucket = props.archiveBucket;
    return [
      new iam.PolicyStatement({
        sid: 'Athena',
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [props.catalog.workgroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'GlueCatalogRead',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: props.catalog.glueArns(REPORTED_TABLES),
      }),
      new iam.PolicyStatement({
        sid: 'ArchiveRead',
        actions: ['s3:GetObject'],
        resources: PREFIXES_READ_BY.reporter.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
      new iam.PolicyStatement({
        sid: 'ReportsWriteOnce',
        actions: ['s3:PutObject'],
        resources: prefixesWrittenBy('reporter').map((p) => bucket.arnForObjects(`${p}*`)),
      }),
      new iam.PolicyStatement({ sid: 'ArchiveList', actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [bucket.bucketArn] }),
      props.catalog.resultsStatement(),
      new iam.PolicyStatement({
        sid: 'Encrypt',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn],
      }),
      new iam.PolicyStatement({ sid: 'Notify', actions: ['sns:Publish'], resources: [props.alarmTopic.topicArn] }),
    ];
  }

  private acknowledgeGrants(props: ReporterProps): void {
    const objectKeys = 'Object keys are created at run time; the wildcard covers one archive prefix, nothing else.';
    const bucket = logicalIdOf(props.archiveBucket);
    acknowledge(this.role, {
      ...Object.fromEntries(PREFIXES_READ_BY.reporter.map((p) => [`AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${p}*]`, objectKeys])),
      [`AwsSolutions-IAM5[Resource::<${logicalIdOf(props.results)}.Arn>/results/*]`]:
        'Athena writes each query result under results/ with a generated name.',
    });
  }
}
