/**
 * The Lambda entry points build everything once, when the runtime loads them: configuration,
 * rules, canned queries, SDK clients, logger and metrics. Each constructor and parser the entries
 * use is wrapped to count its calls; the counts after two invocations equal those after loading.
 */
import path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';
import { DAY, T0 } from '../helpers/collecting.ts';

const built = vi.hoisted(() => {
  const counts: Record<string, number> = {};
  const args: Record<string, unknown[][]> = {};
  const note = (name: string, a: unknown[]) => {
    counts[name] = (counts[name] ?? 0) + 1;
    args[name] = [...(args[name] ?? []), a];
  };
  /** A subclass that counts its constructions (mockClient still stubs its `send`). */
  const counted = <T extends new (...a: any[]) => object>(name: string, Base: T): T =>
    class extends Base {
      constructor(...a: any[]) {
        super(...a);
        note(name, a);
      }
    };
  const countedFn = <F extends (...a: any[]) => unknown>(name: string, fn: F): F =>
    ((...a: unknown[]) => {
      note(name, a);
      return fn(...a);
    }) as F;
  return { counts, args, counted, countedFn };
});

vi.mock('@aws-sdk/client-s3', async (load) => {
  const mod = await load<typeof import('@aws-sdk/client-s3')>();
  return { ...mod, S3Client: built.counted('S3Client', mod.S3Client) };
});
vi.mock('@aws-sdk/client-secrets-manager', async (load) => {
  const mod = await load<typeof import('@aws-sdk/client-secrets-manager')>();
  return { ...mod, SecretsManagerClient: built.counted('SecretsManagerClient', mod.SecretsManagerClient) };
});
vi.mock('@aws-sdk/client-kms', async (load) => {
  const mod = await load<typeof import('@aws-sdk/client-kms')>();
  return { ...mod, KMSClient: built.counted('KMSClient', mod.KMSClient) };
});
vi.mock('@aws-sdk/client-sns', async (load) => {
  const mod = await load<typeof import('@aws-sdk/client-sns')>();
  return { ...mod, SNSClient: built.counted('SNSClient', mod.SNSClient) };
});
vi.mock('@aws-sdk/client-eventbridge', async (load) => {
  const mod = await load<typeof import('@aws-sdk/client-eventbridge')>();
  return { ...mod, EventBridgeClient: built.counted('EventBridgeClient', mod.EventBridgeClient) };
});
vi.mock('@aws-sdk/client-athena', async (load) => {
  const mod = await load<typeof import('@aws-sdk/client-athena')>();
  return { ...mod, AthenaClient: built.counted('AthenaClient', mod.AthenaClient) };
});
vi.mock('@aws-lambda-powertools/logger', async (load) => {
  const mod = await load<typeof import('@aws-lambda-powertools/logger')>();
  return { ...mod, Logger: built.counted('Logger', mod.Logger) };
});
vi.mock('@aws-lambda-powertools/metrics', async (load) => {
  const mod = await load<typeof import('@aws-lambda-powertools/metrics')>();
  return { ...mod, Metrics: built.counted('Metrics', mod.Metrics) };
});
vi.mock('../../lambdas/handlers/collectorConfig.ts', async (load) => {
  const mod = await load<typeof import('../../lambdas/handlers/collectorConfig.ts')>();
  return { ...mod, parseCollectorEnv: built.countedFn('parseCollectorEnv', mod.parseCollectorEnv) };
});
vi.mock('../../lambdas/core/rules/ruleset.ts', async (load) => {
  const mod = await load<typeof import('../../lambdas/core/rules/ruleset.ts')>();
  return { ...mod, parseRules: built.countedFn('parseRules', mod.parseRules) };
});
vi.mock('../../lambdas/adapters/local/loadQueries.ts', async (load) => {
  const mod = await load<typeof import('../../lambdas/adapters/local/loadQueries.ts')>();
  return { ...mod, loadQueries: built.countedFn('loadQueries', mod.loadQueries) };
});

const ROOT = path.resolve(import.meta.dirname, '../..');
const NOW = T0 + 3 * DAY;
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ now: () => NOW });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const context = { getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
const snapshot = () => ({ ...built.counts });
const quiet = () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
};

