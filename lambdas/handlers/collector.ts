/**
 * Collector Lambda: wires Secrets Manager, the S3 adapter and the Intercom client to the core.
 * Runs on the EventBridge schedule with reserved concurrency 1; stops taking new windows before
 * the deadline so every run leaves a consistent chain, and the next run continues from it.
 * The parts: `collectorToken` (secrets), `collectorWorkspace` (one workspace's run and metrics),
 * `collectorRotation` (the rotate-key event), `collectorAnchor` (head receipts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
import { type RuleSet, parseRules } from '../core/rules/ruleset.ts';
import type { ManifestSigner } from '../core/ports.ts';
import { describeError } from '../core/errors.ts';
import { type CollectorConfig, type WorkspaceConfig, parseCollectorEnv } from './collectorConfig.ts';

import { METRICS_NAMESPACE } from './constants.ts';
import { isOperatorEvent, runOperatorEvent } from './operatorEvent.ts';
import type { FeedPublisher } from '../core/siem/feed.ts';
import { SnsFeedPublisher } from '../adapters/aws/SnsFeedPublisher.ts';
import { EventBridgeReceiptSink, type HeadReceiptSink } from '../adapters/aws/EventBridgeReceiptSink.ts';
import { TokenCache } from './collectorToken.ts';
import { anchorHead } from './collectorAnchor.ts';
import { type RotationOutcome, rotate, rotateKeyEvent } from './collectorRotation.ts';
import { type WorkspaceOutcome, runWorkspace } from './collectorWorkspace.ts';

export { METRICS_NAMESPACE };
export { tokenFromSecret } from './collectorToken.ts';
export type { OperatorEvent, RotationOutcome } from './collectorRotation.ts';
export type { WorkspaceOutcome } from './collectorWorkspace.ts';

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

export interface CollectorOutput {
  readonly workspaces: WorkspaceOutcome[];
  readonly rotations?: RotationOutcome[];
  readonly operator?: Awaited<ReturnType<typeof runOperatorEvent>>;
}

export function createCollectorHandler(deps: CollectorDeps) {
  const { config, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const tokens = new TokenCache(deps.secrets); // fetched once per container
  const store = new S3ObjectStore(deps.s3, {
    bucket: config.ARCHIVE_BUCKET,
    prefix: config.ARCHIVE_PREFIX,
    retention: { mode: config.OBJECT_LOCK_MODE, years: config.RETENTION_YEARS },
  });
  const run = { ...deps, store, now };

  /** Collects each workspace in turn; a failure is logged, counted and reported, and never stops the next one. */
  async function collectAll(workspaces: readonly WorkspaceConfig[], context: Context): Promise<WorkspaceOutcome[]> {
    const outcomes: WorkspaceOutcome[] = [];
    for (const workspace of workspaces) {
      let outcome: WorkspaceOutcome;
      try {
        outcome = await runWorkspace(run, workspace, await tokens.tokenFor(workspace), context);
        deps.logger.info('collect finished', { ...outcome });
      } catch (error) {
        // Only the message: never a token, never an entry body.
        deps.logger.error('collect failed', { workspace: workspace.id, error: describeError(error), errorName: (error as Error)?.name });
        metrics.addMetric('CollectorFailures', MetricUnit.Count, 1);
        outcome = { workspaceId: workspace.id, ok: false, error: describeError(error) };
      }
      // The head receipt, also after a failed run: the anchor outside the archive.
      const problem = await anchorHead(run, workspace.id);
      outcomes.push(problem ? { ...outcome, ok: false, error: outcome.error ? `${outcome.error}; ${problem}` : problem } : outcome);
    }
    return outcomes;
  }

  return async (event: unknown, context: Context): Promise<CollectorOutput> => {
    // An operator's explicit request instead of a scheduled run: rotate-key, adopt-unsigned, acknowledge.
    if (isOperatorEvent(event) && (event as { operation?: unknown }).operation === 'rotate-key') {
      const operation = rotateKeyEvent(event)!;
      try {
        return { workspaces: [], ...(await rotate(run, operation)) };
      } finally {
        metrics.publishStoredMetrics();
      }
    }
    if (isOperatorEvent(event))
      return {
        workspaces: [],
        operator: await runOperatorEvent(event, { store, ...(deps.signer && { signer: deps.signer }), logger: deps.logger, now }),
      };
    let outcomes: WorkspaceOutcome[];
    try {
      outcomes = await collectAll(config.WORKSPACES, context);
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
