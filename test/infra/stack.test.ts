import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_COLUMNS, QUARANTINE_COLUMNS, ROSTER_COLUMNS } from '../../lambdas/core/archive/columns.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { buildApp } from '../../infra/buildApp.ts';
import { parseDeployConfig } from '../../infra/config.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';

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

let template: Template;
let json: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
beforeAll(() => {
  const { app, stack } = buildApp({
    context: {
      auditArchive: {
        ...example,
        workspaces: [
          { id: 'ws1', region: 'us' },
          { id: 'ws2', region: 'eu' },
        ],
      },
    },
    outdir: outdir(),
  });
  app.synth(); // runs cdk-nag and cfn-guard; throws on any unacknowledged finding
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
});

const resources = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const archiveLogicalId = () => resources('AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)![0];
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every Allow statement of every IAM policy, managed policy, role and bucket policy. */
function allowStatements() {
  const statements: { source: string; Action: string[]; Resource: unknown[] }[] = [];
  for (const [id, r] of Object.entries(json.Resources)) {
    const docs =
      r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::S3::BucketPolicy'
        ? [r.Properties.PolicyDocument]
        : r.Type === 'AWS::IAM::Role'
          ? asArray(r.Properties.Policies).map((p: any) => p.PolicyDocument)
          : [];
    for (const doc of docs) {
      for (const st of asArray(doc?.Statement) as any[]) {
        if (st.Effect === 'Allow') statements.push({ source: id, Action: asArray(st.Action), Resource: asArray(st.Resource) });
      }
    }
  }
  return statements;
}

const FORBIDDEN = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:DeleteBucket',
];
const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

