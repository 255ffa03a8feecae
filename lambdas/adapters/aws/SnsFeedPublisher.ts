/** The SIEM feed on AWS: SNS PublishBatch (10 a call) to the feed topic. */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ArchiveError } from '../../core/errors.ts';
import type { FeedMessage, FeedPublisher } from '../../core/siem/feed.ts';

export class SnsFeedPublisher implements FeedPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(messages: readonly FeedMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const out = await this.sns.send(
        new PublishBatchCommand({
          TopicArn: this.topicArn,
          PublishBatchRequestEntries: batch.map((m, n) => ({
            Id: String(n),
            Message: m.body,
            MessageAttributes: { feed_id: { DataType: 'String', StringValue: m.id } },
          })),
        }),
      );
      if (out.Failed && out.Failed.length > 0) {
        throw new ArchiveError(
          `SNS refused ${out.Failed.length} of ${batch.length} SIEM feed messages (${out.Failed[0]?.Code ?? 'unknown'}): the window is archived and signed, its announcement is incomplete`,
        );
      }
    }
  }
}
