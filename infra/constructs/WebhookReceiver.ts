/**
 * The optional webhook receiver (`webhook: true`): a Lambda behind a Function URL that Intercom
 * posts `admin.activity_log_event.created` notifications to. It raises live alerts at once and
 * records each received id under `webhook/`; the collector reconciles those ids with what the
 * poll archived after every run (`WebhookUnmatched`, alarmed).
 *
 * The Function URL's auth type is NONE: Intercom cannot sign AWS (SigV4) requests. The request
 * is authenticated by its X-Hub-Signature HMAC (the app's client secret, in Secrets Manager,
 * readable only by this function's role) before anything is parsed or written. Reserved
 * concurrency caps what a flood of forged requests can cost.
 */
import path from 'node:path';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { prefixesWrittenBy } from '../../lambdas/contract.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../lambdas/handlers/constants.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface WebhookReceiverProps {
  readonly archiveBucket: s3.IBucket;
  /** The archive key (sent records and received ids are encrypted with it). */
  readonly key: kms.IKey;
  /** The key the Intercom secrets are encrypted with; this role may decrypt through Secrets Manager only. */
  readonly secretsKey: kms.Key;
  /** A role that may write only its own log group, and that log group. */
  readonly role: iam.Role;
  readonly logGroup: logs.ILogGroup;
  readonly runtime: lambda.Runtime;
  /** Workspace ids; each is also the Intercom app_id its notifications carry. */
  readonly workspaceIds: readonly string[];
  /** The alert rules bundled with the function (the collector's file); undefined: ids are only recorded. */
  readonly rulesPath?: string;
  readonly alertsTopic: sns.ITopic;
  readonly alertsBus: events.IEventBus;
  readonly alertMaxAgeSeconds: number;
  readonly alarmTopic: sns.ITopic;
  /** The collector, which reconciles after each run (it reads `webhook/`). */
  readonly collector: lambda.Function;
  readonly collectorRole: iam.IRole;
  /** Name prefix of the Intercom secrets (tamper alarms watch it). */
  readonly secretNamePrefix: string;
  /**
   * How far back each collector run reconciles received ids with the archive.
   * @default 7 days - a longer lookback lists more of `webhook/` per run (one LIST per day)
   */
  readonly reconcileLookback?: Duration;
  /**
   * Concurrent receivers at most: forged floods are throttled (429) instead of billed.
   * @default 5 - Intercom sends one notification per entry; five cover hundreds a second
   */
  readonly reservedConcurrency?: number;
}