describe('AuditArchiveStack', () => {
  it('locks the archive in COMPLIANCE mode for the configured years, versioned', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 7 } } },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('never lets any role or bucket policy Allow deleting archived objects or shortening retention', () => {
    const offending = allowStatements().filter((st) => st.Action.some((a) => FORBIDDEN.some((f) => matches(a, f))));
    expect(offending).toEqual([]);
    // Legal holds keep records longer; only the legal-hold role may place them.
    const holders = allowStatements().filter((st) => st.Action.some((a) => matches(a, 's3:PutObjectLegalHold')));
    expect(new Set(holders.map((st) => st.source.replace(/DefaultPolicy.*$/, '')))).toEqual(new Set(['LegalHoldRole']));
  });

  it('denies deleting objects and versions and changing the lock rule to every principal', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: archiveLogicalId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:BypassGovernanceRetention', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention'],
          }),
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:DeleteBucket', 's3:PutBucketObjectLockConfiguration'] }),
        ]),
      },
    });
  });

  it('is TLS-only on every bucket', () => {
    const policies = resources('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(resources('AWS::S3::Bucket').length);
    for (const [, policy] of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it('encrypts with KMS wherever data rests', () => {
    const keyRef = { 'Fn::GetAtt': [Match.stringLikeRegexp('ArchiveKey'), 'Arn'] };
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyRef } }),
        ],
      },
    });
    for (const [, secret] of resources('AWS::SecretsManager::Secret'))
      expect(JSON.stringify(secret.Properties.KmsKeyId)).toContain('TokensKey');
    for (const type of ['AWS::SQS::Queue', 'AWS::SNS::Topic'])
      for (const [, r] of resources(type)) expect(JSON.stringify(r.Properties.KmsMasterKeyId)).toContain('ArchiveKey');
    for (const [, r] of resources('AWS::Logs::LogGroup')) expect(JSON.stringify(r.Properties.KmsKeyId)).toContain('ArchiveKey');
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: { ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' } } },
    });
  });

  it('runs one collector at a time on the newest Node LTS runtime, arm64, with no retries that could overlap', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 1,
      Timeout: 900,
    });
    for (const [, fn] of resources('AWS::Lambda::Function')) expect(fn.Properties.Runtime).toBe('nodejs24.x');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('gives the collector create-only writes on the archive prefixes and nothing more', () => {
    const collector = allowStatements().filter((st) => st.source.startsWith('CollectorRole'));
    const s3Actions = collector.flatMap((st) => st.Action.filter((a) => a.startsWith('s3:')));
    expect(new Set(s3Actions)).toEqual(new Set(['s3:PutObject', 's3:GetObject', 's3:ListBucket']));
    expect(JSON.stringify(collector)).not.toContain('"/*"');
  });

  it('runs the reporter on the first day of each quarter, writing only under reports/', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 6 1 1,4,7,10 ? *)' });
    const reporter = allowStatements().filter((st) => st.source.startsWith('ReporterRole'));
    const puts = reporter.filter((st) => st.Action.includes('s3:PutObject'));
    const archivePuts = puts.filter((st) => JSON.stringify(st.Resource).includes(archiveLogicalId()));
    expect(archivePuts).toHaveLength(1);
    expect(JSON.stringify(archivePuts[0]!.Resource)).toContain('/reports/*');
    expect(JSON.stringify(archivePuts[0]!.Resource)).not.toMatch(/activity_logs|manifests|quarantine/);
  });

  it('creates one named query per file in queries/', () => {
    const named = resources('AWS::Athena::NamedQuery')
      .map(([, r]) => r.Properties.Name)
      .sort();
    expect(named).toEqual(
      loadQueries()
        .map((q) => q.name)
        .sort(),
    );
    expect(named.length).toBeGreaterThanOrEqual(10);
  });

  it('lets only the collector, the reporter and the auditor read the archive', () => {
    const readers = allowStatements()
      .filter((st) => st.Action.some((a) => matches(a, 's3:GetObject')) && JSON.stringify(st.Resource).includes(archiveLogicalId()))
      .map((st) => st.source.replace(/[A-F0-9]{8}$/, ''));
    expect(new Set(readers.map((r) => r.replace(/DefaultPolicy.*$/, '')))).toEqual(
      new Set(['CollectorRole', 'ReporterRole', 'AuditorPolicy']),
    );
  });

  it('lets the collector alone sign with the manifest key and the reporter alone with the report key; auditors verify; nobody holds kms:* on either', () => {
    const signers = allowStatements().filter((st) => st.Action.some((a) => matches(a, 'kms:Sign')));
    expect(new Set(signers.map((st) => st.source.replace(/DefaultPolicy.*$/, '')))).toEqual(new Set(['CollectorRole', 'ReporterRole']));
    const keyId = (name: string) => resources('AWS::KMS::Key').find(([id]) => id.startsWith(name))![0];
    const signs = (role: string) =>
      signers.filter((st) => st.source.startsWith(role)).flatMap((st) => st.Resource.map((r) => JSON.stringify(r)));
    expect(signs('CollectorRole')).toEqual([JSON.stringify({ 'Fn::GetAtt': [keyId('ManifestSigningKey'), 'Arn'] })]);
    expect(signs('ReporterRole')).toEqual([JSON.stringify({ 'Fn::GetAtt': [keyId('ReportSigningKey'), 'Arn'] })]);
    const [, reportKey] = resources('AWS::KMS::Key').find(([id]) => id.startsWith('ReportSigningKey'))!;
    const reportStatements = reportKey.Properties.KeyPolicy.Statement as { Effect: string; Action: string | string[]; Sid?: string }[];
    expect(
      reportStatements.filter((st) => st.Effect === 'Allow' && asArray(st.Action).some((a) => matches(a, 'kms:Sign'))).map((st) => st.Sid),
    ).toEqual(['ReporterSigns']);
    expect(reportStatements.some((st) => asArray(st.Action).includes('kms:*'))).toBe(false);
    const [, key] = resources('AWS::KMS::Key').find(([, k]) => k.Properties.KeyUsage === 'SIGN_VERIFY')!;
    expect(key.Properties).toMatchObject({ KeySpec: 'RSA_3072', KeyUsage: 'SIGN_VERIFY' });
    const statements = key.Properties.KeyPolicy.Statement as {
      Effect: string;
      Action: string | string[];
      Principal: unknown;
      Sid?: string;
    }[];
    const allowSign = statements.filter((st) => st.Effect === 'Allow' && asArray(st.Action).some((a) => matches(a, 'kms:Sign')));
    expect(allowSign.map((st) => st.Sid)).toEqual(['CollectorSigns']);
    expect(statements.some((st) => asArray(st.Action).includes('kms:*'))).toBe(false);
    const auditors = statements.find((st) => st.Sid === 'AuditorsVerify')!;
    expect(asArray(auditors.Action).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify']);
  });

  it('wires live alerts to an SNS topic and an EventBridge bus a SIEM can subscribe to', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const collector = allowStatements().filter((st) => st.source.startsWith('CollectorRole'));
    expect(collector.some((st) => st.Action.includes('events:PutEvents'))).toBe(true);
    expect(collector.some((st) => st.Action.includes('sns:Publish'))).toBe(true);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RULES_FILE: 'rules/default-rules.yaml', ALERTS_BUS_NAME: Match.anyValue() }) },
    });
  });

  it('lets the collector publish head receipts on the default bus, with that source and detail type only', () => {
    const policies = resources('AWS::IAM::Policy').filter(([id]) => id.startsWith('CollectorRole'));
    const statements = policies.flatMap(([, r]) => asArray(r.Properties.PolicyDocument.Statement) as any[]);
    const receipts = statements.filter((st) => st.Sid === 'PublishHeadReceipts');
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'events:source': 'intercom-audit-archive', 'events:detail-type': 'head receipt' } },
    });
    expect(JSON.stringify(receipts[0].Resource)).toMatch(/:event-bus\/default"/);
    // Every PutEvents the collector holds names a bus: its alerts bus, or the default bus under that condition.
    const putEvents = statements.filter((st) => asArray(st.Action).includes('events:PutEvents'));
    expect(
      putEvents.every(
        (st) => st.Resource !== '*' && (st.Sid === 'PublishHeadReceipts' || JSON.stringify(st.Resource).includes('AlertsBus')),
      ),
    ).toBe(true);
  });

  it('lets the collector alone write key rotation records under keys/', () => {
    const writers = allowStatements().filter((st) => st.Action.includes('s3:PutObject') && JSON.stringify(st.Resource).includes('/keys/*'));
    expect(writers.map((st) => st.source.replace(/DefaultPolicy.*$/, ''))).toEqual(['CollectorRole']);
  });

  it('turns live alerts off with rulesFile: null', () => {
    const { stack } = buildApp({ context: { auditArchive: { ...example, rulesFile: null } }, outdir: outdir() });
    const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    for (const fn of Object.values(fns))
      expect(
        (fn as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment?.Variables ?? {},
      ).not.toHaveProperty('RULES_FILE');
  });

  it('fails synth on a bad rules file, naming the rule and the field', () => {
    const dir = outdir();
    const file = path.join(dir, 'bad-rules.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - { name: sloppy, severity: urgent, when: [ { type_in_group: data_exports } ] }\n');
    expect(() => buildApp({ context: { auditArchive: { ...example, rulesFile: file } }, outdir: outdir() })).toThrow(
      /rule 'sloppy' field severity/,
    );
  });

  it('fails synth on a rules file that names an inherited property as a group (constructor), naming the rule and the field', () => {
    const file = path.join(outdir(), 'proto-rules.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - { name: sneaky, severity: low, when: [ { type_in_group: constructor } ] }\n');
    expect(() => buildApp({ context: { auditArchive: { ...example, rulesFile: file } }, outdir: outdir() })).toThrow(
      /rule 'sneaky' field when\.0\.type_in_group: 'constructor' is a reserved name/,
    );
  });

  it('creates one secret per workspace, without a value', () => {
    const secrets = resources('AWS::SecretsManager::Secret');
    expect(secrets.map(([, s]) => s.Properties.Name).sort()).toEqual(['intercom-audit-archive/ws1', 'intercom-audit-archive/ws2']);
    for (const [, s] of secrets) {
      expect(s.Properties).not.toHaveProperty('SecretString');
      expect(s.Properties).not.toHaveProperty('GenerateSecretString');
    }
  });

  it('projects workspace and dt partitions and reads the archive with the Hive JSON SerDe', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.workspace.type': 'enum',
          'projection.workspace.values': 'ws1,ws2',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2025-12-01,NOW',
          'storage.location.template': Match.anyValue(),
        }),
        PartitionKeys: [
          { Name: 'workspace', Type: 'string' },
          { Name: 'dt', Type: 'string' },
        ],
        StorageDescriptor: Match.objectLike({
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' }),
          Columns: ARCHIVE_COLUMNS.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
        }),
      },
    });
  });

  it.each([
    ['quarantine', 'quarantine/', QUARANTINE_COLUMNS],
    ['teammate_rosters', 'rosters/', ROSTER_COLUMNS],
  ] as const)("projects the %s table over %s the same way, with the writer's columns", (name, prefix, columns) => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: name,
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.workspace.values': 'ws1,ws2',
          'projection.dt.range': '2025-12-01,NOW',
        }),
        StorageDescriptor: Match.objectLike({
          Location: { 'Fn::Join': ['', ['s3://', { Ref: archiveLogicalId() }, `/${prefix}`]] },
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' }),
          Columns: columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
        }),
      }),
    });
  });

  it('lets the collector write rosters/ create-only and the reporter read quarantine/ and rosters/ without writing them', () => {
    const statements = allowStatements();
    const arnOf = (prefix: string) => JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [archiveLogicalId(), 'Arn'] }, `/${prefix}*`]] });
    const grants = (source: string, action: string, prefix: string) =>
      statements.some(
        (st) => st.source.startsWith(source) && st.Action.includes(action) && st.Resource.some((r) => JSON.stringify(r) === arnOf(prefix)),
      );
    expect(grants('CollectorRole', 's3:PutObject', 'rosters/')).toBe(true);
    expect(grants('ReporterRole', 's3:GetObject', 'quarantine/')).toBe(true);
    expect(grants('ReporterRole', 's3:GetObject', 'rosters/')).toBe(true);
    expect(grants('ReporterRole', 's3:PutObject', 'rosters/') || grants('ReporterRole', 's3:PutObject', 'quarantine/')).toBe(false);
  });

  it('enforces the Athena workgroup configuration with a scan cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true, BytesScannedCutoffPerQuery: 100 * 1024 ** 3 }),
    });
  });

  it('gives auditors read-only access and lets only the configured principals assume it', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: 'arn:aws:iam::123456789012:role/ExternalAuditor' } })] },
    });
    const auditor = allowStatements().filter((st) => st.source.startsWith('AuditorPolicy'));
    const writes = auditor.filter((st) => st.Action.some((a) => /^s3:(Put|Delete|Restore|Replicate)/.test(a) && a !== 's3:PutObject'));
    expect(writes).toEqual([]);
    // The one PutObject is Athena writing results into the results bucket, never the archive.
    const put = auditor.filter((st) => st.Action.includes('s3:PutObject'));
    expect(JSON.stringify(put)).not.toContain(archiveLogicalId());
  });

  it('alarms on errors, staleness, quarantined entries and failed invocations to an SNS topic', () => {
    const alarms = resources('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(4);
    for (const [, alarm] of alarms) expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain('Alarms');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'WindowsClosed',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 4,
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'security-alerts@example.com' });
  });

  it("names each function's service by POWERTOOLS_SERVICE_NAME alone, the service dimension its alarms read", () => {
    const services = resources('AWS::Lambda::Function')
      .map(([, fn]) => (fn.Properties.Environment?.Variables as Record<string, string> | undefined)?.POWERTOOLS_SERVICE_NAME)
      .filter((name) => name !== undefined)
      .sort();
    expect(services).toEqual(['collector', 'reporter']);
    const dimensions = resources('AWS::CloudWatch::Alarm')
      .filter(([, alarm]) => alarm.Properties.Namespace === 'IntercomAuditArchive')
      .map(([, alarm]) => alarm.Properties.Dimensions);
    expect(dimensions.length).toBeGreaterThan(0);
    for (const d of dimensions) expect(d).toEqual([{ Name: 'service', Value: 'collector' }]);
  });

  it('never expires archived objects', () => {
    const archive = json.Resources[archiveLogicalId()]!;
    for (const rule of archive.Properties.LifecycleConfiguration.Rules) {
      expect(rule).not.toHaveProperty('ExpirationInDays');
      expect(rule).not.toHaveProperty('NoncurrentVersionExpiration');
      for (const t of asArray(rule.Transitions) as { StorageClass: string }[])
        expect(['STANDARD_IA', 'GLACIER_IR']).toContain(t.StorageClass);
    }
  });

  it('synthesizes without optional settings too (no transition, no e-mail, no auditors)', () => {
    const { app, stack } = buildApp({ context: { auditArchive: { workspaces: [{ id: 'solo', region: 'au' }] } }, outdir: outdir() });
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })] },
    });
  });

  it('warns at synth when Object Lock is in GOVERNANCE mode', () => {
    const { stack } = buildApp({ context: { auditArchive: { ...example, objectLockMode: 'GOVERNANCE' } }, outdir: outdir() });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('GOVERNANCE mode'));
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE' } } },
    });
  });

  it('fails synth on a finding that nobody acknowledged (the checks are live)', () => {
    const { app, stack } = buildApp({ context: { auditArchive: example }, outdir: outdir() });
    new s3.Bucket(stack, 'Careless');
    expect(() => app.synth()).toThrow();
  });
});

