/**
 * The archive's server-side protection, read from the synthesized template: create-only puts,
 * one writer per prefix, administrative changes denied or alarmed, key and secret policies,
 * legal hold — and a policy evaluation showing what S3 would decide for each attack.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, CliCredentialsStackSynthesizer } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_PREFIXES, ARCHIVE_PREFIX_WRITERS, type ArchiveWriter, prefixesWrittenBy } from '../../lambdas/contract.ts';
import { DATA_ROOT, MANIFEST_ROOT, QUARANTINE_ROOT } from '../../lambdas/core/archive/keys.ts';
import { SIGNATURE_ROOT } from '../../lambdas/core/signing/signatures.ts';
import { HOLD_ROOT } from '../../lambdas/core/holds/holds.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { AuditArchiveStack } from '../../infra/AuditArchiveStack.ts';
import { buildApp } from '../../infra/buildApp.ts';
import { parseDeployConfig } from '../../infra/config.ts';
import { KEY_ADMIN_ACTIONS, MIN_KEY_DELETION_DAYS } from '../../infra/keyPolicies.ts';
import { BUCKET_TAMPER_EVENTS, KEY_TAMPER_EVENTS, LEGAL_HOLD_EVENTS, SECRET_TAMPER_EVENTS } from '../../infra/constructs/TamperAlarms.ts';
import { ACCOUNT, REGION, type Template as Tpl, arnOfObject, evaluate, resolve, roleArn } from '../helpers/policyEval.ts';

process.env.CDK_DISABLE_VERSION_CHECK = '1';
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const example = cdkJson.context.auditArchive as Record<string, unknown>;
const outdirs: string[] = [];
const outdir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdk-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

const BREAK_GLASS = 'arn:aws:iam::123456789012:role/BreakGlassKeyAdmin';
const HOLDER = 'arn:aws:iam::123456789012:role/LegalCounsel';
let json: Tpl & { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
beforeAll(() => {
  const { app, stack } = buildApp({
    context: {
      auditArchive: {
        ...example,
        workspaces: [
          { id: 'ws1', region: 'us' },
          { id: 'ws2', region: 'eu' },
        ],
        legalHoldPrincipals: [HOLDER],
      },
    },
    outdir: outdir(),
  });
  app.synth(); // cdk-nag and cfn-guard: throws on any unacknowledged finding
  json = Template.fromStack(stack).toJSON() as typeof json;
});

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const idOf = (type: string, prefix: string) => ofType(type).find(([id]) => id.startsWith(prefix))![0];
const archiveId = () => ofType('AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)![0];
const role = (prefix: string) => roleArn(idOf('AWS::IAM::Role', prefix));
const bucketStatements = () => {
  const [, policy] = ofType('AWS::S3::BucketPolicy').find(([, r]) => r.Properties.Bucket.Ref === archiveId())!;
  return list(resolve(json, policy.Properties.PolicyDocument).Statement) as any[];
};
const sid = (name: string) => bucketStatements().find((st) => st.Sid === name);
const objectArn = (key: string) => arnOfObject(json, archiveId(), key);
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
const WRITER_ROLE: Record<Exclude<ArchiveWriter, 'webhook'>, string> = {
  collector: 'CollectorRole',
  reporter: 'ReporterRole',
  legalHold: 'LegalHoldRole',
};
const CREATE_ONLY = { 's3:if-none-match': '*', 's3:ObjectCreationOperation': 'true' };
const put = (principalArn: string, key: string, context: Record<string, string> = CREATE_ONLY) =>
  evaluate(json, archiveId(), { action: 's3:PutObject', resource: objectArn(key), principalArn, context });

describe('the archive contract', () => {
  it('lists every key root the core writes under, each with its writer', () => {
    for (const root of [DATA_ROOT, QUARANTINE_ROOT, MANIFEST_ROOT, SIGNATURE_ROOT, 'alerts/', 'reports/', HOLD_ROOT])
      expect(ARCHIVE_PREFIXES).toContain(root);
    expect(prefixesWrittenBy('collector')).toEqual([
      'activity_logs/',
      'quarantine/',
      'manifests/',
      'signatures/',
      'keys/',
      'index/',
      'rosters/',
      'alerts/',
    ]);
    expect(prefixesWrittenBy('reporter')).toEqual(['reports/']);
    expect(prefixesWrittenBy('legalHold')).toEqual(['holds/']);
    expect(prefixesWrittenBy('webhook')).toEqual(['alerts/', 'webhook/']);
  });
});

describe('archive bucket policy', () => {
  it('denies every object-creating put without If-None-Match, exempting the multipart steps as AWS documents', () => {
    expect(sid('DenyPutWithoutIfNoneMatch')).toEqual({
      Sid: 'DenyPutWithoutIfNoneMatch',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: objectArn('*'),
      Condition: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
    });
  });

  it('denies puts under each prefix to every principal but the writers the contract names', () => {
    const arnOf = (w: ArchiveWriter) => (w === 'webhook' ? undefined : role(WRITER_ROLE[w]));
    const expected = new Map<string, { writers: string[]; resources: string[] }>();
    for (const prefix of ARCHIVE_PREFIXES) {
      const writers = (ARCHIVE_PREFIX_WRITERS[prefix] as readonly ArchiveWriter[]).map(arnOf).filter((a): a is string => a !== undefined);
      const key = writers.join(',');
      const entry = expected.get(key) ?? { writers, resources: [] };
      entry.resources.push(objectArn(`${prefix}*`));
      expected.set(key, entry);
    }
    const denies = bucketStatements().filter((st) => /^DenyPut(Except|ToAbsent)/.test(st.Sid));
    expect(
      denies
        .map((st) => ({
          writers: list(st.Condition?.ArnNotEquals?.['aws:PrincipalArn']),
          resources: (list(st.Resource) as string[]).sort(),
        }))
        .sort((a, b) => a.writers.join().localeCompare(b.writers.join())),
    ).toEqual(
      [...expected.values()]
        .map((e) => ({ ...e, resources: e.resources.sort() }))
        .sort((a, b) => a.writers.join().localeCompare(b.writers.join())),
    );
    for (const st of denies) expect(st).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
    // webhook/ has no writer in this deployment: nobody may put there.
    expect(sid('DenyPutToAbsentWriters')).toMatchObject({ Resource: objectArn('webhook/*') });
    expect(sid('DenyPutToAbsentWriters')).not.toHaveProperty('Condition');
    expect(sid('DenyPutOutsideListedPrefixes')).toEqual({
      Sid: 'DenyPutOutsideListedPrefixes',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      NotResource: expect.arrayContaining(ARCHIVE_PREFIXES.map((p) => objectArn(`${p}*`))),
    });
    expect(sid('DenyPutOutsideListedPrefixes').NotResource).toHaveLength(ARCHIVE_PREFIXES.length);
  });

  it('denies legal holds to everyone but the legal-hold role', () => {
    expect(sid('DenyLegalHoldExceptLegalHoldRole')).toEqual({
      Sid: 'DenyLegalHoldExceptLegalHoldRole',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObjectLegalHold',
      Resource: objectArn('*'),
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': role('LegalHoldRole') } },
    });
  });

  it('denies lifecycle, policy and versioning changes to everyone but the deployment role, and keeps the Object Lock deny', () => {
    expect(sid('DenyBucketAdministrationExceptDeployment')).toEqual({
      Sid: 'DenyBucketAdministrationExceptDeployment',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:DeleteBucketPolicy', 's3:PutBucketPolicy', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration'],
      Resource: `arn:aws:s3:::${archiveId().toLowerCase()}`,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': DEPLOY_ROLE } },
    });
    expect(sid('DenyChangingObjectLockOrDeletingBucket')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:DeleteBucket', 's3:PutBucketObjectLockConfiguration'],
    });
  });
});

describe('what S3 decides (policy evaluation over the synthesized JSON)', () => {
  const writable = ARCHIVE_PREFIXES.flatMap((prefix) =>
    (ARCHIVE_PREFIX_WRITERS[prefix] as readonly ArchiveWriter[])
      .filter((w) => w !== 'webhook')
      .map((w) => [prefix, w as Exclude<ArchiveWriter, 'webhook'>] as const),
  );

  it.each(writable)('lets the writer of %s (%s) create an object with If-None-Match', (prefix, writer) => {
    expect(put(role(WRITER_ROLE[writer]), `${prefix}x/object.json`)).toBe('allow');
  });

  it.each(writable)(
    'denies a put under %s by its writer (%s) without If-None-Match (an overwrite that adds a new current version)',
    (prefix, writer) => {
      expect(put(role(WRITER_ROLE[writer]), `${prefix}x/object.json`, { 's3:ObjectCreationOperation': 'true' })).toBe('explicit-deny');
    },
  );

  it('exempts the multipart steps that carry no conditional header, and denies a completion without one', () => {
    expect(put(role('CollectorRole'), 'manifests/workspace=a/000000000001.json', { 's3:ObjectCreationOperation': 'false' })).toBe('allow');
    expect(put(role('CollectorRole'), 'manifests/workspace=a/000000000001.json', { 's3:ObjectCreationOperation': 'true' })).toBe(
      'explicit-deny',
    );
  });

  it.each([
    ['the reporter', 'ReporterRole', 'manifests/workspace=a/000000000009.json'],
    ['the reporter', 'ReporterRole', 'activity_logs/workspace=a/dt=2026-01-01/planted.jsonl.gz'],
    ['the legal-hold role', 'LegalHoldRole', 'signatures/workspace=a/000000000009.json'],
    ['the collector', 'CollectorRole', 'reports/quarter=2026-Q1/manifest.json'],
    ['the collector', 'CollectorRole', 'holds/forged/place.json'],
    ['the auditor', 'AuditorRole', 'manifests/workspace=a/000000000009.json'],
  ])('denies %s a create-only put under a prefix it does not own (%s → %s)', (_who, roleId, key) => {
    expect(put(role(roleId), key)).toBe('explicit-deny');
  });

  it('denies an administrator of the account a forged head, even create-only', () => {
    expect(put(`arn:aws:iam::${ACCOUNT}:role/Admin`, 'manifests/workspace=a/000000000009.json')).toBe('explicit-deny');
    expect(put(`arn:aws:iam::${ACCOUNT}:root`, 'manifests/workspace=a/000000000009.json')).toBe('explicit-deny');
  });

  it('denies everyone a put outside the listed prefixes, and under webhook/ while no receiver is deployed', () => {
    expect(put(role('CollectorRole'), 'stray.json')).toBe('explicit-deny');
    expect(put(role('CollectorRole'), 'webhook/x.json')).toBe('explicit-deny');
  });

  it('denies an expiration rule, a policy change and suspending versioning to an administrator, not to the deployment role', () => {
    for (const action of ['s3:PutLifecycleConfiguration', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketVersioning']) {
      const request = { action, resource: `arn:aws:s3:::${archiveId().toLowerCase()}` };
      expect(evaluate(json, archiveId(), { ...request, principalArn: `arn:aws:iam::${ACCOUNT}:role/Admin` })).toBe('explicit-deny');
      expect(evaluate(json, archiveId(), { ...request, principalArn: role('CollectorRole') })).toBe('explicit-deny');
      // The execution role's own IAM policy (AdministratorAccess, outside this template) allows it.
      expect(evaluate(json, archiveId(), { ...request, principalArn: DEPLOY_ROLE })).not.toBe('explicit-deny');
    }
  });

  it('lets the legal-hold role alone place a legal hold', () => {
    const hold = (principalArn: string) =>
      evaluate(json, archiveId(), {
        action: 's3:PutObjectLegalHold',
        resource: objectArn('manifests/workspace=a/000000000001.json'),
        principalArn,
      });
    expect(hold(role('LegalHoldRole'))).toBe('allow');
    for (const other of [role('CollectorRole'), role('AuditorRole'), `arn:aws:iam::${ACCOUNT}:role/Admin`])
      expect(hold(other)).toBe('explicit-deny');
  });

  it('denies everyone a retention change or a governance bypass, the legal-hold role included', () => {
    for (const action of ['s3:PutObjectRetention', 's3:BypassGovernanceRetention', 's3:DeleteObjectVersion']) {
      expect(
        evaluate(json, archiveId(), {
          action,
          resource: objectArn('manifests/workspace=a/000000000001.json'),
          principalArn: role('LegalHoldRole'),
        }),
      ).toBe('explicit-deny');
    }
  });
});

describe('tamper alarms', () => {
  const rules = () => ofType('AWS::Events::Rule').filter(([id]) => id.startsWith('TamperAlarms'));

  it('sends every bucket-policy, lifecycle, versioning, Object Lock and legal-hold call on the archive bucket to the alarm topic', () => {
    const [, bucketRule] = rules().find(([, r]) => r.Properties.EventPattern.source[0] === 'aws.s3')!;
    expect(bucketRule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['s3.amazonaws.com'],
        eventName: [...BUCKET_TAMPER_EVENTS, ...LEGAL_HOLD_EVENTS],
        requestParameters: { bucketName: [{ Ref: archiveId() }] },
      },
    });
    for (const name of [
      'PutBucketPolicy',
      'DeleteBucketPolicy',
      'PutBucketLifecycle',
      'PutBucketVersioning',
      'PutBucketObjectLockConfiguration',
    ])
      expect(bucketRule.Properties.EventPattern.detail.eventName).toContain(name);
  });

  it('sends key-policy changes, grants, disabling, deletion and alias removal of all four keys to the alarm topic', () => {
    const [, keyRule] = rules().find(([, r]) => r.Properties.EventPattern.source[0] === 'aws.kms')!;
    expect(KEY_TAMPER_EVENTS).toEqual(['PutKeyPolicy', 'CreateGrant', 'DisableKey', 'ScheduleKeyDeletion', 'DeleteAlias']);
    expect(keyRule.Properties.EventPattern.detail.eventName).toEqual([...KEY_TAMPER_EVENTS]);
    const keys = keyRule.Properties.EventPattern.detail.resources.ARN.map((k: { 'Fn::GetAtt': string[] }) => k['Fn::GetAtt'][0]);
    expect(keys.sort()).toEqual(
      [
        idOf('AWS::KMS::Key', 'ArchiveKey'),
        idOf('AWS::KMS::Key', 'ManifestSigningKey'),
        idOf('AWS::KMS::Key', 'ReportSigningKey'),
        idOf('AWS::KMS::Key', 'TokensKey'),
      ].sort(),
    );
  });

  it('sends resource-policy, key and deletion changes of the token secrets to the alarm topic', () => {
    const [, secretRule] = rules().find(([, r]) => r.Properties.EventPattern.source[0] === 'aws.secretsmanager')!;
    expect(secretRule.Properties.EventPattern.detail).toEqual({
      eventSource: ['secretsmanager.amazonaws.com'],
      eventName: [...SECRET_TAMPER_EVENTS],
      requestParameters: { secretId: [{ wildcard: '*intercom-audit-archive/*' }] },
    });
  });

  it('keeps the bucket policy when the stack is deleted', () => {
    const [, policy] = ofType('AWS::S3::BucketPolicy').find(([, r]) => r.Properties.Bucket.Ref === archiveId())! as unknown as [
      string,
      { DeletionPolicy?: string },
    ];
    expect(policy.DeletionPolicy).toBe('Retain');
  });

  it('names the caller in the message to the alarm topic, which EventBridge may encrypt to', () => {
    for (const [, r] of rules()) {
      const [target] = r.Properties.Targets;
      expect(target.Arn).toEqual({ Ref: idOf('AWS::SNS::Topic', 'Alarms') });
      expect(JSON.stringify(target.InputTransformer)).toContain('$.detail.userIdentity.arn');
    }
    const archiveKey = json.Resources[idOf('AWS::KMS::Key', 'ArchiveKey')]!;
    expect(archiveKey.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Sid: 'EventBridgePublishes', Principal: { Service: 'events.amazonaws.com' } }),
    );
  });
});

describe('key policies', () => {
  const keys = () => ofType('AWS::KMS::Key').map(([id, r]) => [id, resolve(json, r.Properties.KeyPolicy).Statement as any[]] as const);

  it('gives nobody kms:* and keeps PutKeyPolicy to the deployment role on every key', () => {
    expect(
      keys()
        .map(([id]) => id.replace(/[A-F0-9]{8}$/, ''))
        .sort(),
    ).toEqual(['ArchiveKey', 'ManifestSigningKey', 'ReportSigningKey', 'TokensKey']);
    for (const [, statements] of keys()) {
      expect(statements.some((st) => list(st.Action).includes('kms:*'))).toBe(false);
      const putters = statements.filter(
        (st) => st.Effect === 'Allow' && list(st.Action).some((a: string) => /^kms:(Put\*|PutKeyPolicy|\*)$/.test(a)),
      );
      expect(putters).toEqual([
        {
          Sid: 'OnlyDeploymentPutsKeyPolicy',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:PutKeyPolicy',
          Resource: '*',
          Condition: { ArnEquals: { 'aws:PrincipalArn': DEPLOY_ROLE } },
        },
      ]);
      const admin = statements.find((st) => st.Sid === 'AdministerButNeverUse');
      expect(list(admin.Action).sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
      expect(list(admin.Action).some((a: string) => /Sign|Decrypt|Encrypt|GenerateDataKey|CreateGrant|PutKeyPolicy|Verify/.test(a))).toBe(
        false,
      );
    }
  });

  it('denies scheduling the deletion of any key with a window under 30 days', () => {
    for (const [, statements] of keys()) {
      expect(statements).toContainEqual({
        Sid: 'DenyShortDeletionWindow',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:ScheduleKeyDeletion',
        Resource: '*',
        Condition: { NumericLessThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': MIN_KEY_DELETION_DAYS } },
      });
    }
    expect(MIN_KEY_DELETION_DAYS).toBe(30);
  });

  it('names a break-glass role as key administrator instead of the account root; the deployment role stays one', () => {
    const { stack } = buildApp({ context: { auditArchive: { ...example, keyAdminRoleArn: BREAK_GLASS } }, outdir: outdir() });
    const t = Template.fromStack(stack).toJSON() as Tpl;
    for (const [, r] of Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::KMS::Key')) {
      const admin = (resolve(t, r.Properties.KeyPolicy).Statement as any[]).find((st) => st.Sid === 'AdministerButNeverUse');
      expect(admin.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': [BREAK_GLASS, DEPLOY_ROLE] } });
    }
  });

  it('lets the tokens key decrypt only through Secrets Manager (where only the collector may read a token)', () => {
    const [, statements] = keys().find(([id]) => id.startsWith('TokensKey'))!;
    const decrypters = statements.filter(
      (st) => st.Effect === 'Allow' && list(st.Action).some((a: string) => /^kms:(Decrypt|\*)$/.test(a)),
    );
    const viaSecretsManager = { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } };
    expect(decrypters.map((st) => [st.Sid, st.Principal, st.Condition])).toEqual([
      ['SetTokensThroughSecretsManager', { AWS: `arn:aws:iam::${ACCOUNT}:root` }, viaSecretsManager],
      ['CollectorReadsTokens', { AWS: role('CollectorRole') }, viaSecretsManager],
    ]);
    // No role's IAM policy names the tokens key (the archive key is the one the auditor and reporter may use).
    const tokensKeyId = idOf('AWS::KMS::Key', 'TokensKey');
    for (const [, p] of [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')])
      expect(JSON.stringify(p.Properties.PolicyDocument)).not.toContain(tokensKeyId);
  });
});

describe('token secrets', () => {
  it('encrypts each token with the tokens key and denies GetSecretValue to everyone but the collector', () => {
    const secrets = ofType('AWS::SecretsManager::Secret');
    const policies = ofType('AWS::SecretsManager::ResourcePolicy');
    expect(policies).toHaveLength(secrets.length);
    for (const [id, secret] of secrets) {
      expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'TokensKey'), 'Arn'] });
      const [, policy] = policies.find(([, p]) => p.Properties.SecretId.Ref === id)!;
      expect(policy.Properties.BlockPublicPolicy).toBe(true);
      expect(resolve(json, policy.Properties.ResourcePolicy).Statement).toEqual([
        {
          Sid: 'OnlyTheCollectorReadsTheToken',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': role('CollectorRole') } },
        },
      ]);
    }
  });
});

describe('LegalHoldRole', () => {
  it('is assumable by the configured principals and may only list, hold, and record holds create-only', () => {
    const [id, r] = ofType('AWS::IAM::Role').find(([i]) => i.startsWith('LegalHoldRole'))!;
    expect(r.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { AWS: HOLDER }, Action: 'sts:AssumeRole' }),
    ]);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => list(p.Properties.Roles).some((x: any) => x.Ref === id))
      .flatMap(([, p]) => list(resolve(json, p.Properties.PolicyDocument).Statement) as any[]);
    const actions = statements.flatMap((st) => list(st.Action)).sort();
    expect(actions).toEqual(['kms:GenerateDataKey', 's3:GetObjectLegalHold', 's3:ListBucket', 's3:PutObject', 's3:PutObjectLegalHold']);
    expect(statements.find((st) => list(st.Action).includes('s3:PutObject')).Resource).toBe(objectArn('holds/*'));
  });
});

describe('stateful resources', () => {
  it('keep their logical ids (a replaced Object Lock bucket, key, secret or log group cannot be deleted or moved)', () => {
    const pinned: Record<string, string> = {
      ArchiveDA4CB258: 'AWS::S3::Bucket',
      AccessLogs8B620ECA: 'AWS::S3::Bucket',
      AthenaResults99A60126: 'AWS::S3::Bucket',
      ArchiveKeyDC5BCBC1: 'AWS::KMS::Key',
      ManifestSigningKeyAE17DA81: 'AWS::KMS::Key',
      Tokenws1: 'AWS::SecretsManager::Secret',
      Tokenws2: 'AWS::SecretsManager::Secret',
      CollectorLogs893ABD2A: 'AWS::Logs::LogGroup',
      ReporterLogs8D5B1623: 'AWS::Logs::LogGroup',
      CollectorFailures082FD770: 'AWS::SQS::Queue',
      ScheduleDeadLetters0406ECBC: 'AWS::SQS::Queue',
      AlertsBus2B35B2D8: 'AWS::Events::EventBus',
      Database: 'AWS::Glue::Database',
      ActivityLogsTable: 'AWS::Glue::Table',
      Workgroup: 'AWS::Athena::WorkGroup',
    };
    for (const [id, type] of Object.entries(pinned)) expect(json.Resources[id]?.Type, id).toBe(type);
  });
});

describe('deployment role', () => {
  it('is the configured one when given (for --role-arn deployments)', () => {
    const custom = 'arn:aws:iam::123456789012:role/ArchiveDeployer';
    const { stack } = buildApp({ context: { auditArchive: { ...example, deploymentRoleArn: custom } }, outdir: outdir() });
    const t = Template.fromStack(stack).toJSON() as Tpl;
    const [, policy] = Object.entries(t.Resources).find(
      ([, r]) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties).includes('DenyBucketAdministrationExceptDeployment'),
    )!;
    const st = (resolve(t, policy.Properties.PolicyDocument).Statement as any[]).find(
      (s) => s.Sid === 'DenyBucketAdministrationExceptDeployment',
    );
    expect(st.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': custom } });
  });

  it('must be named with a synthesizer that has no execution role', () => {
    const config = parseDeployConfig({ workspaces: [{ id: 'solo', region: 'us' }] });
    const make = () =>
      new AuditArchiveStack(new App({ outdir: outdir() }), 'NoBootstrap', { config, synthesizer: new CliCredentialsStackSynthesizer() });
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(/auditArchive\.deploymentRoleArn is required/);
  });

  it('rejects a deployment or break-glass role that is not a role ARN, naming the key', () => {
    expect(() =>
      parseDeployConfig({ workspaces: [{ id: 'a', region: 'us' }], keyAdminRoleArn: 'arn:aws:iam::123456789012:user/bob' }),
    ).toThrow(/auditArchive\.keyAdminRoleArn: an IAM role ARN/);
    expect(() => parseDeployConfig({ workspaces: [{ id: 'a', region: 'us' }], deploymentRoleArn: 'admin' })).toThrow(
      /auditArchive\.deploymentRoleArn: an IAM role ARN/,
    );
    expect(() => parseDeployConfig({ workspaces: [{ id: 'a', region: 'us' }], legalHoldPrincipals: ['x'] })).toThrow(
      /auditArchive\.legalHoldPrincipals\[0\]/,
    );
  });
});

describe('policyEval (the test helper)', () => {
  it('refuses a condition operator it does not model, instead of treating it as matching', () => {
    const template = {
      Resources: {
        B: { Type: 'AWS::S3::Bucket', Properties: {} },
        P: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: {
            Bucket: { Ref: 'B' },
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Deny',
                  Principal: { AWS: '*' },
                  Action: 's3:PutObject',
                  Resource: 'arn:aws:s3:::b/*',
                  Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
                },
              ],
            },
          },
        },
      },
    };
    expect(() => evaluate(template, 'B', { action: 's3:PutObject', resource: 'arn:aws:s3:::b/x', principalArn: roleArn('R') })).toThrow(
      /IpAddress is not modelled/,
    );
  });
});
