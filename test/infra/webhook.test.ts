/**
 * The optional webhook receiver (webhook: true): a Function URL with auth NONE (acknowledged
 * narrowly), its own role writing only webhook/ and alerts/, the client secret readable only by
 * it, the bucket policy letting exactly that role write there, and the reconciliation's alarm.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/buildApp.ts';
import { ACCOUNT, type Template as Tpl, arnOfObject, evaluate, resolve, roleArn } from '../helpers/policyEval.ts';

process.env.CDK_DISABLE_VERSION_CHECK = '1';
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const example = cdkJson.context.auditArchive as Record<string, unknown>;
let outdir: string;
let json: Tpl & { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
let template: Template;
beforeAll(() => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'cdk-webhook-'));
  const { app, stack } = buildApp({
    context: {
      auditArchive: {
        ...example,
        workspaces: [
          { id: 'ws1', region: 'us' },
          { id: 'ws2', region: 'eu' },
        ],
        webhook: true,
      },
      'aws:cdk:bundling-stacks': [],
    },
    outdir,
  });
  app.synth();
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const archiveId = () => ofType('AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)![0];
const role = (prefix: string) => roleArn(ofType('AWS::IAM::Role').find(([id]) => id.startsWith(prefix))![0]);
const put = (principalArn: string, key: string) =>
  evaluate(json, archiveId(), {
    action: 's3:PutObject',
    resource: arnOfObject(json, archiveId(), key),
    principalArn,
    context: { 's3:if-none-match': '*', 's3:ObjectCreationOperation': 'true' },
  });
const webhookFunction = () => ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('WebhookFunction'))!;

describe('webhook receiver (webhook: true)', () => {
  it('passes cdk-nag and cfn-guard with only the narrow acknowledgements', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((p) => p.violations)).toEqual([]);
  });

  it('is a Function URL with auth NONE on a function with capped concurrency and a short timeout', () => {
    const [fnId, fn] = webhookFunction();
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] } });
    expect(fn.Properties).toMatchObject({ ReservedConcurrentExecutions: 5, Timeout: 10, Architectures: ['arm64'] });
    const env = fn.Properties.Environment.Variables;
    expect(JSON.parse(env.WEBHOOK_APPS)).toEqual({ ws1: 'ws1', ws2: 'ws2' });
    expect(env.RULES_FILE).toBe('rules/default-rules.yaml');
    expect(env.WEBHOOK_SECRET_ID).toEqual({
      Ref: ofType('AWS::SecretsManager::Secret').find(([id]) => id.startsWith('WebhookClientSecret'))![0],
    });
  });

  it('gives the receiver its own role that may put only under webhook/ and alerts/, never delete', () => {
    const [, policy] = ofType('AWS::IAM::Policy').find(
      ([, r]) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: 'WebhookRole875D6A6B' }]),
    )!;
    const statements = resolve(json, policy.Properties.PolicyDocument).Statement as any[];
    const puts = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(puts.flatMap((s) => [s.Resource].flat()).sort()).toEqual(
      [arnOfObject(json, archiveId(), 'alerts/*'), arnOfObject(json, archiveId(), 'webhook/*')].sort(),
    );
    expect(JSON.stringify(statements)).not.toMatch(/Delete|PutObjectRetention|PutObjectLegalHold|kms:Sign/);
  });

  it('lets the bucket policy admit exactly the receiver under webhook/, and receiver and collector under alerts/', () => {
    const webhook = role('WebhookRole');
    const collector = role('CollectorRole');
    expect(put(webhook, 'webhook/workspace=ws1/dt=2026-03-01/1772366400-1.json')).toBe('allow');
    expect(put(webhook, 'alerts/workspace=ws1/0123456789abcdef0123456789abcdef.json')).toBe('allow');
    expect(put(collector, 'alerts/workspace=ws1/0123456789abcdef0123456789abcdef.json')).toBe('allow');
    for (const key of ['manifests/workspace=ws1/000000000009.json', 'activity_logs/workspace=ws1/dt=2026-03-01/x.jsonl.gz', 'reports/x'])
      expect(put(webhook, key)).toBe('explicit-deny');
    expect(put(collector, 'webhook/workspace=ws1/dt=2026-03-01/1772366400-1.json')).toBe('explicit-deny');
    expect(put(`arn:aws:iam::${ACCOUNT}:role/Admin`, 'webhook/workspace=ws1/dt=2026-03-01/1772366400-1.json')).toBe('explicit-deny');
  });

  it('lets only the receiver read the client secret, and decrypt it only through Secrets Manager', () => {
    const [secretId] = ofType('AWS::SecretsManager::Secret').find(([id]) => id.startsWith('WebhookClientSecret'))!;
    const [, rp] = ofType('AWS::SecretsManager::ResourcePolicy').find(([, r]) => r.Properties.SecretId.Ref === secretId)!;
    expect(resolve(json, rp.Properties.ResourcePolicy).Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'secretsmanager:GetSecretValue',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': role('WebhookRole') } },
      }),
    ]);
    const keys = ofType('AWS::KMS::Key').map(([, k]) => JSON.stringify(resolve(json, k.Properties.KeyPolicy)));
    expect(keys.some((k) => k.includes('WebhookReceiverReadsClientSecret') && k.includes('kms:ViaService'))).toBe(true);
  });

  it('reconciles after each collector run and alarms on an unmatched id and on receiver errors', () => {
    const [, collector] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Collector'))!;
    expect(collector.Properties.Environment.Variables.WEBHOOK_RECONCILE_LOOKBACK_SECONDS).toBe(String(7 * 86_400));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'WebhookUnmatched',
      Dimensions: [{ Name: 'service', Value: 'collector' }],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'WebhookErrors',
      Dimensions: [{ Name: 'service', Value: 'webhook' }],
    });
  });
});