describe('parseDeployConfig()', () => {
  it.each([
    [{}, /auditArchive\.workspaces: /],
    [{ workspaces: [{ id: 'a', region: 'mars' }] }, /auditArchive\.workspaces\[0\]\.region: /],
    [{ workspaces: [{ id: 'a', region: 'us' }], retentionYears: 0 }, /auditArchive\.retentionYears: /],
    [{ workspaces: [{ id: 'a', region: 'us' }], objectLockMode: 'OFF' }, /auditArchive\.objectLockMode: /],
    [{ workspaces: [{ id: 'a', region: 'us' }], alarmEmail: 'nope' }, /auditArchive\.alarmEmail: /],
    [{ workspaces: [{ id: 'a', region: 'us' }], auditorPrincipals: ['bob'] }, /auditArchive\.auditorPrincipals\[0\]: an IAM role/],
    [{ workspaces: [{ id: 'a', region: 'us' }], schedule: 'every minute' }, /auditArchive\.schedule: an EventBridge expression/],
    [{ workspaces: [{ id: 'a', region: 'us' }], retentionYear: 7 }, /auditArchive: unknown key\(s\) retentionYear/],
    [
      {
        workspaces: [
          { id: 'a', region: 'us' },
          { id: 'a', region: 'eu' },
        ],
      },
      /workspace ids must be unique/,
    ],
  ])('rejects %j naming the key', (value, message) => {
    expect(() => parseDeployConfig(value)).toThrow(ConfigurationError);
    expect(() => parseDeployConfig(value)).toThrow(message);
  });

  it('fills the defaults', () => {
    expect(parseDeployConfig({ workspaces: [{ id: 'a', region: 'us' }] })).toMatchObject({
      schedule: 'rate(15 minutes)',
      retentionYears: 7,
      objectLockMode: 'COMPLIANCE',
      auditorPrincipals: [],
    });
  });
});

describe('Athena reads only chain-listed parts', () => {
  it('defines the part index table and the activity_logs view over the raw table, and lets the collector write index/', () => {
    const t = template;
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'activity_logs_objects', TableType: 'EXTERNAL_TABLE' }),
    });
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'archive_index',
        StorageDescriptor: Match.objectLike({
          Columns: [Match.objectLike({ Name: 'seq' }), Match.objectLike({ Name: 'key' }), Match.objectLike({ Name: 'status' })],
        }),
      }),
    });
    const view = Object.values(t.findResources('AWS::Glue::Table')).find((r) => r.Properties.TableInput.Name === 'activity_logs')!;
    expect(view.Properties.TableInput.TableType).toBe('VIRTUAL_VIEW');
    const sql = JSON.parse(
      Buffer.from(/Presto View: (\S+) /.exec(view.Properties.TableInput.ViewOriginalText)![1]!, 'base64').toString(),
    ).originalSql;
    expect(sql).toMatch(/FROM activity_logs_objects o\nWHERE substr\(o\."\$path"/);
    expect(JSON.stringify(t.toJSON())).toMatch(/\/index\/\*/);
  });
});
