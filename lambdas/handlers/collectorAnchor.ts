/** The head receipt a collector run leaves outside the archive: logged, and published when a sink is set. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HeadReceiptSink } from '../adapters/aws/EventBridgeReceiptSink.ts';
import { describeError } from '../core/errors.ts';
import type { ManifestSigner, ObjectStore } from '../core/ports.ts';
import { formatReceipt, signedHeadReceipt } from '../core/signing/receipts.ts';

export interface AnchorDeps {
  readonly store: ObjectStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly signer?: ManifestSigner;
  readonly receipts?: HeadReceiptSink;
}

/** Logs the signed chain head and publishes it; returns what went wrong, if anything (never throws). */
export async function anchorHead(deps: AnchorDeps, workspaceId: string): Promise<string | undefined> {
  if (!deps.signer) return undefined;
  try {
    const receipt = await signedHeadReceipt(deps.store, workspaceId);
    if (!receipt) return undefined;
    deps.logger.info('head receipt', {
      workspace: receipt.workspaceId,
      seq: receipt.seq,
      sha256: receipt.sha256,
      receipt: formatReceipt(receipt),
    });
    await deps.receipts?.publish(receipt);
    return undefined;
  } catch (error) {
    deps.logger.error('head receipt not published', { workspace: workspaceId, error: describeError(error) });
    deps.metrics.addMetric('HeadReceiptFailures', MetricUnit.Count, 1);
    return `head receipt not published: ${describeError(error)}`;
  }
}
