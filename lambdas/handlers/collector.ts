/**
 * Collector Lambda: wires Secrets Manager, the S3 adapter and the Intercom client to the core.
 * Runs on the EventBridge schedule with reserved concurrency 1; stops taking new windows before
 * the deadline so every run leaves a consistent chain, and the next run continues from it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore.ts';
import { KmsSigner } from '../adapters/aws/KmsSigner.ts';
import { KMSClient } from '@aws-sdk/client-kms';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeAlertSink, SnsAlertSink } from '../adapters/aws/awsAlertSinks.ts';
import type { AlertSink } from '../core/rules/deliver.ts';
import { alertOnCollected } from '../core/rules/liveAlerts.ts';
import { type RuleSet, parseRules } from '../core/rules/ruleset.ts';
import type { ManifestSigner } from '../core/ports.ts';
import { collect } from '../core/collect/collect.ts';
import { ConfigurationError, describeError } from '../core/errors.ts';
import { COLLECTOR_VERSION, newRunId } from '../core/version.ts';
import { IntercomClient, checkToken } from '../adapters/intercom/IntercomClient.ts';
import { type CollectorConfig, type WorkspaceConfig, parseCollectorEnv } from './collectorConfig.ts';

import { METRICS_NAMESPACE } from './constants.ts';
import { isOperatorEvent, runOperatorEvent } from './operatorEvent.ts';
import { type FeedPublisher, announceManifest } from '../core/siem/feed.ts';
import { SnsFeedPublisher } from '../adapters/aws/SnsFeedPublisher.ts';
import { EventBridgeReceiptSink, type HeadReceiptSink } from '../adapters/aws/EventBridgeReceiptSink.ts';
import { formatReceipt, signedHeadReceipt } from '../core/signing/receipts.ts';
import { rotateKey } from '../core/signing/rotation.ts';
import { z } from 'zod';

export { METRICS_NAMESPACE };

export interface CollectorDeps {
  readonly config: CollectorConfig;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  readonly signer?: ManifestSigner;
  /** Alert rules and the channels matches go to (SNS, EventBridge). */
  readonly alerts?: { readonly ruleSet: RuleSet; readonly sinks: readonly AlertSink[] };
  /** The SIEM feed (siemFeed: true): announces each signed manifest's parts. */
  readonly feed?: FeedPublisher;
  /** Where head receipts are published (the default EventBridge bus); they are always logged. */
  readonly receipts?: HeadReceiptSink;
  /** The signer of another KMS key (the new key of a rotate-key event). */
  readonly signerFor?: (keyId: string) => ManifestSigner;
}

/**
 * An operator's event, e.g. `{"operation":"rotate-key","new_key_id":"arn:aws:kms:…"}`: the
 * collector stays the only writer of signatures/ and keys/, and the only signer.
 */
const operatorEventSchema = z.strictObject({
  operation: z.literal('rotate-key'),
  /** The new KMS key (id, ARN or alias); the collector role must be allowed kms:Sign and kms:GetPublicKey on it. */
  new_key_id: z.string().min(1),
  /** Only this workspace (default: every configured workspace). */
  workspace: z.string().optional(),
});
export type OperatorEvent = z.infer<typeof operatorEventSchema>;

export interface RotationOutcome {
  readonly workspaceId: string;
  readonly oldFingerprint: string;
  readonly newFingerprint: string;
  readonly firstSeq: number;
}

function operatorEvent(event: unknown): OperatorEvent | undefined {
  if (typeof event !== 'object' || event === null || !('operation' in event)) return undefined;
  const parsed = operatorEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ConfigurationError(
      `operator event is invalid (${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}); send {"operation":"rotate-key","new_key_id":"<KMS key>","workspace":"<optional id>"}`,
    );
  }
  return parsed.data;
}

export interface WorkspaceOutcome {
  readonly workspaceId: string;
  readonly ok: boolean;
  readonly entries?: number;
  readonly windows?: number;
  readonly checkpoint?: string;
  readonly stoppedEarly?: boolean;
  readonly error?: string;
}

