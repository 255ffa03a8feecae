import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CollectorDeps, createCollectorHandler, tokenFromSecret } from '../../lambdas/handlers/collector.ts';
import { constants, createHash, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EventBridgeReceiptSink } from '../../lambdas/adapters/aws/EventBridgeReceiptSink.ts';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import type { ManifestSigner } from '../../lambdas/core/ports.ts';
import { formatReceipt, signedHeadReceipt } from '../../lambdas/core/signing/receipts.ts';
import { chainKey } from '../../lambdas/core/signing/chainKey.ts';
import { parseCollectorEnv } from '../../lambdas/handlers/collectorConfig.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { findHead } from '../../lambdas/core/archive/chain.ts';
import { S3ObjectStore } from '../../lambdas/adapters/aws/S3ObjectStore.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { fakeS3 } from '../helpers/fakeS3.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { DAY, T0 } from '../helpers/collecting.ts';
import { readFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SnsAlertSink } from '../../lambdas/adapters/aws/awsAlertSinks.ts';
import { backtest } from '../../lambdas/core/rules/backtest.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';

let sim: RunningSimulator;
const NOW = T0 + 3 * DAY;
beforeAll(async () => {
  sim = await startSimulator({ now: () => NOW });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => vi.restoreAllMocks());

function env(extra: Record<string, string> = {}) {
  return {
    ARCHIVE_BUCKET: 'archive-bucket',
    WORKSPACES: JSON.stringify([{ id: 'sim-acme', region: 'us', secretId: 'intercom/sim-acme', apiUrl: sim.url }]),
    BACKFILL_FROM: new Date(T0 * 1000).toISOString(),
    WINDOW_SECONDS: String(DAY),
    ...extra,
  };
}

function context(remainingMs = 900_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

function setup(extra: Record<string, string> = {}, secret: string | undefined = sim.token, more: Partial<CollectorDeps> = {}) {
  const s3 = fakeS3();
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves(secret === undefined ? {} : { SecretString: secret });
  const logs: string[] = [];
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  vi.spyOn(logger, 'info').mockImplementation((...args: unknown[]) => void logs.push(JSON.stringify(args)));
  vi.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void logs.push(JSON.stringify(args)));
  vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => void logs.push(JSON.stringify(args)));
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'collector' });
  const published: unknown[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    published.push(metrics.serializeMetrics());
    return metrics;
  });
  const handler = createCollectorHandler({
    config: parseCollectorEnv(env(extra)),
    s3: s3.client,
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    logger,
    metrics,
    now: () => new Date(NOW * 1000),
    ...more,
  });
  return { handler, s3, secrets, logs, published };
}

