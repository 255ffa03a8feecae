/**
 * The webhook receiver, independent of its transport (a Lambda Function URL on AWS, a loopback
 * HTTP server locally): one request in, one status out.
 *
 *   HEAD                                   200 (Intercom validates the endpoint this way)
 *   not POST                               405
 *   body over MAX_WEBHOOK_BODY_BYTES       413, before any parsing
 *   X-Hub-Signature missing or wrong       401
 *   not a notification                     400
 *   another topic                          200, ignored
 *   app_id of no configured workspace      403 (a signed notification for a workspace this deployment does not archive)
 *   entry id unsafe in a key               400, nothing written
 *   entry time over 5 minutes in the future 400, nothing written
 *   entry fails the archive's validation   200, recorded, no alert (the poll quarantines it)
 *   already received                       200, nothing sent again (a retry or a replay)
 *   otherwise                              alerts evaluated and delivered, then the id recorded; 200
 *   a channel refused the alerts           500: nothing recorded, so Intercom's retry evaluates again
 */
import { describeError } from '../errors.ts';
import { toArchiveLineOrReason } from '../archive/lines.ts';
import { classifyEntries } from '../intercom/schema.ts';
import type { CheckpointCache, ObjectStore } from '../ports.ts';
import type { AlertSink } from '../rules/deliver.ts';
import type { AlertEntry } from '../rules/evaluate.ts';
import type { RuleSet } from '../rules/ruleset.ts';
import { ENTRY_ID_PATTERN, MAX_WEBHOOK_BODY_BYTES, parseNotification } from './notification.ts';
import { RECEIVED_FORMAT, recordReceived, wasReceived } from './received.ts';
import { SIGNATURE_HEADER, verifyHubSignature } from './signature.ts';
import { alertOnWebhookEntry } from './webhookAlerts.ts';

export interface WebhookRequest {
  readonly method: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, exactly as received (at most the limit plus one byte). */
  readonly body: Buffer;
  /** The transport stopped reading because the body was over the limit. */
  readonly tooLarge?: boolean;
}

export type WebhookOutcome =
  | 'validated'
  | 'method-not-allowed'
  | 'too-large'
  | 'unauthorized'
  | 'invalid'
  | 'ignored'
  | 'unknown-app'
  | 'rejected-entry'
  | 'quarantined'
  | 'duplicate'
  | 'received'
  | 'delivery-failed';

export interface WebhookResponse {
  readonly status: number;
  readonly outcome: WebhookOutcome;
  /** Short, secret-free; returned to the caller and logged. */
  readonly message: string;
  readonly workspaceId?: string;
  readonly entryId?: string;
  readonly alertIds?: readonly string[];
  readonly sent?: number;
  readonly notes?: readonly string[];
}

export interface WebhookReceiverDeps {
  /** The Intercom app's client secret. */
  readonly secret: string;
  /** Intercom app_id (the workspace's id_code) → the workspace id the archive uses. */
  readonly apps: ReadonlyMap<string, string>;
  readonly store: ObjectStore;
  /** Live alert rules; without them ids are only recorded. */
  readonly alerts?: { readonly ruleSet: RuleSet; readonly sinks: readonly AlertSink[]; readonly maxAgeSeconds: number };
  readonly now?: () => Date;
  /** @default MAX_WEBHOOK_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** The chain head each workspace had last time (memoryHeadHint()): saves most of the HEAD probes. */
  readonly headHint?: CheckpointCache;
}

/** A per-process head hint for a long-lived receiver (a Lambda container, the local server). */
export function memoryHeadHint(): CheckpointCache {
  const seqs = new Map<string, number>();
  return {
    get: async (workspaceId) => seqs.get(workspaceId),
    set: async (workspaceId, seq) => {
      seqs.set(workspaceId, seq);
    },
  };
}

/** How far ahead of this clock an entry's time may be (clock skew), before it is refused. */
const MAX_CLOCK_SKEW_SECONDS = 300;

const reply = (status: number, outcome: WebhookOutcome, message: string, extra: Partial<WebhookResponse> = {}): WebhookResponse => ({
  status,
  outcome,
  message,
  ...extra,
});

