import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/buildApp.ts';

process.env.CDK_DISABLE_VERSION_CHECK = '1';
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const example = cdkJson.context.auditArchive as Record<string, unknown>;
const outdirs: string[] = [];
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});
const outdir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdk-ids-'));
  outdirs.push(dir);
  return dir;
};

const securityLake = {
  bucket: 'aws-security-data-lake-eu-west-1-abcdef',
  region: 'eu-west-1',
  accountId: '123456789012',
  providerRoleArn: 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-intercomAuth-eu-west-1',
  externalId: 'intercom-audit-archive',
};

/**
 * The ids the first (single-construct) stack gave its stateful resources, as literals: a
 * refactoring that changes one would make CloudFormation replace a locked bucket, a key, a named
 * secret, a log group, a role whose ARN auditors hold, or a policy (deleted after its successor).
 */
const PINNED: Record<string, string> = {
  ArchiveDA4CB258: 'AWS::S3::Bucket',
  ArchivePolicyC780D5C8: 'AWS::S3::BucketPolicy',
  AccessLogs8B620ECA: 'AWS::S3::Bucket',
  AccessLogsPolicyABDC4D2D: 'AWS::S3::BucketPolicy',
  AthenaResults99A60126: 'AWS::S3::Bucket',
  AthenaResultsPolicyC1D66A19: 'AWS::S3::BucketPolicy',
  ArchiveKeyDC5BCBC1: 'AWS::KMS::Key',
  ManifestSigningKeyAE17DA81: 'AWS::KMS::Key',
  ReportSigningKey3B4D9415: 'AWS::KMS::Key',
  TokensKeyD0FAD977: 'AWS::KMS::Key',
  Tokenws1: 'AWS::SecretsManager::Secret',
  Tokenws1Policy: 'AWS::SecretsManager::ResourcePolicy',
  Tokenws2: 'AWS::SecretsManager::Secret',
  Tokenws2Policy: 'AWS::SecretsManager::ResourcePolicy',
  CollectorLogs893ABD2A: 'AWS::Logs::LogGroup',
  ReporterLogs8D5B1623: 'AWS::Logs::LogGroup',
  SecurityLakeExportLogs8A703A6E: 'AWS::Logs::LogGroup',
  CollectorFailures082FD770: 'AWS::SQS::Queue',
  ScheduleDeadLetters0406ECBC: 'AWS::SQS::Queue',
  SiemFeedQueue6FDC99AB: 'AWS::SQS::Queue',
  SiemFeedDeadLettersD34A78AC: 'AWS::SQS::Queue',
  Alarms04B5A0BF: 'AWS::SNS::Topic',
  Alerts91F83244: 'AWS::SNS::Topic',
  SiemFeedTopicAC8FB115: 'AWS::SNS::Topic',
  AlertsBus2B35B2D8: 'AWS::Events::EventBus',
  Database: 'AWS::Glue::Database',
  ActivityLogsTable: 'AWS::Glue::Table',
  ActivityLogsView: 'AWS::Glue::Table',
  QuarantineTable: 'AWS::Glue::Table',
  TeammateRostersTable: 'AWS::Glue::Table',
  ArchiveIndexTable: 'AWS::Glue::Table',
  Workgroup: 'AWS::Athena::WorkGroup',
  CollectorRole8FF99B37: 'AWS::IAM::Role',
  ReporterRole5C911FF3: 'AWS::IAM::Role',
  AuditorRoleB9C8BBB2: 'AWS::IAM::Role',
  LegalHoldRole7919F99E: 'AWS::IAM::Role',
  SecurityLakeExportRole651860A5: 'AWS::IAM::Role',
};
const STATEFUL_TYPES = new Set(Object.values(PINNED));

type Tpl = { Resources: Record<string, { Type: string }> };
let oneAccount: { stackName: string; template: Tpl };
beforeAll(() => {
  const { stack } = buildApp({
    context: {
      auditArchive: {
        ...example,
        workspaces: [
          { id: 'ws1', region: 'us' },
          { id: 'ws-2', region: 'eu' },
        ],
        siemFeed: true,
        securityLake,
      },
      'aws:cdk:bundling-stacks': [],
    },
    outdir: outdir(),
  });
  oneAccount = { stackName: stack.stackName, template: Template.fromStack(stack).toJSON() as Tpl };
});

describe('stateful logical ids (one-account layout)', () => {
  it('keeps the stack name', () => {
    expect(oneAccount.stackName).toBe('IntercomAuditArchive');
  });

  it.each(Object.entries(PINNED))('keeps %s as a %s', (id, type) => {
    expect(oneAccount.template.Resources[id]?.Type).toBe(type);
  });

  it('pins every resource of a stateful type (a new one must be added to the list, and pinned)', () => {
    const stateful = Object.entries(oneAccount.template.Resources)
      .filter(([, r]) => STATEFUL_TYPES.has(r.Type))
      .map(([id]) => id)
      .sort();
    expect(stateful).toEqual(Object.keys(PINNED).sort());
  });
});