describe('collectorEntry.ts', () => {
  it('builds configuration, rules, clients, logger and metrics once, at load; two invocations build nothing new', async () => {
    const s3 = fakeS3();
    mockClient(SecretsManagerClient).on(GetSecretValueCommand).resolves({ SecretString: sim.token });
    mockClient(SNSClient).on(PublishCommand).resolves({ MessageId: 'm' });
    mockClient(EventBridgeClient).on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    quiet();
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'collector-under-test');
    vi.stubEnv('ARCHIVE_BUCKET', 'archive-bucket');
    vi.stubEnv('WORKSPACES', JSON.stringify([{ id: 'sim-acme', region: 'us', secretId: 'intercom/sim-acme', apiUrl: sim.url }]));
    vi.stubEnv('BACKFILL_FROM', new Date(T0 * 1000).toISOString());
    vi.stubEnv('WINDOW_SECONDS', String(DAY));
    vi.stubEnv('RULES_FILE', path.join(ROOT, 'rules/default-rules.yaml'));
    vi.stubEnv('ALERTS_TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:alerts');
    vi.stubEnv('ALERTS_BUS_NAME', 'alerts-bus');
    vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });

    const before = snapshot();
    const { handler } = await import('../../lambdas/handlers/collectorEntry.ts');
    const loaded = snapshot();
    const delta = Object.fromEntries(
      Object.entries(loaded)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => v !== 0),
    );
    expect(delta).toEqual({
      parseCollectorEnv: 1,
      parseRules: 1,
      S3Client: 1,
      SecretsManagerClient: 1,
      KMSClient: 1,
      SNSClient: 1,
      EventBridgeClient: 1,
      Logger: 1,
      Metrics: 1,
    });

    const first = await handler({}, context);
    const second = await handler({}, context);
    expect(first.workspaces[0]).toMatchObject({ ok: true, windows: 3 });
    expect(second.workspaces[0]).toMatchObject({ ok: true, windows: 0 });
    expect(s3.objects.size).toBeGreaterThan(0);
    expect(snapshot()).toEqual(loaded);

    // No service name is passed in code: POWERTOOLS_SERVICE_NAME (set by the stack) names it.
    expect(JSON.stringify(built.args.Logger!.at(-1))).not.toContain('serviceName');
    expect(JSON.stringify(built.args.Metrics!.at(-1))).not.toContain('serviceName');
  });

  it('fails to load, naming the variable, when the configuration is wrong', async () => {
    vi.resetModules();
    quiet();
    vi.stubEnv('ARCHIVE_BUCKET', 'archive-bucket');
    vi.stubEnv('WORKSPACES', '');
    await expect(import('../../lambdas/handlers/collectorEntry.ts')).rejects.toThrow(/environment variable WORKSPACES/);
  });
});

describe('reporterEntry.ts', () => {
  it('builds configuration, queries, clients and logger once, at load; two invocations build nothing new', async () => {
    fakeS3();
    let n = 0;
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q-${++n}` }));
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 10 } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'id', Type: 'varchar' }] }, Rows: [{ Data: [{ VarCharValue: 'id' }] }] },
    });
    mockClient(SNSClient).on(PublishCommand).resolves({ MessageId: 'm' });
    quiet();
    vi.stubEnv('ARCHIVE_BUCKET', 'archive-bucket');
    vi.stubEnv('WORKSPACE_IDS', 'ws1');
    vi.stubEnv('ATHENA_WORKGROUP', 'wg');
    vi.stubEnv('ATHENA_DATABASE', 'db');
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:alarms');
    vi.stubEnv('QUERIES_DIR', path.join(ROOT, 'queries'));

    const before = snapshot();
    const { handler } = await import('../../lambdas/handlers/reporterEntry.ts');
    const loaded = snapshot();
    const delta = Object.fromEntries(
      Object.entries(loaded)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => v !== 0),
    );
    expect(delta).toEqual({ loadQueries: 1, AthenaClient: 1, S3Client: 1, SNSClient: 1, KMSClient: 1, Logger: 1 });

    // An empty archive: the packs are partial, which the event allows.
    await handler({ quarter: '2026-Q2', allowPartial: true });
    await handler({ quarter: '2026-Q3', allowPartial: true });
    expect(snapshot()).toEqual(loaded);
    expect(JSON.stringify(built.args.Logger!.at(-1))).not.toContain('serviceName');
  });
});

describe('securityLakeEntry.ts', () => {
  it('builds configuration, the archive and KMS clients and the logger once, at load', async () => {
    quiet();
    vi.stubEnv('ARCHIVE_BUCKET', 'archive-bucket');
    vi.stubEnv('SIGNING_KEY_ID', 'arn:aws:kms:eu-west-1:123456789012:key/k');
    vi.stubEnv('SECURITY_LAKE_BUCKET', 'aws-security-data-lake-eu-west-1-abc');
    vi.stubEnv('SECURITY_LAKE_REGION', 'eu-west-1');
    vi.stubEnv('SECURITY_LAKE_ACCOUNT_ID', '123456789012');
    vi.stubEnv('SECURITY_LAKE_PROVIDER_ROLE_ARN', 'arn:aws:iam::123456789012:role/provider');
    vi.stubEnv('SECURITY_LAKE_EXTERNAL_ID', 'external');
    const before = snapshot();
    const { handler } = await import('../../lambdas/handlers/securityLakeEntry.ts');
    const loaded = snapshot();
    const delta = Object.fromEntries(
      Object.entries(loaded)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => v !== 0),
    );
    expect(typeof handler).toBe('function');
    expect(delta).toEqual({ S3Client: 1, KMSClient: 1, Logger: 1 });
    expect(JSON.stringify(built.args.Logger!.at(-1))).not.toContain('serviceName');
  });
});
