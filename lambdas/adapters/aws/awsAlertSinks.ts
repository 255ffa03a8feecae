/** AWS alert channels: the alerts SNS topic and an EventBridge bus a SIEM can subscribe to. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ArchiveError } from '../../core/errors.ts';
import type { Alert } from '../../core/rules/evaluate.ts';
import type { AlertSink } from '../../core/rules/deliver.ts';

export const ALERT_SOURCE = 'intercom-audit-archive';
export const ALERT_DETAIL_TYPE = 'Intercom teammate activity alert';

export class SnsAlertSink implements AlertSink {
  readonly channel = 'sns' as const;
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}
  async publish(alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: `[${alert.severity}] ${alert.rule}: ${alert.activity_type}`.slice(0, 100),
          Message: JSON.stringify(alert, null, 2),
          MessageAttributes: {
            alert_id: { DataType: 'String', StringValue: alert.alert_id },
            severity: { DataType: 'String', StringValue: alert.severity },
          },
        }),
      );
    }
  }
}

export class EventBridgeAlertSink implements AlertSink {
  readonly channel = 'eventbridge' as const;
  constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
  ) {}
  async publish(alerts: readonly Alert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i += 10) {
      const batch = alerts.slice(i, i + 10);
      const out = await this.events.send(
        new PutEventsCommand({
          Entries: batch.map((alert) => ({
            EventBusName: this.busName,
            Source: ALERT_SOURCE,
            DetailType: ALERT_DETAIL_TYPE,
            Detail: JSON.stringify(alert),
            Time: new Date(alert.time_utc),
          })),
        }),
      );
      if (out.FailedEntryCount)
        throw new ArchiveError(
          `EventBridge refused ${out.FailedEntryCount} of ${batch.length} alerts; they were not recorded as sent and the next run retries them`,
        );
    }
  }
}
