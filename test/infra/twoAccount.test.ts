import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixesWrittenBy } from '../../lambdas/contract.ts';
import { buildApp } from '../../infra/buildApp.ts';
import { parseDeployConfig } from '../../infra/config.ts';
import { ACCOUNT, REGION, arnOfObject, evaluate, resolve } from '../helpers/policyEval.ts';

process.env.CDK_DISABLE_VERSION_CHECK = '1';
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const example = cdkJson.context.auditArchive as Record<string, unknown>;
const WORKLOAD = '444455556666';
const layout = { archiveAccount: { account: ACCOUNT, region: REGION }, workloadAccount: { account: WORKLOAD, region: REGION } };
const COLLECTOR = `arn:aws:iam::${WORKLOAD}:role/intercom-audit-archive-collector`;
const WORKLOAD_ADMIN = `arn:aws:iam::${WORKLOAD}:role/Admin`;
const outdirs: string[] = [];
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

type Tpl = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
let built: ReturnType<typeof buildApp>;
let archive: Tpl;
let collector: Tpl;
beforeAll(() => {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'cdk-two-'));
  outdirs.push(outdir);
  built = buildApp({ context: { auditArchive: { ...example, ...layout } }, outdir });
  built.app.synth(); // cdk-nag and cfn-guard on both stacks: any unacknowledged finding throws
  [archive, collector] = built.stacks.map((s) => Template.fromStack(s).toJSON() as Tpl) as [Tpl, Tpl];
});

