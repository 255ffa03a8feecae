/**
 * The one-account layout: one stack holding the locked archive, the scheduled collector, the
 * query catalog, the reporter, the auditor and legal-hold roles, and the alarms — composed below
 * from the sections under constructs/, in the order their policies need each other. Each section
 * keeps the logical ids the first version gave its resources (SectionedStack.ts), and every
 * stateful one is pinned (statefulLogicalIds.ts).
 *
 * To add a construct (a per-workspace fan-out, a webhook receiver…), create it in
 * `composeExtensions` with what it needs from `parts`.
 */
import { CfnOutput, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.ts';
import { ArchiveBuckets } from './constructs/ArchiveBuckets.ts';
import { ArchiveProtection } from './constructs/ArchiveProtection.ts';
import { functionRole } from './constructs/AuditFunction.ts';
import { AuditorAccess } from './constructs/AuditorAccess.ts';
import { Collector } from './constructs/Collector.ts';
import { CollectorRole } from './constructs/CollectorRole.ts';
import { keyGrant, serviceKey, signingKey } from './constructs/keys.ts';
import { LegalHoldAccess } from './constructs/LegalHoldAccess.ts';
import { Notifications } from './constructs/Notifications.ts';
import { OperationalAlarms } from './constructs/OperationalAlarms.ts';
import { QueryCatalog } from './constructs/QueryCatalog.ts';
import { Reporter } from './constructs/Reporter.ts';
import { SecurityLakeExport } from './constructs/SecurityLakeExport.ts';
import { SiemFeed } from './constructs/SiemFeed.ts';
import { SECRET_NAME_PREFIX, TokenSecrets } from './constructs/TokenSecrets.ts';
import { administrators, warnOnGovernanceMode } from './deployment.ts';
import type { KeyAdministrators } from './keyPolicies.ts';
import { SectionedStack } from './SectionedStack.ts';
import { pinStateful } from './statefulLogicalIds.ts';

export { LAMBDA_RUNTIME } from './constructs/AuditFunction.ts';

export interface AuditArchiveStackProps extends StackProps {
  readonly config: DeployConfig;
  /** Folder of canned queries, one named query per `.sql` file. @default queries/ of this repository */
  readonly queriesDir?: string;
}

/** What the composed sections offer a construct added to the stack. */
export interface StackParts {
  readonly config: DeployConfig;
  readonly key: kms.Key;
  readonly buckets: ArchiveBuckets;
  readonly notifications: Notifications;
  readonly collectorRole: iam.Role;
  readonly collector: Collector;
  readonly signingKey: kms.Key;
}

export class AuditArchiveStack extends SectionedStack {
  readonly archiveBucket: s3.Bucket;
  readonly collector: Collector;
  readonly auditorRole: iam.Role;
  readonly key: kms.Key;
  readonly alarmTopic: sns.Topic;
  readonly signingKey: kms.Key;
  readonly tokensKey: kms.Key;
  /** Signs report packs; only the reporter may use it. */
  readonly reportSigningKey: kms.Key;
  readonly legalHoldRole: iam.Role;
  /** The role CloudFormation deploys with: the only one that may change bucket administration and key policies. */
  readonly deploymentRoleArn: string;

  constructor(scope: Construct, id: string, props: AuditArchiveStackProps) {
    super(scope, id, props);
    const { config } = props;
    warnOnGovernanceMode(this, config);
    const { deploymentRoleArn, admins } = administrators(this, config);
    this.deploymentRoleArn = deploymentRoleArn;
    this.key = serviceKey(this, 'ArchiveKey', 'Encrypts the Intercom audit archive, query results, queues and alarms', admins);
    pinStateful(this.key, 'archiveKey');
    const buckets = new ArchiveBuckets(this, 'Buckets', { config, key: this.key });
    this.archiveBucket = buckets.archive;
    const tokens = new TokenSecrets(this, 'Tokens', { workspaces: config.workspaces, admins });
    this.tokensKey = tokens.key;
    const notifications = new Notifications(this, 'Notifications', {
      key: this.key,
      ...(config.alarmEmail && { alarmEmail: config.alarmEmail }),
    });
    this.alarmTopic = notifications.alarmTopic;

    const { collectorRole, signingKey: manifestKey, collector } = this.composeCollector(config, admins, { buckets, tokens, notifications });
    this.signingKey = manifestKey;
    this.collector = collector;

    const catalog = new QueryCatalog(this, 'Catalog', {
      config,
      archiveBucket: buckets.archive,
      results: buckets.results,
      key: this.key,
      ...(props.queriesDir && { queriesDir: props.queriesDir }),
    });
    this.auditorRole = new AuditorAccess(this, 'Auditors', {
      principals: config.auditorPrincipals,
      archiveBucket: buckets.archive,
      results: buckets.results,
      key: this.key,
      signingKey: this.signingKey,
      catalog,
    }).role;
    new OperationalAlarms(this, 'HealthAlarms', {
      config,
      topic: this.alarmTopic,
      failures: notifications.failures,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
      collector: this.collector.function,
    });
    const reporter = new Reporter(this, 'Reporting', {
      config,
      admins,
      archiveBucket: buckets.archive,
      results: buckets.results,
      key: this.key,
      catalog,
      alarmTopic: this.alarmTopic,
      auditorRole: this.auditorRole,
      failures: notifications.failures,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
    });
    this.reportSigningKey = reporter.signingKey;

    const parts: StackParts = {
      config,
      key: this.key,
      buckets,
      notifications,
      collectorRole,
      collector: this.collector,
      signingKey: this.signingKey,
    };
    this.composeFeeds(parts);
    this.composeExtensions(parts);

    this.legalHoldRole = new LegalHoldAccess(this, 'LegalHolds', {
      principals: config.legalHoldPrincipals,
      archiveBucket: buckets.archive,
      key: this.key,
    }).role;
    tokens.readableOnlyBy(collectorRole.roleArn);
    new ArchiveProtection(this, 'Protection', {
      bucket: buckets.archive,
      writers: { collector: collectorRole.roleArn, reporter: reporter.role.roleArn, legalHold: this.legalHoldRole.roleArn },
      deploymentRoleArn,
      keys: [this.key, this.signingKey, this.tokensKey, this.reportSigningKey],
      alarmTopic: this.alarmTopic,
      secretNamePrefix: SECRET_NAME_PREFIX,
    });
    this.addOutputs(catalog, tokens);
  }

  /** The collector's role, the manifest key that names it as the only signer, and the scheduled function. */
  private composeCollector(
    config: DeployConfig,
    admins: KeyAdministrators,
    { buckets, tokens, notifications }: { buckets: ArchiveBuckets; tokens: TokenSecrets; notifications: Notifications },
  ) {
    const { role: collectorRole, logGroup } = new CollectorRole(this, 'CollectorAccess', {
      archiveBucket: buckets.archive,
      archiveKey: keyGrant(this.key),
      logsKey: this.key,
      secretRefs: tokens.secretRefs,
    });
    const manifestKey = signingKey(this, 'ManifestSigningKey', {
      description: 'Signs the Intercom audit archive manifest chain (only the collector may sign)',
      admins,
      signer: { sid: 'CollectorSigns', principal: new iam.ArnPrincipal(collectorRole.roleArn) },
    });
    pinStateful(manifestKey, 'manifestSigningKey');
    const collector = new Collector(this, 'CollectorRun', {
      config,
      role: collectorRole,
      logGroup,
      archiveBucketName: buckets.archive.bucketName,
      signingKey: keyGrant(manifestKey),
      key: this.key,
      failures: notifications.failures,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
      workspaces: tokens.secrets.map(({ workspace, secret }) => ({ workspace, secretRef: secret.ref })),
    });
    return { collectorRole, signingKey: manifestKey, collector };
  }

  /** Optional feeds, each in its own construct. */
  private composeFeeds(parts: StackParts): void {
    const { config } = parts;
    if (config.siemFeed) {
      const feed = new SiemFeed(this, 'SiemFeed', {
        key: parts.key,
        publisher: parts.collectorRole,
        archiveBucket: parts.buckets.archive,
        alarmTopic: parts.notifications.alarmTopic,
      });
      this.collector.function.addEnvironment('SIEM_FEED_TOPIC_ARN', feed.topic.topicArn);
    }
    if (config.securityLake) {
      const { role, logGroup } = functionRole(this, {
        name: 'SecurityLakeExport',
        description: 'Intercom audit archive Security Lake export: reads chain-listed parts, writes only into Security Lake',
        key: parts.key,
        pins: { logs: 'securityLakeExportLogs', role: 'securityLakeExportRole' },
      });
      new SecurityLakeExport(this, 'SecurityLake', {
        config: config.securityLake,
        archiveBucket: parts.buckets.archive,
        key: parts.key,
        signingKey: parts.signingKey,
        role,
        logGroup,
        failures: parts.notifications.failures,
        scheduleDeadLetters: parts.notifications.scheduleDeadLetters,
      });
    }
  }

  /** Constructs added by later features: one line each, wired from `parts`. */
  private composeExtensions(_parts: StackParts): void {}

  private addOutputs(catalog: QueryCatalog, tokens: TokenSecrets): void {
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archiveBucket.bucketName });
    new CfnOutput(this, 'LegalHoldRoleArn', {
      value: this.legalHoldRole.roleArn,
      description: 'audit-archive hold place|release|list runs with this role',
    });
    new CfnOutput(this, 'AuditorRoleArn', { value: this.auditorRole.roleArn });
    new CfnOutput(this, 'ManifestSigningKeyArn', {
      value: this.signingKey.keyArn,
      description: 'verify --kms-key-id; record its public key fingerprint',
    });
    new CfnOutput(this, 'AthenaWorkgroup', { value: catalog.workgroup.ref });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.collector.alertsTopic.topicArn });
    new CfnOutput(this, 'AlertsBusName', { value: this.collector.alertsBus.eventBusName });
    tokens.addOutputs();
  }
}
