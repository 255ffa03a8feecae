/** Publishes head receipts on the account's default EventBridge bus, from where an operator routes them out of the account. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ArchiveError } from '../../core/errors.ts';
import { type HeadReceipt, formatReceipt } from '../../core/signing/receipts.ts';
import { HEAD_RECEIPT_DETAIL_TYPE, HEAD_RECEIPT_SOURCE } from '../../handlers/constants.ts';

export interface HeadReceiptSink {
  publish(receipt: HeadReceipt): Promise<void>;
}

export class EventBridgeReceiptSink implements HeadReceiptSink {
  constructor(private readonly events: EventBridgeClient) {}

  async publish(receipt: HeadReceipt): Promise<void> {
    const out = await this.events.send(
      new PutEventsCommand({
        // No EventBusName: the account's default bus.
        Entries: [
          {
            Source: HEAD_RECEIPT_SOURCE,
            DetailType: HEAD_RECEIPT_DETAIL_TYPE,
            Detail: JSON.stringify({
              workspace_id: receipt.workspaceId,
              seq: receipt.seq,
              sha256: receipt.sha256,
              receipt: formatReceipt(receipt),
            }),
          },
        ],
      }),
    );
    if (out.FailedEntryCount)
      throw new ArchiveError(
        `EventBridge refused the head receipt of workspace ${receipt.workspaceId} (${out.Entries?.[0]?.ErrorCode ?? 'unknown error'})`,
      );
  }
}
