/**
 * The two-account layout's archive side, deployed into the log-archive account with that
 * account's credentials: the buckets, the archive and signing keys, the catalog, the reporter, the
 * auditor and legal-hold roles and the tamper alarms. The collector (CollectorStack, workload
 * account) is named across accounts and gets only what it needs to write and sign; nothing in
 * the workload account may change a policy here.
 */
import { CfnOutput, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { archiveOutputs, composeArchiveReaders } from './composeArchive.ts';
import type { DeployConfig } from './config.ts';
import { ArchiveBuckets } from './constructs/ArchiveBuckets.ts';
import { ArchiveProtection } from './constructs/ArchiveProtection.ts';
import { serviceKey, signingKey } from './constructs/keys.ts';
import { Notifications } from './constructs/Notifications.ts';
import { OperationalAlarms } from './constructs/OperationalAlarms.ts';
import {
  type AccountAndRegion,
  ARCHIVE_KEY_ALIAS,
  MANIFEST_KEY_ALIAS,
  archiveBucketName,
  collectorPrincipal,
  collectorRoleArn,
  crossAccountArchiveKeyStatement,
  crossAccountCollectorStatements,
} from './crossAccount.ts';
import { administrators, warnOnGovernanceMode } from './deployment.ts';
import { SectionedStack } from './SectionedStack.ts';

export interface ArchiveStackProps extends StackProps {
  readonly config: DeployConfig;
  /** Where the collector runs. */
  readonly workload: AccountAndRegion;
  /** Folder of canned queries. @default queries/ of this repository */
  readonly queriesDir?: string;
}

export class ArchiveStack extends SectionedStack {
  readonly buckets: ArchiveBuckets;
  readonly key: kms.Key;
  readonly signingKey: kms.Key;

  constructor(scope: Construct, id: string, props: ArchiveStackProps) {
    super(scope, id, props);
    const { config, workload } = props;
    warnOnGovernanceMode(this, config);
    const { deploymentRoleArn, admins } = administrators(this, config);
    this.key = serviceKey(this, 'ArchiveKey', 'Encrypts the Intercom audit archive, query results, queues and alarms', admins);
    this.key.addToResourcePolicy(crossAccountArchiveKeyStatement(workload));
    new kms.Alias(this, 'ArchiveKeyAlias', { aliasName: ARCHIVE_KEY_ALIAS, targetKey: this.key });
    this.buckets = new ArchiveBuckets(this, 'Buckets', {
      config,
      key: this.key,
      archiveBucketName: archiveBucketName(this.archiveAccount()),
    });
    const notifications = new Notifications(this, 'Notifications', {
      key: this.key,
      ...(config.alarmEmail && { alarmEmail: config.alarmEmail }),
    });
    this.signingKey = signingKey(this, 'ManifestSigningKey', {
      description: 'Signs the Intercom audit archive manifest chain (only the collector may sign)',
      admins,
      signer: { sid: 'CollectorSigns', principal: collectorPrincipal(workload) },
    });
    new kms.Alias(this, 'ManifestSigningKeyAlias', { aliasName: MANIFEST_KEY_ALIAS, targetKey: this.signingKey });

    const parts = { config, admins, key: this.key, buckets: this.buckets, notifications, signingKey: this.signingKey };
    const readers = composeArchiveReaders(this, { ...parts, ...(props.queriesDir && { queriesDir: props.queriesDir }) });
    new OperationalAlarms(this, 'HealthAlarms', {
      config,
      topic: notifications.alarmTopic,
      failures: notifications.failures,
      scheduleDeadLetters: notifications.scheduleDeadLetters,
    });
    for (const statement of crossAccountCollectorStatements(this.buckets.archive, workload))
      this.buckets.archive.addToResourcePolicy(statement);
    new ArchiveProtection(this, 'Protection', {
      bucket: this.buckets.archive,
      writers: { collector: collectorRoleArn(workload), reporter: readers.reporter.role.roleArn, legalHold: readers.legalHoldRole.roleArn },
      deploymentRoleArn,
      keys: [this.key, this.signingKey, readers.reporter.signingKey],
      alarmTopic: notifications.alarmTopic,
    });
    archiveOutputs(this, { ...parts, ...readers });
    new CfnOutput(this, 'CollectorRoleArn', {
      value: collectorRoleArn(workload),
      description: 'The workload-account role this archive accepts writes and manifest signatures from',
    });
  }

  private archiveAccount(): AccountAndRegion {
    return { account: this.account, region: this.region };
  }
}