/** Answers one request (see the file comment for every status). */
export async function receiveWebhook(req: WebhookRequest, deps: WebhookReceiverDeps): Promise<WebhookResponse> {
  const method = req.method.toUpperCase();
  if (method === 'HEAD') return reply(200, 'validated', 'ok');
  if (method !== 'POST') return reply(405, 'method-not-allowed', 'only POST notifications (and HEAD) are accepted');
  const limit = deps.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  if (req.tooLarge || req.body.length > limit) return reply(413, 'too-large', `the body is over ${limit} bytes`);
  if (!verifyHubSignature(req.body, req.headers[SIGNATURE_HEADER], deps.secret))
    return reply(401, 'unauthorized', 'X-Hub-Signature is missing or does not match the body');
  const notification = parseNotification(req.body);
  if (notification.kind === 'invalid') return reply(400, 'invalid', notification.reason);
  if (notification.kind === 'ignored') return reply(200, 'ignored', 'topic ignored');
  const workspaceId = deps.apps.get(notification.appId);
  if (workspaceId === undefined) return reply(403, 'unknown-app', 'app_id is not a workspace this receiver is configured for');
  return receiveEntry(notification.item, notification.appId, notification.notificationId, workspaceId, deps);
}

async function receiveEntry(
  item: unknown,
  appId: string,
  notificationId: string | null,
  workspaceId: string,
  deps: WebhookReceiverDeps,
): Promise<WebhookResponse> {
  const now = deps.now ?? (() => new Date());
  const { entries, quarantined } = classifyEntries([item]);
  const id = entries[0]?.id ?? quarantined[0]?.id;
  const createdAt = entries[0]?.created_at ?? quarantined[0]?.createdAt;
  if (typeof id !== 'string' || !ENTRY_ID_PATTERN.test(id) || createdAt === undefined || createdAt > 9_999_999_999)
    return reply(400, 'rejected-entry', 'data.item has no id and time that can be recorded (id: 1–128 letters, digits, _ or -)');
  // Nothing from the future: a window never ends after now, so the poll could not confirm it either.
  if (createdAt > Math.floor(now().getTime() / 1000) + MAX_CLOCK_SKEW_SECONDS)
    return reply(400, 'rejected-entry', 'data.item.created_at is in the future');
  const where = { workspaceId, entryId: id };
  if (await wasReceived(deps.store, workspaceId, createdAt, id)) return reply(200, 'duplicate', 'already received', where);

  const line = entries[0]
    ? toArchiveLineOrReason(
        entries[0],
        workspaceId,
        { runId: 'webhook', collectorVersion: 'webhook', apiHost: 'webhook', apiVersion: 'webhook' },
        now().toISOString(),
        false,
      )
    : undefined;
  const record = {
    format: RECEIVED_FORMAT,
    workspace_id: workspaceId,
    id,
    created_at: createdAt,
    activity_type:
      typeof (item as { activity_type?: unknown }).activity_type === 'string' ? (item as { activity_type: string }).activity_type : null,
    app_id: appId,
    notification_id: notificationId,
    received_at: now().toISOString(),
  } as const;
  if (!line || !('line' in line)) {
    await recordReceived(deps.store, record);
    return reply(200, 'quarantined', 'the entry does not pass validation: recorded, no alert (the poll quarantines it)', where);
  }
  let result: Awaited<ReturnType<typeof alertOnWebhookEntry>> | undefined;
  if (deps.alerts) {
    try {
      result = await alertOnWebhookEntry(deps.store, deps.alerts.ruleSet, line.line as unknown as AlertEntry, deps.alerts.sinks, {
        maxAgeSeconds: deps.alerts.maxAgeSeconds,
        now,
        ...(deps.headHint && { headHint: deps.headHint }),
      });
    } catch (error) {
      return reply(500, 'delivery-failed', `alerts could not be delivered (${describeError(error)}); retry`, where);
    }
  }
  await recordReceived(deps.store, record);
  return reply(200, 'received', result?.tooOld ? 'received; older than the alert max age' : 'received', {
    ...where,
    alertIds: result?.alertIds ?? [],
    sent: result?.sent ?? 0,
    notes: result?.notes ?? [],
  });
}
