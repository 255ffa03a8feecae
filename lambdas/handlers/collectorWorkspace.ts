/** One workspace's scheduled collect in the Lambda: the client, the core, live alerts and the run's metrics. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { S3ObjectStore } from '../adapters/aws/S3ObjectStore.ts';
import { type CollectResult, collect } from '../core/collect/collect.ts';
import type { ManifestSigner } from '../core/ports.ts';
import type { AlertSink } from '../core/rules/deliver.ts';
import { alertOnCollected } from '../core/rules/liveAlerts.ts';
import type { RuleSet } from '../core/rules/ruleset.ts';
import { type FeedPublisher, announceManifest } from '../core/siem/feed.ts';
import { COLLECTOR_VERSION, newRunId } from '../core/version.ts';
import { IntercomClient } from '../adapters/intercom/IntercomClient.ts';
import type { CollectorConfig, WorkspaceConfig } from './collectorConfig.ts';

export interface WorkspaceOutcome {
  readonly workspaceId: string;
  readonly ok: boolean;
  readonly entries?: number;
  readonly windows?: number;
  readonly checkpoint?: string;
  readonly stoppedEarly?: boolean;
  readonly error?: string;
}

export interface WorkspaceRunDeps {
  readonly config: CollectorConfig;
  readonly store: S3ObjectStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
  readonly fetch?: typeof fetch;
  readonly signer?: ManifestSigner;
  readonly alerts?: { readonly ruleSet: RuleSet; readonly sinks: readonly AlertSink[] };
  readonly feed?: FeedPublisher;
}

/** Collects one workspace up to the settle lag, stopping before the Lambda deadline. */
export async function runWorkspace(
  deps: WorkspaceRunDeps,
  workspace: WorkspaceConfig,
  token: string,
  context: Context,
): Promise<WorkspaceOutcome> {
  const { config, logger, metrics, now } = deps;
  let rateLimited = 0;
  let serverErrors = 0;
  const client = new IntercomClient({
    token,
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
    const result = await collect(client, deps.store, {
      workspaceId: workspace.id,
      startIfNew: since,
      until: nowSeconds - config.SETTLE_LAG_SECONDS,
      windowSeconds: config.WINDOW_SECONDS,
      lookbackSeconds: config.LOOKBACK_SECONDS,
      runId: newRunId(now()),
      collectorVersion: COLLECTOR_VERSION,
      now,
      ...(deps.signer && { signer: deps.signer }),
      ...(deps.feed && { afterManifestSigned: feedHook(deps, deps.feed) }),
      shouldStop: () => context.getRemainingTimeInMillis() < config.DEADLINE_MARGIN_SECONDS * 1000,
      observer: {
        onWarning: (message) => logger.warn(message, { workspace: workspace.id }),
        onWindowClosed: (report) => logger.info('window closed', { workspace: workspace.id, ...report }),
      },
    });
    if (deps.alerts) await sendAlerts(deps, deps.alerts, workspace.id, result);
    recordRun(deps, workspace.id, result, nowSeconds);
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

function feedHook(deps: WorkspaceRunDeps, feed: FeedPublisher) {
  return async (manifest: Parameters<typeof announceManifest>[1]) => {
    const announced = await announceManifest(deps.store, manifest, feed, {
      bucket: deps.config.ARCHIVE_BUCKET,
      prefix: deps.store.location.replace(/^s3:\/\/[^/]+\//, ''),
      region: deps.config.AWS_REGION,
    });
    deps.metrics.addMetric('SiemFeedMessages', MetricUnit.Count, announced);
  };
}

async function sendAlerts(
  deps: WorkspaceRunDeps,
  alerting: NonNullable<WorkspaceRunDeps['alerts']>,
  workspaceId: string,
  result: CollectResult,
) {
  const alerts = await alertOnCollected(deps.store, alerting.ruleSet, result, alerting.sinks, {
    maxAgeSeconds: deps.config.ALERT_MAX_AGE_SECONDS,
    now: deps.now,
  });
  deps.metrics.addMetric('AlertsSent', MetricUnit.Count, alerts.sent);
  for (const note of alerts.notes) deps.logger.warn(note, { workspace: workspaceId });
  deps.logger.info('alerts', {
    workspace: workspaceId,
    matches: alerts.matches,
    sent: alerts.sent,
    alreadySent: alerts.alreadySent,
    tooOldToSend: alerts.tooOld,
    watermark: alerts.watermark.after,
    snapshotWritten: alerts.snapshot.written,
    ruleFailures: alerts.ruleFailures ?? 0,
  });
}

/** The run's metrics (and a warning when a recovery superseded unsigned manifests). */
function recordRun(deps: WorkspaceRunDeps, workspaceId: string, result: CollectResult, nowSeconds: number): void {
  const { metrics } = deps;
  metrics.addMetric('EntriesArchived', MetricUnit.Count, result.entries + result.lateEntries);
  metrics.addMetric('LateEntries', MetricUnit.Count, result.lateEntries);
  metrics.addMetric('WindowsClosed', MetricUnit.Count, result.windows);
  metrics.addMetric('EntriesQuarantined', MetricUnit.Count, result.quarantined);
  metrics.addMetric('PartsRejected', MetricUnit.Count, result.partsRejected);
  metrics.addMetric('Conflicts', MetricUnit.Count, result.conflicts);
  if (result.superseded.length > 0)
    deps.logger.warn('unsigned manifests superseded by a signed recovery manifest', {
      workspace: workspaceId,
      superseded: result.superseded,
    });
  metrics.addMetric('ArchiveLagSeconds', MetricUnit.Seconds, nowSeconds - result.checkpoint);
  if (result.newestCreatedAt !== null) metrics.addMetric('NewestEntryAgeSeconds', MetricUnit.Seconds, nowSeconds - result.newestCreatedAt);
}
