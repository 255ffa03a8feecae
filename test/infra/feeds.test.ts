import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/buildApp.ts';
import { parseDeployConfig } from '../../infra/config.ts';

process.env.CDK_DISABLE_VERSION_CHECK = '1';
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const example = cdkJson.context.auditArchive as Record<string, unknown>;
const outdirs: string[] = [];
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

const securityLake = {
  bucket: 'aws-security-data-lake-eu-west-1-abcdef',
  region: 'eu-west-1',
  accountId: '123456789012',
  sources: { authentication: 'intercomAuth', account_change: 'intercomAccount' },
  providerRoleArn: 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-intercomAuth-eu-west-1',
  providerRoleArns: { account_change: 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-intercomAccount-eu-west-1' },
  externalId: 'intercom-audit-archive',
};

let template: Template;
let json: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
beforeAll(() => {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'cdk-feeds-'));
  outdirs.push(outdir);
  // The Security Lake function is bundled in Docker (DuckDB's native binary); the test skips bundling.
  const { app, stack } = buildApp({
    context: { auditArchive: { ...example, siemFeed: true, securityLake }, 'aws:cdk:bundling-stacks': [] },
    outdir,
  });
  app.synth(); // cdk-nag and cfn-guard: any unacknowledged finding throws
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
});

const resources = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const archiveId = () => resources('AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)![0];
const policyOf = (prefix: string) =>
  JSON.stringify(
    resources('AWS::IAM::Policy')
      .filter(([id]) => id.startsWith(prefix))
      .map(([, r]) => r.Properties.PolicyDocument),
  );

describe('SIEM feed (siemFeed: true)', () => {
  it('is an SNS topic with a KMS-encrypted SQS queue subscribed by raw delivery, and a dead-letter queue', () => {
    const topics = resources('AWS::SNS::Topic').filter(([id]) => id.startsWith('SiemFeed'));
    expect(topics).toHaveLength(1);
    expect(topics[0]![1].Properties.KmsMasterKeyId).toBeDefined();
    const queues = resources('AWS::SQS::Queue').filter(([id]) => id.startsWith('SiemFeed'));
    expect(queues).toHaveLength(2);
    for (const [, q] of queues) expect(q.Properties.KmsMasterKeyId).toBeDefined();
    const main = queues.find(([, q]) => q.Properties.RedrivePolicy)!;
    expect(main[1].Properties).toMatchObject({ VisibilityTimeout: 300, RedrivePolicy: { maxReceiveCount: 5 } });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      TopicArn: { Ref: topics[0]![0] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('dead-letter queue') });
  });

  it('lets SNS encrypt into the queues with the archive key', () => {
    const [, key] = resources('AWS::KMS::Key').find(([, r]) => r.Properties.EnableKeyRotation)!;
    const statements = key.Properties.KeyPolicy.Statement.filter((s: any) =>
      JSON.stringify(s.Principal ?? {}).includes('sns.amazonaws.com'),
    );
    expect(statements.length).toBeGreaterThan(0);
    expect(JSON.stringify(statements)).toContain('kms:GenerateDataKey');
  });

  it('lets the collector publish to the feed topic and tells it the topic', () => {
    const topicId = resources('AWS::SNS::Topic').find(([id]) => id.startsWith('SiemFeed'))![0];
    expect(policyOf('CollectorRoleDefaultPolicy')).toContain(
      `{"Action":"sns:Publish","Effect":"Allow","Resource":{"Ref":"${topicId}"},"Sid":"PublishSiemFeed"}`,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ SIEM_FEED_TOPIC_ARN: { Ref: topicId } }) },
      // Issue 22: one run per workspace at a time (its FIFO message group), plus one for an operator event.
      ReservedConcurrentExecutions: (example.workspaces as unknown[]).length + 1,
    });
  });

  it('adds no bucket notification: announcements come only from signed manifests', () => {
    const archive = json.Resources[archiveId()]!.Properties;
    expect(archive.NotificationConfiguration).toBeUndefined();
    expect(resources('Custom::S3BucketNotifications')).toHaveLength(0);
  });

  it('offers a reader policy that reads the queue and activity_logs/ only, and never writes', () => {
    const [, policy] = resources('AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith('SiemFeedReaderPolicy'))!;
    const text = JSON.stringify(policy.Properties.PolicyDocument);
    expect(text).toContain('/activity_logs/*');
    expect(text).not.toMatch(/s3:Put|s3:Delete|sqs:SendMessage|kms:Encrypt/);
  });

  it('is absent by default', () => {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'cdk-feeds-'));
    outdirs.push(outdir);
    const { stack } = buildApp({ context: { auditArchive: example, 'aws:cdk:bundling-stacks': [] }, outdir });
    const t = Template.fromStack(stack).toJSON() as typeof json;
    expect(Object.keys(t.Resources).some((id) => id.startsWith('SiemFeed') || id.startsWith('SecurityLake'))).toBe(false);
  });
});

describe('Security Lake export (securityLake context)', () => {
  const exportFunction = () =>
    resources('AWS::Lambda::Function').find(([, r]) => r.Properties.Environment?.Variables?.SECURITY_LAKE_BUCKET)!;

  it('runs a daily job, one at a time, with the custom-source settings', () => {
    const [id, fn] = exportFunction();
    expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], ReservedConcurrentExecutions: 1, Timeout: 900 });
    expect(fn.Properties.Environment.Variables).toMatchObject({
      SECURITY_LAKE_BUCKET: securityLake.bucket,
      SECURITY_LAKE_REGION: 'eu-west-1',
      SECURITY_LAKE_ACCOUNT_ID: '123456789012',
      SECURITY_LAKE_SOURCES: JSON.stringify(securityLake.sources),
      SECURITY_LAKE_PROVIDER_ROLE_ARN: securityLake.providerRoleArn,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } })]),
    });
  });

  it('reads the archive and never writes into it; writes into Security Lake only through the provider role', () => {
    const text = policyOf('SecurityLakeExportRole');
    expect(text).toContain('sts:AssumeRole');
    expect(text).toContain(securityLake.providerRoleArn);
    expect(text).toContain(securityLake.providerRoleArns.account_change);
    expect(text).toMatch(/"s3:GetObject"/);
    expect(text).not.toMatch(/s3:PutObject|s3:Delete/);
    expect(text).toContain(archiveId());
  });

  it('reads the signing public key through the key policy, and cannot sign', () => {
    const [, key] = resources('AWS::KMS::Key').find(([, r]) => r.Properties.KeySpec === 'RSA_3072')!;
    const statement = key.Properties.KeyPolicy.Statement.find((s: { Sid?: string }) => s.Sid === 'SecurityLakeExportReadsPublicKey');
    expect([...statement.Action].sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey']);
  });

  it('rejects a bad securityLake context, naming each key', () => {
    expect(() =>
      parseDeployConfig({ ...example, securityLake: { ...securityLake, accountId: '12', sources: { dns_activity: 'x' } } }),
    ).toThrow(/auditArchive\.securityLake\.accountId: a 12-digit AWS account id[\s\S]*auditArchive\.securityLake\.sources/);
  });
});
