/**
 * The per-workspace runs on AWS: each workspace's schedule puts `{"workspace":"<id>"}` on an SQS
 * FIFO queue whose message group is the workspace id, so one invocation collects one workspace,
 * runs of one workspace never overlap, and a heavy or failing workspace delays no other.
 */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.ts';
import { safeText } from '../core/text/safeText.ts';

/** The per-workspace metrics, which the per-workspace alarms watch. */
export const WORKSPACE_METRICS = {
  failures: 'WorkspaceCollectFailures',
  lagSeconds: 'WorkspaceArchiveLagSeconds',
  windowsClosed: 'WorkspaceWindowsClosed',
} as const;

/**
 * `WorkspaceCollectFailures.<id>`: the workspace id is part of the metric name (not a dimension),
 * so every collector metric keeps the one `service` dimension its alarms read.
 */
export function workspaceMetricName(base: keyof typeof WORKSPACE_METRICS, workspaceId: string): string {
  return `${WORKSPACE_METRICS[base]}.${workspaceId}`;
}

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

const sqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string(), eventSource: z.literal('aws:sqs') }).passthrough()).min(1),
});

/** The SQS records of a queue-triggered invocation, or undefined for any other event. */
export function queueRecords(event: unknown): QueueRecord[] | undefined {
  const parsed = sqsEventSchema.safeParse(event);
  return parsed.success ? parsed.data.Records.map((r) => ({ messageId: r.messageId, body: r.body })) : undefined;
}

const messageSchema = z.strictObject({ workspace: z.string().min(1) });

/** The workspace a run message names; a message that names none, or one this collector does not have, is a configuration error. */
export function workspaceOfMessage(body: string, known: readonly string[]): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigurationError('collector run message is not {"workspace":"<id>"}: send one per workspace from its schedule');
  if (!known.includes(parsed.data.workspace))
    throw new ConfigurationError(
      `collector run message names workspace ${safeText(parsed.data.workspace.slice(0, 80))}, which is not one of this collector's (${known.join(', ')})`,
    );
  return parsed.data.workspace;
}
