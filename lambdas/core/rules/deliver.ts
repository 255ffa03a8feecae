/**
 * Live alert delivery, at least once: an alert is published to every channel its rule names,
 * then recorded as sent with a create-only object `alerts/workspace=<id>/<alert id>.json` in the
 * archive. A rerun skips what was recorded; a crash between publishing and recording re-sends,
 * and the deterministic alert id lets consumers drop the repeat.
 */
import { sha256Hex } from '../archive/manifest.ts';
import { IntegrityError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import type { Alert } from './evaluate.ts';

export type AlertChannel = Alert['notify'][number];

/** A channel alerts are published to (stdout and a JSONL file locally; SNS and EventBridge on AWS). */
export interface AlertSink {
  readonly channel: AlertChannel;
  publish(alerts: readonly Alert[]): Promise<void>;
}

export function alertRecordKey(alert: Alert): string {
  return `alerts/workspace=${alert.workspace_id}/${alert.alert_id}.json`;
}

export async function deliverAlerts(
  store: ObjectStore,
  alerts: readonly Alert[],
  sinks: readonly AlertSink[],
  now: Date = new Date(),
): Promise<{ sent: number; alreadySent: number }> {
  const fresh: Alert[] = [];
  let alreadySent = 0;
  for (const alert of alerts) {
    if (await store.head(alertRecordKey(alert))) alreadySent += 1;
    else fresh.push(alert);
  }
  for (const sink of sinks) {
    const mine = fresh.filter((a) => a.notify.includes(sink.channel));
    if (mine.length) await sink.publish(mine);
  }
  for (const alert of fresh) {
    const body = Buffer.from(
      `${JSON.stringify({ ...alert, sent_at: now.toISOString(), channels: sinks.map((s) => s.channel).filter((c) => alert.notify.includes(c)) })}\n`,
    );
    try {
      await store.putIfAbsent(alertRecordKey(alert), body, sha256Hex(body));
    } catch (error) {
      // The other path (poll or webhook) recorded it between our check and our write: it is sent either way.
      if (!(error instanceof IntegrityError && error.key === alertRecordKey(alert))) throw error;
    }
  }
  return { sent: fresh.length, alreadySent };
}