describe('collector Lambda', () => {
  it('collects every workspace into S3 and publishes metrics', async () => {
    const { handler, s3, published, secrets } = setup();
    const result = await handler({}, context());
    expect(result.workspaces[0]).toMatchObject({ workspaceId: 'sim-acme', ok: true, windows: 3 });
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    const lines = await archivedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    expect(lines.length).toBe(sim.workspace.entriesBetween(T0, NOW - 600 - 1).length);
    expect((await verifyArchive(store)).problems).toEqual([]);
    const emf = JSON.stringify(published);
    for (const name of [
      'EntriesArchived',
      'WindowsClosed',
      'EntriesQuarantined',
      'NewestEntryAgeSeconds',
      'ArchiveLagSeconds',
      'IntercomRateLimited',
      'IntercomServerErrors',
    ])
      expect(emf).toContain(name);
    // The token is fetched once per container.
    await handler({}, context());
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('stops taking new windows before the deadline and leaves a consistent chain', async () => {
    const { handler, s3 } = setup();
    const result = await handler({}, context(60_000));
    expect(result.workspaces[0]).toMatchObject({ ok: true, windows: 0, stoppedEarly: true });
    expect((await verifyArchive(new S3ObjectStore(s3.client, { bucket: 'archive-bucket' }))).ok).toBe(true);
  });

  it('fails the invocation with a message naming an empty secret, never logging a token', async () => {
    const { handler, logs } = setup({}, '');
    await expect(handler({}, context())).rejects.toThrow(
      /secret intercom\/sim-acme has no token yet: set it with aws secretsmanager put-secret-value/,
    );
    expect(logs.join('\n')).toContain('collect failed');
  });

  it('fails with a configuration error, neither logging nor throwing the token, when the secret holds a token with a line break', async () => {
    const { handler, logs } = setup({}, `${sim.token}\nX-Injected: yes`);
    const error = await handler({}, context()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/secret intercom\/sim-acme: the access token contains whitespace, a line break/);
    expect((error as Error).message).not.toContain(sim.token);
    expect(logs.join('\n')).toContain('ConfigurationError');
    expect(logs.join('\n')).not.toContain(sim.token);
  });

  it('never logs the token or entry bodies', async () => {
    const { handler, logs } = setup();
    await handler({}, context());
    const text = logs.join('\n');
    expect(text).not.toContain(sim.token);
    expect(text).not.toContain('@acme-sim.example');
  });
});

/** A KMS-like signer (RSASSA-PSS SHA-256 over the digest) with a fresh RSA-3072 key. */
function kmsLikeSigner(keyId: string): ManifestSigner & { verifier: PublicKeyVerifier } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const verifier = PublicKeyVerifier.fromPem(publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    keyId,
    algorithm: 'RSASSA_PSS_SHA_256',
    verifier,
    sign: async (m) => cryptoSign('sha256', m, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    publicKey: async () => ({
      pem: verifier.pem,
      fingerprint: createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    }),
  };
}

describe('collector Lambda: head receipts and key rotation', () => {
  const signer = kmsLikeSigner('arn:aws:kms:eu-west-1:123456789012:key/old');
  const events = mockClient(EventBridgeClient);
  afterEach(() => events.reset());
  const receipts = () => new EventBridgeReceiptSink(new EventBridgeClient({ region: 'eu-west-1' }));

  it('logs the signed head (structured) and publishes it on the default bus as source intercom-audit-archive, detail-type head receipt', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const { handler, s3, logs } = setup({}, sim.token, { signer, receipts: receipts() });
    await handler({}, context());
    const receipt = (await signedHeadReceipt(new S3ObjectStore(s3.client, { bucket: 'archive-bucket' }), 'sim-acme'))!;
    expect(receipt.seq).toBeGreaterThan(0);
    const logged = logs.map((l) => JSON.parse(l) as unknown[]).find((l) => l[0] === 'head receipt')!;
    expect(logged[1]).toEqual({ workspace: 'sim-acme', seq: receipt.seq, sha256: receipt.sha256, receipt: formatReceipt(receipt) });
    const calls = events.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entry = calls[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ Source: 'intercom-audit-archive', DetailType: 'head receipt' });
    expect(entry.EventBusName).toBeUndefined();
    expect(JSON.parse(entry.Detail!)).toEqual({
      workspace_id: 'sim-acme',
      seq: receipt.seq,
      sha256: receipt.sha256,
      receipt: formatReceipt(receipt),
    });
  });

  it('publishes the receipt also when the run failed after writing something', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    let calls = 0;
    // Intercom starts refusing the token after a few pages: the run has written (and signed) some windows.
    const failing: typeof fetch = async (input, init) =>
      ++calls > 3
        ? new Response(JSON.stringify({ type: 'error.list', errors: [{ code: 'unauthorized' }] }), { status: 401 })
        : fetch(input, init);
    const { handler, s3 } = setup({}, sim.token, { signer, receipts: receipts(), fetch: failing });
    await expect(handler({}, context())).rejects.toThrow(/collect failed for sim-acme/);
    const receipt = (await signedHeadReceipt(new S3ObjectStore(s3.client, { bucket: 'archive-bucket' }), 'sim-acme'))!;
    expect(receipt.seq).toBeGreaterThan(0);
    expect(JSON.parse(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!)).toMatchObject({ seq: receipt.seq });
  });

  it('fails the invocation (the alarm fires) when the receipt cannot be published', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException' }] });
    const { handler, logs } = setup({}, sim.token, { signer, receipts: receipts() });
    await expect(handler({}, context())).rejects.toThrow(
      /head receipt not published: EventBridge refused the head receipt of workspace sim-acme \(AccessDeniedException\)/,
    );
    expect(logs.join('\n')).toContain('head receipt not published');
  });

  it('runs the rotate-key operator event: a rotation record signed by both keys, then only the new key signs', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const next = kmsLikeSigner('arn:aws:kms:eu-west-1:123456789012:key/new');
    const first = setup({}, sim.token, { signer, receipts: receipts(), signerFor: () => next });
    await first.handler({}, context());
    const result = await first.handler({ operation: 'rotate-key', new_key_id: next.keyId }, context());
    const store = new S3ObjectStore(first.s3.client, { bucket: 'archive-bucket' });
    expect(result.rotations).toEqual([
      expect.objectContaining({
        workspaceId: 'sim-acme',
        oldFingerprint: signer.verifier.fingerprint,
        newFingerprint: next.verifier.fingerprint,
      }),
    ]);
    expect((await chainKey(store, 'sim-acme'))!.fingerprint).toBe(next.verifier.fingerprint);
    // The old key is refused from now on; verify follows the rotation with the old key.
    await expect(first.handler({}, context())).rejects.toThrow(/refusing to sign workspace sim-acme's chain with key/);
    const fromPem = (pem: string) => PublicKeyVerifier.fromPem(pem);
    expect((await verifyArchive(store, { verifier: signer.verifier, publicKeyFromPem: fromPem })).problems).toEqual([]);
  });

  it('refuses an operator event it does not understand, saying what it takes', async () => {
    const { handler } = setup({}, sim.token, { signer });
    await expect(handler({ operation: 'rotate-key' }, context())).rejects.toThrow(
      /operator event is invalid \(new_key_id: .*\); send \{"operation":"rotate-key","new_key_id":"<KMS key>"/,
    );
    await expect(handler({ operation: 'delete-everything' }, context())).rejects.toThrow(ConfigurationError);
  });
});