/** Reads a token stored as a plain string or as JSON (`token`, `access_token` or `INTERCOM_ACCESS_TOKEN`). */
export function tokenFromSecret(secretId: string, value: string | undefined): string {
  const text = value?.trim() ?? '';
  let token = text;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const found = json.token ?? json.access_token ?? json.INTERCOM_ACCESS_TOKEN;
      token = typeof found === 'string' ? found.trim() : '';
    } catch {
      throw new ConfigurationError(
        `secret ${secretId} looks like JSON but does not parse; store the token as a plain string or as {"token":"…"}`,
      );
    }
  }
  if (!token) {
    throw new ConfigurationError(
      `secret ${secretId} has no token yet: set it with aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '<Intercom access token>'`,
    );
  }
  return checkToken(token, `secret ${secretId}`);
}

export function createCollectorHandler(deps: CollectorDeps) {
  const { config, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const tokens = new Map<string, string>(); // fetched once per container

  async function token(workspace: WorkspaceConfig): Promise<string> {
    const cached = tokens.get(workspace.secretId);
    if (cached) return cached;
    let value: string | undefined;
    try {
      value = (await deps.secrets.send(new GetSecretValueCommand({ SecretId: workspace.secretId }))).SecretString;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ResourceNotFoundException' || name === 'InvalidRequestException') {
        throw new ConfigurationError(
          `secret ${workspace.secretId} for workspace ${workspace.id} is missing or has no value yet (${name}); set the token with aws secretsmanager put-secret-value`,
        );
      }
      throw error;
    }
    const result = tokenFromSecret(workspace.secretId, value);
    tokens.set(workspace.secretId, result);
    return result;
  }

  const store = new S3ObjectStore(deps.s3, {
    bucket: config.ARCHIVE_BUCKET,
    prefix: config.ARCHIVE_PREFIX,
    retention: { mode: config.OBJECT_LOCK_MODE, years: config.RETENTION_YEARS },
  });

  const feedHook = (feed: FeedPublisher) => async (manifest: Parameters<typeof announceManifest>[1]) => {
    const announced = await announceManifest(store, manifest, feed, {
      bucket: config.ARCHIVE_BUCKET,
      prefix: store.location.replace(/^s3:\/\/[^/]+\//, ''),
      region: config.AWS_REGION,
    });
    metrics.addMetric('SiemFeedMessages', MetricUnit.Count, announced);
  };
  /** Logs the signed chain head and publishes it; returns what went wrong, if anything (never throws). */
  async function anchorHead(workspaceId: string): Promise<string | undefined> {
    if (!deps.signer) return undefined;
    try {
      const receipt = await signedHeadReceipt(store, workspaceId);
      if (!receipt) return undefined;
      logger.info('head receipt', {
        workspace: receipt.workspaceId,
        seq: receipt.seq,
        sha256: receipt.sha256,
        receipt: formatReceipt(receipt),
      });
      await deps.receipts?.publish(receipt);
      return undefined;
    } catch (error) {
      logger.error('head receipt not published', { workspace: workspaceId, error: describeError(error) });
      metrics.addMetric('HeadReceiptFailures', MetricUnit.Count, 1);
      return `head receipt not published: ${describeError(error)}`;
    }
  }

  async function rotate(operation: OperatorEvent): Promise<{ rotations: RotationOutcome[] }> {
    if (!deps.signer)
      throw new ConfigurationError('rotate-key: this collector has no signing key (SIGNING_KEY_ID) to hand the chain over from');
    if (!deps.signerFor) throw new ConfigurationError('rotate-key: this collector cannot build a signer for another key');
    const next = deps.signerFor(operation.new_key_id);
    const workspaces = config.WORKSPACES.filter((w) => operation.workspace === undefined || w.id === operation.workspace);
    if (workspaces.length === 0)
      throw new ConfigurationError(
        `rotate-key: workspace ${operation.workspace} is not one of this collector's (${config.WORKSPACES.map((w) => w.id).join(', ')})`,
      );
    const rotations: RotationOutcome[] = [];
    for (const workspace of workspaces) {
      const record = await rotateKey(store, workspace.id, deps.signer, next, now());
      const outcome = {
        workspaceId: workspace.id,
        oldFingerprint: record.old_key.fingerprint,
        newFingerprint: record.new_key.fingerprint,
        firstSeq: record.first_seq,
      };
      logger.info('signing key rotated: set SIGNING_KEY_ID to the new key before the next run', {
        ...outcome,
        newKeyId: operation.new_key_id,
      });
      rotations.push(outcome);
      const problem = await anchorHead(workspace.id);
      if (problem) throw new Error(problem);
    }
    return { rotations };
  }

  async function runWorkspace(workspace: WorkspaceConfig, context: Context): Promise<WorkspaceOutcome> {
    let rateLimited = 0;
    let serverErrors = 0;
    const client = new IntercomClient({
      token: await token(workspace),
      ...(workspace.apiUrl ? { baseUrl: workspace.apiUrl } : { region: workspace.region }),
      budgetShare: config.BUDGET_SHARE,
      ...(deps.fetch && { fetch: deps.fetch }),
      onEvent: (event) => {
        if (event.type === 'rate-limited') rateLimited += 1;
        if (event.type === 'retry' && event.kind === 'server') serverErrors += 1;
      },
    });
    const nowSeconds = Math.floor(now().getTime() / 1000);
    const since = config.BACKFILL_FROM ? Math.floor(Date.parse(config.BACKFILL_FROM) / 1000) : nowSeconds - 365 * 86_400;
    try {
      const result = await collect(client, store, {
        workspaceId: workspace.id,
        startIfNew: since,
        until: nowSeconds - config.SETTLE_LAG_SECONDS,
        windowSeconds: config.WINDOW_SECONDS,
        lookbackSeconds: config.LOOKBACK_SECONDS,
        runId: newRunId(now()),
        collectorVersion: COLLECTOR_VERSION,
        now,
        ...(deps.signer && { signer: deps.signer }),
        ...(deps.feed && { afterManifestSigned: feedHook(deps.feed) }),
        shouldStop: () => context.getRemainingTimeInMillis() < config.DEADLINE_MARGIN_SECONDS * 1000,
        observer: {
          onWarning: (message) => logger.warn(message, { workspace: workspace.id }),
          onWindowClosed: (report) => logger.info('window closed', { workspace: workspace.id, ...report }),
        },
      });
      if (deps.alerts) {
        const alerts = await alertOnCollected(store, deps.alerts.ruleSet, result, deps.alerts.sinks, {
          maxAgeSeconds: config.ALERT_MAX_AGE_SECONDS,
          now,
        });
        metrics.addMetric('AlertsSent', MetricUnit.Count, alerts.sent);
        for (const note of alerts.notes) logger.warn(note, { workspace: workspace.id });
        logger.info('alerts', {
          workspace: workspace.id,
          matches: alerts.matches,
          sent: alerts.sent,
          alreadySent: alerts.alreadySent,
          tooOldToSend: alerts.tooOld,
          watermark: alerts.watermark.after,
          snapshotWritten: alerts.snapshot.written,
          ruleFailures: alerts.ruleFailures ?? 0,
        });
      }
      metrics.addMetric('EntriesArchived', MetricUnit.Count, result.entries + result.lateEntries);
      metrics.addMetric('LateEntries', MetricUnit.Count, result.lateEntries);
      metrics.addMetric('WindowsClosed', MetricUnit.Count, result.windows);
      metrics.addMetric('EntriesQuarantined', MetricUnit.Count, result.quarantined);
      metrics.addMetric('PartsRejected', MetricUnit.Count, result.partsRejected);
      metrics.addMetric('Conflicts', MetricUnit.Count, result.conflicts);
      if (result.superseded.length > 0)
        logger.warn('unsigned manifests superseded by a signed recovery manifest', {
          workspace: workspace.id,
          superseded: result.superseded,
        });
      metrics.addMetric('ArchiveLagSeconds', MetricUnit.Seconds, nowSeconds - result.checkpoint);
      if (result.newestCreatedAt !== null)
        metrics.addMetric('NewestEntryAgeSeconds', MetricUnit.Seconds, nowSeconds - result.newestCreatedAt);
      return {
        workspaceId: workspace.id,
        ok: true,
        entries: result.entries + result.lateEntries,
        windows: result.windows,
        checkpoint: new Date(result.checkpoint * 1000).toISOString(),
        stoppedEarly: result.stoppedEarly,
      };
    } finally {
      metrics.addMetric('IntercomRateLimited', MetricUnit.Count, rateLimited);
      metrics.addMetric('IntercomServerErrors', MetricUnit.Count, serverErrors);
    }
  }

  return async (
    event: unknown,
    context: Context,
  ): Promise<{
    workspaces: WorkspaceOutcome[];
    rotations?: RotationOutcome[];
    operator?: Awaited<ReturnType<typeof runOperatorEvent>>;
  }> => {
    // An operator's explicit request instead of a scheduled run: rotate-key, adopt-unsigned, acknowledge.
    if (isOperatorEvent(event) && (event as { operation?: unknown }).operation === 'rotate-key') {
      const operation = operatorEvent(event)!;
      try {
        return { workspaces: [], ...(await rotate(operation)) };
      } finally {
        metrics.publishStoredMetrics();
      }
    }
    if (isOperatorEvent(event))
      return {
        workspaces: [],
        operator: await runOperatorEvent(event, { store, ...(deps.signer && { signer: deps.signer }), logger, now }),
      };
    const outcomes: WorkspaceOutcome[] = [];
    try {
      for (const workspace of config.WORKSPACES) {
        let outcome: WorkspaceOutcome;
        try {
          outcome = await runWorkspace(workspace, context);
          logger.info('collect finished', { ...outcome });
        } catch (error) {
          // Only the message: never a token, never an entry body.
          logger.error('collect failed', { workspace: workspace.id, error: describeError(error), errorName: (error as Error)?.name });
          metrics.addMetric('CollectorFailures', MetricUnit.Count, 1);
          outcome = { workspaceId: workspace.id, ok: false, error: describeError(error) };
        }
        // The head receipt, also after a failed run: the anchor outside the archive.
        const problem = await anchorHead(workspace.id);
        outcomes.push(problem ? { ...outcome, ok: false, error: outcome.error ? `${outcome.error}; ${problem}` : problem } : outcome);
      }
    } finally {
      metrics.publishStoredMetrics();
    }
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      // Failing the invocation is what raises the Errors alarm and reaches the failure destination.
      throw new Error(`collect failed for ${failed.map((o) => `${o.workspaceId} (${o.error})`).join('; ')}`);
    }
    return { workspaces: outcomes };
  };
}

