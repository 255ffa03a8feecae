/**
 * The webhook reconciliation, run with each scheduled collector run when the webhook is on
 * (WEBHOOK_RECONCILE_LOOKBACK_SECONDS set by the stack): after the collector, per workspace,
 * the ids the webhook received within the lookback that the poll has not archived. Emits
 * `WebhookUnmatched` (its alarm fires on any) and logs each id with when it was received.
 * A failed reconciliation is logged and counted, never the collector run's failure.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { S3ObjectStore } from '../adapters/aws/S3ObjectStore.ts';
import { describeError } from '../core/errors.ts';
import type { ObjectStore } from '../core/ports.ts';
import { reconcileWebhook } from '../core/webhook/reconcile.ts';
import type { CollectorDeps } from './collector.ts';
import { COLLECTOR_METRICS } from '../environment.ts';

export interface ReconciliationDeps {
  readonly store: ObjectStore;
  readonly workspaceIds: readonly string[];
  readonly lookbackSeconds: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
}

/** The reconciliation's deps from the collector's, or undefined when the webhook is off. */
export function reconciliationFrom(
  deps: Pick<CollectorDeps, 'config' | 'logger' | 'metrics'> & { s3: S3Client },
): ReconciliationDeps | undefined {
  const lookback = deps.config.WEBHOOK_RECONCILE_LOOKBACK_SECONDS;
  if (lookback === undefined) return undefined;
  return {
    store: new S3ObjectStore(deps.s3, { bucket: deps.config.ARCHIVE_BUCKET, prefix: deps.config.ARCHIVE_PREFIX }),
    workspaceIds: deps.config.WORKSPACES.map((w) => w.id),
    lookbackSeconds: lookback,
    logger: deps.logger,
    metrics: deps.metrics,
  };
}

export async function reconcileAll(deps: ReconciliationDeps): Promise<number> {
  const from = Math.floor((deps.now ?? (() => new Date()))().getTime() / 1000) - deps.lookbackSeconds;
  let unmatched = 0;
  for (const workspaceId of deps.workspaceIds) {
    try {
      const result = await reconcileWebhook(deps.store, workspaceId, { from });
      unmatched += result.unmatched.length;
      for (const u of result.unmatched)
        deps.logger.warn('webhook entry not archived by the poll', { workspace: workspaceId, id: u.id, received_at: u.received_at });
      deps.logger.info('webhook reconciliation', { workspace: workspaceId, received: result.received, unmatched: result.unmatched.length });
    } catch (error) {
      deps.logger.error('webhook reconciliation failed', { workspace: workspaceId, error: describeError(error) });
      deps.metrics.addMetric('WebhookReconciliationFailures', MetricUnit.Count, 1);
    }
  }
  deps.metrics.addMetric(COLLECTOR_METRICS.webhookUnmatched, MetricUnit.Count, unmatched);
  deps.metrics.publishStoredMetrics();
  return unmatched;
}

/** The collector handler, followed by the reconciliation after a scheduled run (not an operator event). */
export function withWebhookReconciliation<R extends { workspaces: readonly unknown[] }>(
  handler: (event: unknown, context: Context) => Promise<R>,
  deps: ReconciliationDeps | undefined,
): (event: unknown, context: Context) => Promise<R> {
  if (!deps) return handler;
  return async (event, context) => {
    try {
      return await handler(event, context);
    } finally {
      if (!(typeof event === 'object' && event !== null && 'operation' in event)) await reconcileAll(deps);
    }
  };
}
