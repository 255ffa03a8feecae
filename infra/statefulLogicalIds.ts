/**
 * The logical ids of every resource whose replacement would lose data, protection or history —
 * pinned with `overrideLogicalId`, so moving a resource to another construct can never make
 * CloudFormation replace it. A replaced Object Lock bucket cannot even be deleted; a replaced key
 * orphans every object and signature made with it; a replaced bucket or secret policy is deleted
 * after its successor was written, leaving no policy; a named secret, log group, Glue table,
 * workgroup or event bus cannot be created again under its name while the old one exists; a
 * replaced role or topic changes the ARN auditors, operators and subscribers were given.
 *
 * These are the ids the first, single-construct stack allocated. `test/infra/logical-ids.test.ts`
 * asserts them as literals: change one only with a migration plan.
 */
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export const STATEFUL_LOGICAL_IDS = {
  archiveBucket: 'ArchiveDA4CB258',
  archiveBucketPolicy: 'ArchivePolicyC780D5C8',
  accessLogsBucket: 'AccessLogs8B620ECA',
  accessLogsBucketPolicy: 'AccessLogsPolicyABDC4D2D',
  resultsBucket: 'AthenaResults99A60126',
  resultsBucketPolicy: 'AthenaResultsPolicyC1D66A19',
  archiveKey: 'ArchiveKeyDC5BCBC1',
  manifestSigningKey: 'ManifestSigningKeyAE17DA81',
  reportSigningKey: 'ReportSigningKey3B4D9415',
  tokensKey: 'TokensKeyD0FAD977',
  collectorLogs: 'CollectorLogs893ABD2A',
  reporterLogs: 'ReporterLogs8D5B1623',
  securityLakeExportLogs: 'SecurityLakeExportLogs8A703A6E',
  collectorFailures: 'CollectorFailures082FD770',
  scheduleDeadLetters: 'ScheduleDeadLetters0406ECBC',
  alarmTopic: 'Alarms04B5A0BF',
  alertsTopic: 'Alerts91F83244',
  alertsBus: 'AlertsBus2B35B2D8',
  database: 'Database',
  activityLogsTable: 'ActivityLogsTable',
  activityLogsView: 'ActivityLogsView',
  quarantineTable: 'QuarantineTable',
  teammateRostersTable: 'TeammateRostersTable',
  archiveIndexTable: 'ArchiveIndexTable',
  workgroup: 'Workgroup',
  collectorRole: 'CollectorRole8FF99B37',
  reporterRole: 'ReporterRole5C911FF3',
  auditorRole: 'AuditorRoleB9C8BBB2',
  legalHoldRole: 'LegalHoldRole7919F99E',
  securityLakeExportRole: 'SecurityLakeExportRole651860A5',
  siemFeedTopic: 'SiemFeedTopicAC8FB115',
  siemFeedQueue: 'SiemFeedQueue6FDC99AB',
  siemFeedDeadLetters: 'SiemFeedDeadLettersD34A78AC',
} as const;

export type StatefulResource = keyof typeof STATEFUL_LOGICAL_IDS;

/** The token secret of a workspace, and its resource policy (`Token-<id>` with the non-alphanumerics dropped). */
export function tokenSecretLogicalIds(workspaceId: string): { secret: string; policy: string } {
  const id = `Token${workspaceId.replace(/[^A-Za-z0-9]/g, '')}`;
  return { secret: id, policy: `${id}Policy` };
}

/** Pins the logical id of `construct`'s CloudFormation resource (the construct itself or its default child). */
export function pinLogicalId(construct: IConstruct, logicalId: string): void {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource to pin`);
  resource.overrideLogicalId(logicalId);
}

/** Pins `construct` to the id listed for `name`. */
export function pinStateful(construct: IConstruct, name: StatefulResource): void {
  pinLogicalId(construct, STATEFUL_LOGICAL_IDS[name]);
}