describe('tokenFromSecret()', () => {
  it.each([
    ['plain', 'tok_1', 'tok_1'],
    ['JSON token', '{"token":"tok_2"}', 'tok_2'],
    ['JSON access_token', '{"access_token":" tok_3 "}', 'tok_3'],
  ])('reads a %s secret', (_name, value, token) => {
    expect(tokenFromSecret('s', value)).toBe(token);
  });

  it.each([[''], ['   '], ['{"other":"x"}'], [undefined]])('names the secret when it is empty (%j)', (value) => {
    expect(() => tokenFromSecret('intercom/ws', value)).toThrow(ConfigurationError);
    expect(() => tokenFromSecret('intercom/ws', value)).toThrow(/secret intercom\/ws has no token/);
  });
});

describe('parseCollectorEnv()', () => {
  it('names each missing or invalid variable', () => {
    expect(() => parseCollectorEnv({})).toThrow(/ARCHIVE_BUCKET: is required.*WORKSPACES: is required/);
    expect(() => parseCollectorEnv({ ARCHIVE_BUCKET: 'b', WORKSPACES: 'nope' })).toThrow(/WORKSPACES: must be JSON/);
    expect(() => parseCollectorEnv({ ARCHIVE_BUCKET: 'b', WORKSPACES: '[{"id":"w","region":"mars","secretId":"s"}]' })).toThrow(
      /WORKSPACES \(0\.region\)/,
    );
    expect(() =>
      parseCollectorEnv({ ARCHIVE_BUCKET: 'b', WORKSPACES: '[{"id":"w","region":"us","secretId":"s"}]', RETENTION_YEARS: '0' }),
    ).toThrow(/RETENTION_YEARS/);
  });
});