export class WebhookReceiver extends Construct {
  readonly function: NodejsFunction;
  readonly url: lambda.FunctionUrl;
  readonly secret: secretsmanager.CfnSecret;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    this.secret = this.clientSecret(props);
    this.grant(props);
    this.function = this.receiver(props);
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    Validations.of(this.url).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_function_url_auth_check',
      reason:
        'Intercom cannot sign AWS (SigV4) requests. Each request is authenticated by its X-Hub-Signature HMAC with the app client secret before anything is parsed or written; concurrency is capped.',
    });
    // The permissions CDK adds for an auth-NONE URL: public invocation through the URL only.
    for (const permission of ['invoke-function-url', 'invoke-function'])
      Validations.of(this.function.node.findChild(permission)).acknowledge({
        id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
        reason:
          'Intercom calls the Function URL from the internet without AWS credentials; invocation is limited to the URL (auth type NONE), and the X-Hub-Signature HMAC authenticates each request.',
      });
    props.collector.addEnvironment('WEBHOOK_RECONCILE_LOOKBACK_SECONDS', String((props.reconcileLookback ?? Duration.days(7)).toSeconds()));
    this.alarms = this.alarmsOn(props);
    new CfnOutput(this, 'Url', { value: this.url.url, description: 'Intercom Developer Hub → Webhooks: the endpoint URL' });
    new CfnOutput(this, 'ClientSecretArn', {
      value: this.secret.ref,
      description: "Set the Intercom app's client secret here (Developer Hub → Basic information)",
    });
  }

  private clientSecret(props: WebhookReceiverProps): secretsmanager.CfnSecret {
    const secret = new secretsmanager.CfnSecret(this, 'ClientSecret', {
      name: `${props.secretNamePrefix}webhook/client-secret`,
      description: "The Intercom app's client secret: verifies X-Hub-Signature on webhook notifications",
      kmsKeyId: props.secretsKey.keyArn,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The client secret is issued by Intercom (Developer Hub); Secrets Manager cannot rotate it.',
    });
    new secretsmanager.CfnResourcePolicy(this, 'ClientSecretPolicy', {
      secretId: secret.ref,
      blockPublicPolicy: true,
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OnlyTheWebhookReceiverReadsTheSecret',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'secretsmanager:GetSecretValue',
            Resource: '*',
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': props.role.roleArn } },
          },
        ],
      },
    });
    return secret;
  }

  /** Least privilege: read the chain and alert state, write only webhook/ and alerts/ (create-only, by the bucket policy). */
  private grant(props: WebhookReceiverProps): void {
    const { role, archiveBucket: bucket } = props;
    const statement = (sid: string, actions: string[], resources: string[]) =>
      role.addToPolicy(new iam.PolicyStatement({ sid, actions, resources }));
    statement('ReadClientSecret', ['secretsmanager:GetSecretValue'], [this.secret.ref]);
    statement(
      'ArchiveRead',
      ['s3:GetObject'],
      ['manifests/*', 'alerts/*', 'webhook/*'].map((p) => bucket.arnForObjects(p)),
    );
    statement(
      'WriteOnceReceivedIdsAndSentAlerts',
      ['s3:PutObject'],
      prefixesWrittenBy('webhook').map((p) => bucket.arnForObjects(`${p}*`)),
    );
    statement('ArchiveList', ['s3:ListBucket'], [bucket.bucketArn]);
    statement('Encrypt', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [props.key.keyArn]);
    statement('PublishAlerts', ['sns:Publish'], [props.alertsTopic.topicArn]);
    statement('PutAlertEvents', ['events:PutEvents'], [props.alertsBus.eventBusArn]);
    props.secretsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WebhookReceiverReadsClientSecret',
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    props.collectorRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReconcileWebhookIds', actions: ['s3:GetObject'], resources: [bucket.arnForObjects('webhook/*')] }),
    );
    const logicalId = (c: Construct) => Stack.of(this).resolve((c.node.defaultChild as unknown as { logicalId: string }).logicalId);
    const bucketId = logicalId(bucket);
    const keys = 'Object keys are created at run time; each wildcard covers one archive prefix.';
    for (const p of ['manifests', 'alerts', 'webhook'])
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}/*]`, reason: keys });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.logGroup)}.Arn>:*]`,
      reason: 'Log streams of the webhook log group are created by Lambda at run time.',
    });
    Validations.of(props.collectorRole).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/webhook/*]`, reason: keys });
  }

  private receiver(props: WebhookReceiverProps): NodejsFunction {
    const rulesPath = props.rulesPath;
    const fn = new NodejsFunction(this, 'Function', {
      entry: path.join(ROOT, 'lambdas/handlers/webhookEntry.ts'),
      handler: 'handler',
      runtime: props.runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Intercom gives up on a slow endpoint; a request that takes longer than this is cut off (and retried by Intercom).
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      role: props.role,
      logGroup: props.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ARCHIVE_BUCKET: props.archiveBucket.bucketName,
        WEBHOOK_SECRET_ID: this.secret.ref,
        WEBHOOK_APPS: JSON.stringify(Object.fromEntries(props.workspaceIds.map((w) => [w, w]))),
        ...(rulesPath && { RULES_FILE: `rules/${path.basename(rulesPath)}` }),
        ALERTS_TOPIC_ARN: props.alertsTopic.topicArn,
        ALERTS_BUS_NAME: props.alertsBus.eventBusName,
        ALERT_MAX_AGE_SECONDS: String(props.alertMaxAgeSeconds),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.webhook,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
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
          afterBundling: (_in: string, out: string) => (rulesPath ? [`mkdir -p "${out}/rules"`, `cp "${rulesPath}" "${out}/rules/"`] : []),
        },
      },
    });
    Validations.of(fn).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: 'The receiver is reached from the internet through its Function URL and only calls AWS APIs; a VPC protects nothing here.',
    });
    return fn;
  }

  private alarmsOn(props: WebhookReceiverProps): cloudwatch.Alarm[] {
    const metric = (metricName: string, service: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: 'Sum',
        period: Duration.minutes(15),
      });
    const alarm = (alarmId: string, alarmDescription: string, m: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription,
        metric: m,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const alarms = [
      alarm(
        'Unmatched',
        'The webhook announced entries the poll has not archived within the lookback: a gap in what the Intercom API serves (the collector log names each id)',
        metric('WebhookUnmatched', SERVICE_NAMES.collector),
      ),
      alarm(
        'Errors',
        'The webhook receiver could not deliver alerts or read its secret or the archive (Intercom retries; the poll still alerts)',
        metric('WebhookErrors', SERVICE_NAMES.webhook),
      ),
    ];
    for (const a of alarms) a.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
    return alarms;
  }
}
