/**
 * Intercom's webhook notification envelope, as far as the receiver relies on it:
 * `{ type: "notification_event", app_id, topic, id, created_at, data: { item } }`, where
 * `app_id` is the workspace the event happened in (one app's subscription receives every
 * workspace that installed it) and, for topic `admin.activity_log_event.created`, `data.item`
 * is one activity-log entry in the shape `GET /admins/activity_logs` serves.
 */
import { z } from 'zod';

/** The topic Intercom sends activity-log entries on (needs the app's "Read admins" permission). */
export const ACTIVITY_LOG_TOPIC = 'admin.activity_log_event.created';

/**
 * Largest body the receiver reads, in bytes. An activity-log entry is a few KB; Intercom's
 * notifications carry one item. Anything bigger is answered 413 without being parsed.
 */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** Entry ids become part of an object key: Intercom's are digits; letters, `_` and `-` are allowed, nothing that could leave a prefix. */
export const ENTRY_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const envelopeSchema = z.looseObject({
  type: z.literal('notification_event'),
  app_id: z.string().min(1).max(128),
  topic: z.string().min(1).max(200),
  id: z.string().max(200).optional(),
  data: z.looseObject({ item: z.unknown() }).optional(),
});

export type Notification =
  | { readonly kind: 'entry'; readonly appId: string; readonly notificationId: string | null; readonly item: unknown }
  | { readonly kind: 'ignored'; readonly topic: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads a verified body: an activity-log entry, another topic (ignored) or why it is not a notification. */
export function parseNotification(body: Buffer): Notification {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'the body is not JSON' };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'invalid', reason: `not an Intercom notification (${issue.path.join('.') || '(body)'}: ${issue.message})` };
  }
  const n = parsed.data;
  if (n.topic !== ACTIVITY_LOG_TOPIC) return { kind: 'ignored', topic: n.topic };
  if (n.data?.item === undefined) return { kind: 'invalid', reason: 'data.item is missing' };
  return { kind: 'entry', appId: n.app_id, notificationId: n.id ?? null, item: n.data.item };
}

/** The envelope Intercom would send for `item` (the simulator and tests post these). */
export function notificationFor(appId: string, item: unknown, createdAt: number, id: string): Record<string, unknown> {
  return {
    type: 'notification_event',
    app_id: appId,
    data: { type: 'notification_event_data', item },
    links: {},
    id,
    topic: ACTIVITY_LOG_TOPIC,
    delivery_status: 'pending',
    delivery_attempts: 1,
    delivered_at: 0,
    first_sent_at: createdAt,
    created_at: createdAt,
    self: null,
  };
}