describe('collector Lambda operator events', () => {
  const quietMetrics = () => {
    const m = new Metrics({ namespace: 'T' });
    vi.spyOn(m, 'publishStoredMetrics').mockImplementation(() => m);
    return m;
  };
  const signer = kmsLikeSigner('arn:aws:kms:eu-west-1:123456789012:key/adopter');

  it('adopts an unsigned history only when an operator asks, logging who and why', async () => {
    const { s3, logs } = setup();
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    // Collected with signing off (SIGNING_KEY_ID unset), then signing turned on.
    const unsigned = createCollectorHandler({
      config: parseCollectorEnv(env()),
      s3: s3.client,
      secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: quietMetrics(),
      now: () => new Date(NOW * 1000),
    });
    await unsigned({}, context());
    const { logger } = { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }) };
    vi.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void logs.push(JSON.stringify(args)));
    vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => void logs.push(JSON.stringify(args)));
    const signing = createCollectorHandler({
      config: parseCollectorEnv(env()),
      s3: s3.client,
      secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
      logger,
      metrics: quietMetrics(),
      now: () => new Date(NOW * 1000),
      signer,
    });
    await expect(signing({}, context())).rejects.toThrow(/keys adopt-unsigned|adopt-unsigned operator event/);
    const out = await signing(
      {
        operation: 'adopt-unsigned',
        workspace: 'sim-acme',
        reason: 'collected before signing was enabled',
        operator: 'arn:aws:iam::123456789012:role/ops',
      },
      context(),
    );
    expect(out.operator).toMatchObject({
      operation: 'adopt-unsigned',
      manifest: expect.stringMatching(/^manifests\/workspace=sim-acme\//),
    });
    expect(logs.some((l) => l.includes('operator event') && l.includes('arn:aws:iam::123456789012:role/ops'))).toBe(true);
    expect((await signing({}, context())).workspaces[0]!.ok).toBe(true);
    const adoption = JSON.parse(s3.objects.get(`archive-bucket/${out.operator!.manifest}`)!.body.toString());
    expect(adoption).toMatchObject({ kind: 'adoption', reason: 'collected before signing was enabled' });
    expect(s3.objects.has(`archive-bucket/${out.operator!.manifest.replace('manifests/', 'signatures/')}`)).toBe(true);
    expect((await verifyArchive(store)).problems).toEqual([]);
  });

  it('rejects a malformed operator event with the field named', async () => {
    const { handler } = setup();
    await expect(handler({ operation: 'acknowledge', workspace: 'sim-acme', reason: 'x' }, context())).rejects.toThrow(
      /operator event is invalid: keys/,
    );
  });
});

describe('collector Lambda live alerts', () => {
  it('delivers the alerts of an invocation whose SNS publish failed on the next invocation, with the same alert_id', async () => {
    const rules = parseRules(readFileSync(new URL('../../rules/default-rules.yaml', import.meta.url), 'utf8'), 'default-rules.yaml');
    const s3 = fakeS3();
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: sim.token });
    const sns = mockClient(SNSClient);
    let down = true;
    sns.on(PublishCommand).callsFake(() => {
      if (down) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      return { MessageId: 'm' };
    });
    const logger = new Logger({ serviceName: 'test' });
    vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'collector' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const config = parseCollectorEnv(env({ ALERT_MAX_AGE_SECONDS: String(2 * DAY) }));
    const handler = createCollectorHandler({
      config,
      s3: s3.client,
      secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
      logger,
      metrics,
      now: () => new Date(NOW * 1000),
      alerts: {
        ruleSet: rules,
        sinks: [new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:111122223333:alerts')],
      },
    });

    await expect(handler({}, context())).rejects.toThrow(/sim-acme \(alerts could not be delivered \(Rate exceeded\)/);
    down = false;
    sns.resetHistory();
    const second = await handler({}, context());
    expect(second.workspaces[0]!.ok).toBe(true);

    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.alert_id!.StringValue);
    const store = new S3ObjectStore(s3.client, { bucket: 'archive-bucket' });
    const { alerts } = await backtest(store, ['sim-acme'], rules, NOW - 2 * DAY, NOW);
    expect(alerts.length).toBeGreaterThan(0);
    expect([...published].sort()).toEqual(alerts.map((a) => a.alert_id).sort());
    // Recorded as sent, and the watermark reached the head.
    for (const a of alerts) expect(await store.head(`alerts/workspace=sim-acme/${a.alert_id}.json`)).toBeDefined();
    // The head is the day's roster manifest (seq 4) since the collector saves GET /admins once caught up;
    // the last window is seq 3. The watermark reaches the head either way.
    const head = await findHead(store, 'sim-acme');
    expect(head!.manifest).toMatchObject({ seq: 4, kind: 'roster' });
    expect(await store.head('alerts/workspace=sim-acme/watermark/000000000004.json')).toBeDefined();
    sns.restore();
  });
});
