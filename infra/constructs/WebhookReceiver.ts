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
import { Aws, CfnOutput, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { prefixesWrittenBy } from '../../lambdas/contract.ts';
import {
  COLLECTOR_METRICS,
  PREFIXES_READ_BY,
  type RuntimeEnvironment,
  WEBHOOK_METRICS,
  type WebhookEnvironment,
} from '../../lambdas/environment.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../../lambdas/handlers/constants.ts';
import { acknowledge, bucketArnInFinding } from '../acknowledge.ts';
import { pinStateful } from '../statefulLogicalIds.ts';
import { alarmOn, collectorMetric } from './alarm.ts';
import { LAMBDA_RUNTIME, ROOT, functionRole } from './AuditFunction.ts';
import type { Collector } from './Collector.ts';
import { SECRET_NAME_PREFIX } from './TokenSecrets.ts';
import type { DeployConfig } from '../config.ts';

export interface WebhookReceiverProps {
  readonly archiveBucket: s3.IBucket;
  /** The archive key (sent records and received ids are encrypted with it; it also encrypts the log group). */
  readonly key: kms.IKey;
  /** The key the Intercom secrets are encrypted with; the receiver may decrypt through Secrets Manager only. */
  readonly secretsKey: kms.Key;
  /** Workspace ids; each is also the Intercom app_id its notifications carry. */
  readonly workspaceIds: readonly string[];
  /** The alert rules file bundled with the collector (absolute path); undefined: ids are only recorded. */
  readonly rulesPath?: string;
  readonly alertMaxAgeSeconds: number;
  readonly alarmTopic: sns.ITopic;
  /** The collector: its alerts topic and bus, and the reconciliation after each run (it reads `webhook/`). */
  readonly collector: Collector;
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
  readonly role: iam.Role;
  readonly function: NodejsFunction;
  readonly url: lambda.FunctionUrl;
  readonly secret: secretsmanager.CfnSecret;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const { role, logGroup } = functionRole(this, {
      name: 'Receiver',
      description: 'Intercom audit archive webhook receiver: raises live alerts, writes only webhook/ and alerts/',
      key: props.key,
      pins: { logs: 'webhookLogs', role: 'webhookRole' },
    });
    this.role = role;
    this.secret = this.clientSecret(props);
    this.grant(props);
    this.function = this.receiver(props, logGroup);
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    acknowledge(this.url, {
      'cdk-validator-cfnguard::lambda_function_url_auth_check':
        'Intercom cannot sign AWS (SigV4) requests. Each request is authenticated by its X-Hub-Signature HMAC with the app client secret before anything is parsed or written; concurrency is capped.',
    });
    // The permissions CDK adds for an auth-NONE URL: public invocation through the URL only.
    for (const permission of ['invoke-function-url', 'invoke-function'])
      acknowledge(this.function.node.findChild(permission), {
        'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check':
          'Intercom calls the Function URL from the internet without AWS credentials; invocation is limited to the URL (auth type NONE), and the X-Hub-Signature HMAC authenticates each request.',
      });
    props.collector.function.addEnvironment(
      'WEBHOOK_RECONCILE_LOOKBACK_SECONDS',
      String((props.reconcileLookback ?? Duration.days(7)).toSeconds()),
    );
    this.alarms = [
      alarmOn(this, 'Unmatched', {
        description:
          'The webhook announced entries the poll has not archived within the lookback: a gap in what the Intercom API serves (the collector log names each id)',
        metric: collectorMetric(COLLECTOR_METRICS.webhookUnmatched, 'Sum', Duration.minutes(15)),
        topic: props.alarmTopic,
      }),
      alarmOn(this, 'Errors', {
        description:
          'The webhook receiver could not deliver alerts or read its secret or the archive (Intercom retries; the poll still alerts)',
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: WEBHOOK_METRICS.errors,
          dimensionsMap: { service: SERVICE_NAMES.webhook },
          statistic: 'Sum',
          period: Duration.minutes(15),
        }),
        topic: props.alarmTopic,
      }),
    ];
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
    pinStateful(secret, 'webhookClientSecret');
    acknowledge(secret, {
      'AwsSolutions-SMG4': 'The client secret is issued by Intercom (Developer Hub); Secrets Manager cannot rotate it.',
    });
    const policy = new secretsmanager.CfnResourcePolicy(this, 'ClientSecretPolicy', {
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
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': this.role.roleArn } },
          },
        ],
      },
    });
    pinStateful(policy, 'webhookClientSecretPolicy');
    return secret;
  }

  /** Least privilege: read the chain and alert state, write only webhook/ and alerts/ (create-only, by the bucket policy). */
  private grant(props: WebhookReceiverProps): void {
    const { role } = this;
    const bucket = props.archiveBucket;
    const statement = (sid: string, actions: string[], resources: string[]) =>
      role.addToPolicy(new iam.PolicyStatement({ sid, actions, resources }));
    statement('ReadClientSecret', ['secretsmanager:GetSecretValue'], [this.secret.ref]);
    statement(
      'ArchiveRead',
      ['s3:GetObject'],
      PREFIXES_READ_BY.webhook.map((p) => bucket.arnForObjects(`${p}*`)),
    );
    statement(
      'WriteOnceReceivedIdsAndSentAlerts',
      ['s3:PutObject'],
      prefixesWrittenBy('webhook').map((p) => bucket.arnForObjects(`${p}*`)),
    );
    statement('ArchiveList', ['s3:ListBucket'], [bucket.bucketArn]);
    statement('Encrypt', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [props.key.keyArn]);
    statement('PublishAlerts', ['sns:Publish'], [props.collector.alertsTopic.topicArn]);
    statement('PutAlertEvents', ['events:PutEvents'], [props.collector.alertsBus.eventBusArn]);
    props.secretsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WebhookReceiverReadsClientSecret',
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    props.collectorRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReconcileWebhookIds', actions: ['s3:GetObject'], resources: [bucket.arnForObjects('webhook/*')] }),
    );
    const keys = 'Object keys are created at run time; each wildcard covers one archive prefix.';
    const finding = (p: string) => `AwsSolutions-IAM5[Resource::${bucketArnInFinding(bucket)}/${p}*]`;
    acknowledge(role, Object.fromEntries([...PREFIXES_READ_BY.webhook, ...prefixesWrittenBy('webhook')].map((p) => [finding(p), keys])));
    acknowledge(props.collectorRole, { [finding('webhook/')]: keys });
  }

  private receiver(props: WebhookReceiverProps, logGroup: logs.ILogGroup): NodejsFunction {
    const rulesPath = props.rulesPath;
    const fn = new NodejsFunction(this, 'Function', {
      entry: path.join(ROOT, 'lambdas/handlers/webhookEntry.ts'),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // A request that takes longer is cut off (a slow body included); Intercom retries a failed notification.
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ARCHIVE_BUCKET: props.archiveBucket.bucketName,
        WEBHOOK_SECRET_ID: this.secret.ref,
        WEBHOOK_APPS: JSON.stringify(Object.fromEntries(props.workspaceIds.map((w) => [w, w]))),
        ...(rulesPath && { RULES_FILE: `rules/${path.basename(rulesPath)}` }),
        ALERTS_TOPIC_ARN: props.collector.alertsTopic.topicArn,
        ALERTS_BUS_NAME: props.collector.alertsBus.eventBusName,
        ALERT_MAX_AGE_SECONDS: `${props.alertMaxAgeSeconds}`,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.webhook,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      } satisfies WebhookEnvironment & RuntimeEnvironment,
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
    acknowledge(fn, {
      'cdk-validator-cfnguard::lambda_inside_vpc_check':
        'The receiver is reached from the internet through its Function URL and only calls AWS APIs; a VPC protects nothing here.',
    });
    return fn;
  }
}

/** The receiver wired from the stack's parts (`webhook: true`). */
export function webhookReceiver(
  scope: Construct,
  parts: {
    readonly config: DeployConfig;
    readonly key: kms.IKey;
    readonly tokensKey: kms.Key;
    readonly buckets: { readonly archive: s3.IBucket };
    readonly notifications: { readonly alarmTopic: sns.ITopic };
    readonly collector: Collector;
    readonly collectorRole: iam.IRole;
  },
): WebhookReceiver {
  const { config } = parts;
  return new WebhookReceiver(scope, 'Webhook', {
    archiveBucket: parts.buckets.archive,
    key: parts.key,
    secretsKey: parts.tokensKey,
    workspaceIds: config.workspaces.map((w) => w.id),
    ...(config.rulesFile !== null && { rulesPath: path.resolve(ROOT, config.rulesFile) }),
    alertMaxAgeSeconds: config.alertMaxAgeHours * 3600,
    alarmTopic: parts.notifications.alarmTopic,
    collector: parts.collector,
    collectorRole: parts.collectorRole,
    secretNamePrefix: SECRET_NAME_PREFIX,
  });
}
