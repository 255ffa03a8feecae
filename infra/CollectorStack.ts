/**
 * The two-account layout's workload side, deployed into the workload account with that
 * account's credentials: the collector, its schedule, the token secrets, live alerts and the
 * operational alarms. It names the archive bucket and keys of ArchiveStack by their fixed names;
 * its role (a fixed name) is what the archive account's policies accept.
 */
import { CfnOutput, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.ts';
import { Collector } from './constructs/Collector.ts';
import { CollectorRole } from './constructs/CollectorRole.ts';
import { aliasGrant, serviceKey } from './constructs/keys.ts';
import { Notifications } from './constructs/Notifications.ts';
import { OperationalAlarms } from './constructs/OperationalAlarms.ts';
import { PerWorkspaceCollection } from './constructs/PerWorkspaceCollection.ts';
import { TamperAlarms } from './constructs/TamperAlarms.ts';
import { SECRET_NAME_PREFIX, TokenSecrets } from './constructs/TokenSecrets.ts';
import { type AccountAndRegion, ARCHIVE_KEY_ALIAS, COLLECTOR_ROLE_NAME, MANIFEST_KEY_ALIAS, archiveBucketName } from './crossAccount.ts';
import { administrators } from './deployment.ts';
import { SectionedStack } from './SectionedStack.ts';

export interface CollectorStackProps extends StackProps {
  readonly config: DeployConfig;
  /** Where the archive is (ArchiveStack). */
  readonly archive: AccountAndRegion;
}

export class CollectorStack extends SectionedStack {
  readonly collector: Collector;

  constructor(scope: Construct, id: string, props: CollectorStackProps) {
    super(scope, id, props);
    const { config, archive } = props;
    const { admins } = administrators(this, config);
    const key = serviceKey(this, 'OperationsKey', "Encrypts the collector's logs, queues and alarm topics", admins);
    const tokens = new TokenSecrets(this, 'Tokens', { workspaces: config.workspaces, admins });
    const notifications = new Notifications(this, 'Notifications', { key, ...(config.alarmEmail && { alarmEmail: config.alarmEmail }) });
    const bucketName = archiveBucketName(archive);
    const { role, logGroup } = new CollectorRole(this, 'CollectorAccess', {
      archiveBucket: s3.Bucket.fromBucketName(this, 'ArchiveBucket', bucketName),
      archiveKey: aliasGrant(archive.account, archive.region, ARCHIVE_KEY_ALIAS),
      logsKey: key,
      secretRefs: tokens.secretRefs,
      roleName: COLLECTOR_ROLE_NAME,
    });
    this.collector = new Collector(this, 'CollectorRun', {
      config,
      role,
      logGroup,
      archiveBucketName: bucketName,
      signingKey: aliasGrant(archive.account, archive.region, MANIFEST_KEY_ALIAS),
      key,
      failures: notifications.failures,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
      workspaces: tokens.secrets.map(({ workspace, secret }) => ({ workspace, secretRef: secret.ref })),
    });
    new OperationalAlarms(this, 'HealthAlarms', {
      config,
      topic: notifications.alarmTopic,
      failures: notifications.failures,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
      collector: this.collector.function,
    });
    // One run per workspace, serialised per workspace and parallel across them (issue 22).
    new PerWorkspaceCollection(this, 'PerWorkspace', {
      config,
      key,
      collector: this.collector.function,
      alarmTopic: notifications.alarmTopic,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
    });
    tokens.readableOnlyBy(role.roleArn);
    new TamperAlarms(this, 'TamperAlarms', {
      keys: [key, tokens.key],
      topic: notifications.alarmTopic,
      secretNamePrefix: SECRET_NAME_PREFIX,
    });
    new CfnOutput(this, 'CollectorRoleArn', { value: role.roleArn });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.collector.alertsTopic.topicArn });
    new CfnOutput(this, 'AlertsBusName', { value: this.collector.alertsBus.eventBusName });
    tokens.addOutputs();
  }
}
