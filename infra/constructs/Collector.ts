/**
 * The scheduled collector: the function, its schedule, the manifest signature and head-receipt
 * grants, and the live alerts it raises (validated rules bundled beside it, an encrypted topic and
 * an event bus). Its role comes from CollectorRole.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import type { CollectorEnvironment, RuntimeEnvironment } from '../../lambdas/environment.ts';
import { HEAD_RECEIPT_DETAIL_TYPE, HEAD_RECEIPT_SOURCE, METRICS_NAMESPACE, SERVICE_NAMES } from '../../lambdas/handlers/constants.ts';
import type { DeployConfig } from '../config.ts';
import { StackSection } from '../SectionedStack.ts';
import { pinStateful } from '../statefulLogicalIds.ts';
import { AuditFunction, ROOT } from './AuditFunction.ts';
import { type KeyGrant, keyGrantStatement } from './keys.ts';
import type { Workspace } from './TokenSecrets.ts';

export interface CollectorProps {
  readonly config: DeployConfig;
  readonly role: iam.Role;
  readonly logGroup: logs.ILogGroup;
  readonly archiveBucketName: string;
  /** The manifest signing key. */
  readonly signingKey: KeyGrant;
  /** Encrypts the alerts topic. */
  readonly key: kms.IKey;
  readonly failures: sqs.IQueue;
  readonly scheduleDeadLetters: sqs.IQueue;
  /** Each workspace with the secret holding its token. */
  readonly workspaces: readonly { readonly workspace: Workspace; readonly secretRef: string }[];
}

export class Collector extends StackSection {
  readonly function: AuditFunction;
  readonly alertsTopic: sns.Topic;
  readonly alertsBus: events.EventBus;

  constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const { config, role } = props;
    role.addToPolicy(keyGrantStatement('SignManifests', ['kms:Sign', 'kms:GetPublicKey'], props.signingKey));
    // Head receipts go to the account's default bus, from where an operator routes them out of the account.
    // Only events with this source and detail type: the collector cannot impersonate anything else there.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishHeadReceipts',
        actions: ['events:PutEvents'],
        resources: [Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        conditions: { StringEquals: { 'events:source': HEAD_RECEIPT_SOURCE, 'events:detail-type': HEAD_RECEIPT_DETAIL_TYPE } },
      }),
    );
    const rulesPath = checkedRulesFile(config);
    this.alertsTopic = new sns.Topic(this, 'Alerts', {
      masterKey: props.key,
      enforceSSL: true,
      displayName: 'Intercom teammate activity alerts',
    });
    pinStateful(this.alertsTopic, 'alertsTopic');
    if (config.alarmEmail) this.alertsTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    this.alertsBus = new events.EventBus(this, 'AlertsBus', {
      eventBusName: `${Stack.of(this).stackName}-alerts`,
      description: 'Alerts on risky Intercom teammate actions (source intercom-audit-archive); subscribe a SIEM here',
    });
    pinStateful(this.alertsBus, 'alertsBus');
    role.addToPolicy(new iam.PolicyStatement({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [this.alertsTopic.topicArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'PutAlertEvents', actions: ['events:PutEvents'], resources: [this.alertsBus.eventBusArn] }),
    );

    this.function = new AuditFunction(this, 'Collector', {
      entry: 'lambdas/handlers/collectorEntry.ts',
      role,
      logGroup: props.logGroup,
      failures: props.failures,
      memorySize: 1024,
      timeout: Duration.minutes(config.collectorTimeoutMinutes),
      environment: this.environment(props, rulesPath),
      copyBeside: (outputDir) => (rulesPath ? [`mkdir -p "${outputDir}/rules"`, `cp "${rulesPath}" "${outputDir}/rules/"`] : []),
      outsideVpcReason:
        'The collector only calls Intercom over HTTPS and AWS APIs; a VPC would add NAT gateways (cost, another egress path) and protect nothing here.',
    });
    // No retries: a failed run is reported, and the next scheduled run continues from the checkpoint.
    new events.Rule(this, 'CollectorSchedule', {
      schedule: events.Schedule.expression(config.schedule),
      description: 'Runs the Intercom audit archive collector',
    }).addTarget(
      new targets.LambdaFunction(this.function, {
        retryAttempts: 0,
        deadLetterQueue: props.scheduleDeadLetters,
        maxEventAge: Duration.minutes(10),
      }),
    );
  }

  private environment(props: CollectorProps, rulesPath: string | undefined) {
    const { config } = props;
    return {
      ARCHIVE_BUCKET: props.archiveBucketName,
      WORKSPACES: JSON.stringify(
        props.workspaces.map(({ workspace, secretRef }) => ({ id: workspace.id, region: workspace.region, secretId: secretRef })),
      ),
      RETENTION_YEARS: `${config.retentionYears}`,
      OBJECT_LOCK_MODE: config.objectLockMode,
      SIGNING_KEY_ID: props.signingKey.keyId,
      ...(rulesPath && { RULES_FILE: `rules/${path.basename(rulesPath)}` }),
      ALERTS_TOPIC_ARN: this.alertsTopic.topicArn,
      ALERTS_BUS_NAME: this.alertsBus.eventBusName,
      ALERT_MAX_AGE_SECONDS: `${config.alertMaxAgeHours * 3600}`,
      ...(config.backfillFrom && { BACKFILL_FROM: config.backfillFrom }),
      DEADLINE_MARGIN_SECONDS: '120',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.collector,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    } satisfies CollectorEnvironment & RuntimeEnvironment;
  }
}

/** Alert rules are checked at synth, so a bad rules file fails with the rule and field named. */
function checkedRulesFile(config: DeployConfig): string | undefined {
  if (config.rulesFile === null) return undefined;
  const rulesPath = path.resolve(ROOT, config.rulesFile);
  let rulesText: string;
  try {
    rulesText = readFileSync(rulesPath, 'utf8');
  } catch {
    throw new ConfigurationError(`auditArchive.rulesFile: cannot read '${config.rulesFile}'`);
  }
  parseRules(rulesText, config.rulesFile);
  return rulesPath;
}