const ofType = (t: Tpl, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const archiveId = () => ofType(archive, 'AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)![0];

/** Every statement of every resource policy and trust policy in the archive account's template, resolved. */
function resourcePolicyStatements(): { source: string; st: any }[] {
  const out: { source: string; st: any }[] = [];
  for (const [id, r] of Object.entries(archive.Resources)) {
    const docs = [r.Properties.PolicyDocument, r.Properties.KeyPolicy, r.Properties.AssumeRolePolicyDocument].filter(Boolean);
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') continue; // identity policies of archive roles
    for (const doc of docs) for (const st of list(resolve(archive, doc).Statement) as any[]) out.push({ source: id, st });
  }
  return out;
}
const namesWorkload = (st: any) => JSON.stringify(st.Principal ?? {}).includes(WORKLOAD);

describe('two-account layout (archiveAccount + workloadAccount)', () => {
  it('synthesizes an archive stack in the archive account and a collector stack in the workload account, with no reference between them', () => {
    expect(built.stacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['IntercomAuditArchive-Archive', ACCOUNT, REGION],
      ['IntercomAuditArchive-Collector', WORKLOAD, REGION],
    ]);
    for (const s of built.stacks) expect(s.dependencies).toEqual([]);
    expect(JSON.stringify([archive, collector])).not.toContain('Fn::ImportValue');
  });

  it('keeps the archive, its keys, catalog, reporter and roles in the archive account and the collector and tokens in the workload account', () => {
    expect(ofType(archive, 'AWS::S3::Bucket')).toHaveLength(3);
    expect(
      ofType(archive, 'AWS::KMS::Key')
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['ArchiveKey', 'ManifestSigningKey', 'ReportSigningKey']);
    expect(ofType(archive, 'AWS::Athena::WorkGroup')).toHaveLength(1);
    expect(ofType(archive, 'AWS::Glue::Table').length).toBeGreaterThanOrEqual(5);
    expect(ofType(archive, 'AWS::Lambda::Function').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['Reporter']);
    expect(ofType(archive, 'AWS::SecretsManager::Secret')).toEqual([]);

    expect(ofType(collector, 'AWS::Lambda::Function').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['Collector']);
    expect(ofType(collector, 'AWS::SecretsManager::Secret')).toHaveLength(1);
    for (const type of ['AWS::S3::Bucket', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) expect(ofType(collector, type)).toEqual([]);
    expect(
      ofType(collector, 'AWS::KMS::Key')
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['OperationsKey', 'TokensKey']);
  });

  it('lets the workload account in only as the collector role, on the collector prefixes, the manifest key (sign) and the archive key (through S3)', () => {
    const granted = resourcePolicyStatements().filter(({ st }) => st.Effect === 'Allow' && namesWorkload(st));
    expect(granted.map(({ st }) => st.Sid).sort()).toEqual([
      'CollectorEncryptsThroughS3',
      'CollectorListsFromWorkloadAccount',
      'CollectorSigns',
      'CollectorWritesFromWorkloadAccount',
    ]);
    for (const { st } of granted) expect(st.Condition.ArnEquals['aws:PrincipalArn']).toBe(COLLECTOR);
    const bySid = Object.fromEntries(granted.map(({ source, st }) => [st.Sid, { source, st }]));
    expect(bySid.CollectorSigns!.source).toMatch(/^ManifestSigningKey/);
    expect(list(bySid.CollectorSigns!.st.Action).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign']);
    expect(bySid.CollectorEncryptsThroughS3!.source).toMatch(/^ArchiveKey/);
    expect(bySid.CollectorEncryptsThroughS3!.st.Condition.StringEquals).toEqual({ 'kms:ViaService': `s3.${REGION}.amazonaws.com` });
    expect(list(bySid.CollectorWritesFromWorkloadAccount!.st.Resource).sort()).toEqual(
      prefixesWrittenBy('collector')
        .map((p) => arnOfObject(archive, archiveId(), `${p}*`))
        .sort(),
    );
  });

  it('gives no workload-account principal a right to change a policy, key, retention or role in the archive account', () => {
    const allowed = new Set([
      's3:PutObject',
      's3:GetObject',
      's3:ListBucket',
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:Sign',
      'kms:GetPublicKey',
      'kms:DescribeKey',
    ]);
    const toWorkload = resourcePolicyStatements().filter(({ st }) => st.Effect === 'Allow' && namesWorkload(st));
    const actions = toWorkload.flatMap(({ st }) => list(st.Action) as string[]);
    expect(actions.filter((a) => !allowed.has(a))).toEqual([]);
    // No role of the archive account may be assumed from the workload account.
    for (const [, role] of ofType(archive, 'AWS::IAM::Role'))
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).not.toContain(WORKLOAD);
    // Bucket administration stays with the archive account's own CloudFormation role.
    const admin = resourcePolicyStatements().find(({ st }) => st.Sid === 'DenyBucketAdministrationExceptDeployment')!.st;
    expect(admin.Condition.ArnNotEquals['aws:PrincipalArn']).toContain(`-${ACCOUNT}-`);
  });

  describe('an administrator of the workload account', () => {
    const put = (
      principalArn: string,
      key: string,
      context: Record<string, string> = { 's3:if-none-match': '*', 's3:ObjectCreationOperation': 'true' },
    ) =>
      evaluate(archive, archiveId(), { action: 's3:PutObject', resource: arnOfObject(archive, archiveId(), key), principalArn, context });
    const act = (principalArn: string, action: string, key?: string) =>
      evaluate(archive, archiveId(), {
        action,
        resource: key === undefined ? `arn:aws:s3:::${archiveId().toLowerCase()}` : arnOfObject(archive, archiveId(), key),
        principalArn,
      });

    it('gets nothing from the archive as any principal but the collector role', () => {
      // The per-prefix deny names the collector role alone, whatever the workload account's IAM says.
      expect(put(WORKLOAD_ADMIN, 'manifests/workspace=abc123de/000000000009.json')).toBe('explicit-deny');
      expect(act(WORKLOAD_ADMIN, 's3:GetObject', 'reports/quarter=2026-Q1/manifest.json')).toBe('implicit-deny');
      expect(act(WORKLOAD_ADMIN, 's3:ListBucket')).toBe('implicit-deny');
    });

    it('as the collector role writes new objects only, under the collector prefixes, and cannot delete, re-lock, hold or administer', () => {
      expect(put(COLLECTOR, 'manifests/workspace=abc123de/000000000009.json')).toBe('allow');
      expect(put(COLLECTOR, 'manifests/workspace=abc123de/000000000001.json', { 's3:ObjectCreationOperation': 'true' })).toBe(
        'explicit-deny',
      );
      expect(put(COLLECTOR, 'reports/quarter=2026-Q1/manifest.json')).toBe('explicit-deny');
      expect(put(COLLECTOR, 'holds/forged/place.json')).toBe('explicit-deny');
      expect(act(COLLECTOR, 's3:GetObject', 'reports/quarter=2026-Q1/manifest.json')).toBe('implicit-deny');
      for (const action of [
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:PutObjectRetention',
        's3:BypassGovernanceRetention',
        's3:PutObjectLegalHold',
      ])
        expect(act(COLLECTOR, action, 'manifests/workspace=abc123de/000000000001.json'), action).toBe('explicit-deny');
      for (const action of [
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:PutLifecycleConfiguration',
        's3:PutBucketVersioning',
        's3:DeleteBucket',
      ])
        expect(act(COLLECTOR, action), action).toBe('explicit-deny');
    });
  });

  it('has the collector name the archive bucket by name and the keys by alias ARN in the archive account', () => {
    const [, fn] = ofType(collector, 'AWS::Lambda::Function')[0]!;
    const env = resolve(collector, fn.Properties.Environment.Variables);
    expect(env.ARCHIVE_BUCKET).toBe(`intercom-audit-archive-${ACCOUNT}-${REGION}`);
    expect(env.SIGNING_KEY_ID).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:alias/intercom-audit-archive/manifest-signing`);
    const [, role] = ofType(collector, 'AWS::IAM::Role').find(([id]) => id.startsWith('CollectorRole'))!;
    expect(role.Properties.RoleName).toBe('intercom-audit-archive-collector');
    const aliases = ofType(archive, 'AWS::KMS::Alias')
      .map(([, a]) => a.Properties.AliasName)
      .sort();
    expect(aliases).toEqual(['alias/intercom-audit-archive/archive', 'alias/intercom-audit-archive/manifest-signing']);
    const [, bucket] = ofType(archive, 'AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)!;
    expect(bucket.Properties.BucketName).toBe(env.ARCHIVE_BUCKET);
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it.each([
    [{ archiveAccount: layout.archiveAccount }, /auditArchive\.workloadAccount: required with archiveAccount/],
    [{ workloadAccount: layout.workloadAccount }, /auditArchive\.workloadAccount: set archiveAccount too/],
    [{ ...layout, workloadAccount: { account: ACCOUNT, region: REGION } }, /archiveAccount\.account: must differ/],
    [
      { ...layout, workloadAccount: { account: WORKLOAD, region: 'us-east-1' } },
      /archiveAccount\.region: must equal workloadAccount\.region/,
    ],
    [{ ...layout, siemFeed: true }, /auditArchive\.siemFeed: not available in the two-account layout/],
    [{ ...layout, webhook: true }, /auditArchive\.webhook: not available in the two-account layout/],
    [
      { ...layout, deploymentRoleArn: 'arn:aws:iam::111122223333:role/Deployer' },
      /auditArchive\.deploymentRoleArn: not available in the two-account/,
    ],
    [{ archiveAccount: { account: '123', region: REGION } }, /auditArchive\.archiveAccount\.account: a 12-digit AWS account id/],
  ])('rejects an inconsistent layout, naming the key (%o)', (extra, message) => {
    expect(() => parseDeployConfig({ workspaces: [{ id: 'a', region: 'us' }], ...extra })).toThrow(message);
  });
});
