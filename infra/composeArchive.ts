/**
 * The archive side both layouts share: the query catalog, the auditor and legal-hold roles, the
 * reporter, the optional Security Lake export, and their outputs. The one-account stack and the
 * archive-account stack call these with their own keys and buckets.
 */
import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { DeployConfig } from './config.ts';
import type { ArchiveBuckets } from './constructs/ArchiveBuckets.ts';
import { functionRole } from './constructs/AuditFunction.ts';
import { AuditorAccess } from './constructs/AuditorAccess.ts';
import { LegalHoldAccess } from './constructs/LegalHoldAccess.ts';
import type { Notifications } from './constructs/Notifications.ts';
import { QueryCatalog } from './constructs/QueryCatalog.ts';
import { Reporter } from './constructs/Reporter.ts';
import { SecurityLakeExport } from './constructs/SecurityLakeExport.ts';
import type { KeyAdministrators } from './keyPolicies.ts';

export interface ArchiveParts {
  readonly config: DeployConfig;
  readonly admins: KeyAdministrators;
  /** Encrypts the archive, the results, the log groups and the topics of this stack. */
  readonly key: kms.Key;
  readonly buckets: ArchiveBuckets;
  readonly notifications: Notifications;
  readonly signingKey: kms.Key;
  readonly queriesDir?: string;
}

/** Catalog, auditor role, reporter (with its report key) and legal-hold role, over the archive of `parts`. */
export function composeArchiveReaders(stack: Stack, parts: ArchiveParts) {
  const { config, key, buckets, notifications } = parts;
  const catalog = new QueryCatalog(stack, 'Catalog', {
    config,
    archiveBucket: buckets.archive,
    results: buckets.results,
    key,
    ...(parts.queriesDir && { queriesDir: parts.queriesDir }),
  });
  const auditorRole = new AuditorAccess(stack, 'Auditors', {
    principals: config.auditorPrincipals,
    archiveBucket: buckets.archive,
    results: buckets.results,
    key,
    signingKey: parts.signingKey,
    catalog,
  }).role;
  const reporter = new Reporter(stack, 'Reporting', {
    config,
    admins: parts.admins,
    archiveBucket: buckets.archive,
    results: buckets.results,
    key,
    catalog,
    alarmTopic: notifications.alarmTopic,
    auditorRole,
    failures: notifications.failures,
    scheduleDeadLetters: notifications.scheduleDeadLetters,
  });
  const legalHoldRole = new LegalHoldAccess(stack, 'LegalHolds', {
    principals: config.legalHoldPrincipals,
    archiveBucket: buckets.archive,
    key,
  }).role;
  if (config.securityLake) composeSecurityLake(stack, parts, config.securityLake);
  return { catalog, auditorRole, reporter, legalHoldRole };
}

function composeSecurityLake(stack: Stack, parts: ArchiveParts, securityLake: NonNullable<DeployConfig['securityLake']>): void {
  const { role, logGroup } = functionRole(stack, {
    name: 'SecurityLakeExport',
    description: 'Intercom audit archive Security Lake export: reads chain-listed parts, writes only into Security Lake',
    key: parts.key,
    pins: { logs: 'securityLakeExportLogs', role: 'securityLakeExportRole' },
  });
  new SecurityLakeExport(stack, 'SecurityLake', {
    config: securityLake,
    archiveBucket: parts.buckets.archive,
    key: parts.key,
    signingKey: parts.signingKey,
    role,
    logGroup,
    failures: parts.notifications.failures,
    scheduleDeadLetters: parts.notifications.scheduleDeadLetters,
  });
}

/** What auditors, legal and `verify` are given. */
export function archiveOutputs(
  stack: Stack,
  parts: Pick<ArchiveParts, 'buckets' | 'signingKey'> & ReturnType<typeof composeArchiveReaders>,
): void {
  new CfnOutput(stack, 'ArchiveBucketName', { value: parts.buckets.archive.bucketName });
  new CfnOutput(stack, 'LegalHoldRoleArn', {
    value: parts.legalHoldRole.roleArn,
    description: 'audit-archive hold place|release|list runs with this role',
  });
  new CfnOutput(stack, 'AuditorRoleArn', { value: parts.auditorRole.roleArn });
  new CfnOutput(stack, 'ManifestSigningKeyArn', {
    value: parts.signingKey.keyArn,
    description: 'verify --kms-key-id; record its public key fingerprint',
  });
  new CfnOutput(stack, 'AthenaWorkgroup', { value: parts.catalog.workgroup.ref });
}