/**
 * The real adapters for a Lambda container, from its environment: configuration parsed and
 * checked, the rules file read and validated, every SDK client built. `collectorEntry.ts` calls
 * this once, when the runtime loads the function; a bad setting fails the start, naming it.
 */
export function collectorDepsFromEnvironment(env: NodeJS.ProcessEnv): CollectorDeps {
  const config = parseCollectorEnv(env);
  // A bad rules file fails here, at start, with the rule and field named.
  const ruleSet = config.RULES_FILE
    ? parseRules(readFileSync(path.resolve(import.meta.dirname, config.RULES_FILE), 'utf8'), config.RULES_FILE)
    : undefined;
  // One client per service, shared by everything that calls it.
  const kms = new KMSClient({});
  const sns = new SNSClient({});
  const events = new EventBridgeClient({});
  const sinks: AlertSink[] = [
    ...(config.ALERTS_TOPIC_ARN ? [new SnsAlertSink(sns, config.ALERTS_TOPIC_ARN)] : []),
    ...(config.ALERTS_BUS_NAME ? [new EventBridgeAlertSink(events, config.ALERTS_BUS_NAME)] : []),
  ];
  return {
    config,
    ...(ruleSet && { alerts: { ruleSet, sinks } }),
    ...(config.SIGNING_KEY_ID && { signer: new KmsSigner(kms, config.SIGNING_KEY_ID) }),
    ...(config.SIEM_FEED_TOPIC_ARN && { feed: new SnsFeedPublisher(sns, config.SIEM_FEED_TOPIC_ARN) }),
    signerFor: (keyId) => new KmsSigner(kms, keyId),
    receipts: new EventBridgeReceiptSink(events),
    s3: new S3Client({}),
    secrets: new SecretsManagerClient({}),
    // The service name comes from POWERTOOLS_SERVICE_NAME, which the stack sets.
    logger: new Logger(),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE }),
  };
}
