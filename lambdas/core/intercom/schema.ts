/**
 * Shapes of Intercom's `GET /admins/activity_logs` response, validated with zod.
 *
 * The page envelope is checked strictly (types and required keys): a page that does not
 * match is a broken response and gets retried. Each entry is checked loosely: the
 * `activity_type` enum is open (new types appear without a version bump), `metadata` is
 * any JSON object whose field types vary, and unknown keys are kept. An entry that fails
 * even that is quarantined verbatim, never dropped.
 */
import { z } from 'zod';

/** A closed time range as sent to the API: `created_at_after` / `created_at_before`, UNIX seconds. */
export interface TimeRange {
  readonly after: number;
  readonly before: number;
}

export const pageEnvelopeSchema = z.looseObject({
  type: z.literal('activity_log.list'),
  // The 2.16 spec types `next` as an object; real responses carry a full URL string or null.
  pages: z
    .looseObject({
      next: z.string().url().nullable().optional(),
      page: z.number().int().optional(),
      per_page: z.number().int().optional(),
      total_pages: z.number().int().optional(),
    })
    .optional(),
  activity_logs: z.array(z.unknown()),
});

export type PageEnvelope = z.infer<typeof pageEnvelopeSchema>;

const optionalText = z.string().nullable().optional();

export const activityLogSchema = z.looseObject({
  id: z.string().min(1),
  created_at: z.number().int().nonnegative(),
  activity_type: z.string().min(1),
  activity_description: optionalText,
  performed_by: z
    .looseObject({
      type: optionalText,
      id: z.union([z.string(), z.number()]).nullable().optional(),
      email: optionalText,
      ip: optionalText,
    })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});

export type ActivityLog = z.infer<typeof activityLogSchema>;

/** An entry that failed validation, kept verbatim with the reason. */
export interface QuarantinedEntry {
  readonly raw: unknown;
  readonly reason: string;
  /** The entry's id and time when they could be read, so it can still be deduplicated and placed. */
  readonly id?: string;
  readonly createdAt?: number;
}

export interface ActivityPage {
  readonly entries: ActivityLog[];
  readonly quarantined: QuarantinedEntry[];
  /** The server's `pages.total_pages` for the range, when it sent a positive one: an estimate, never trusted for completeness. */
  readonly totalPages?: number;
  /** The page's body size as served, where the source reads one: bounds what prefetching holds. */
  readonly bytes?: number;
}

/** Splits a page's raw entries into valid ones and quarantined ones. */
export function classifyEntries(rawEntries: readonly unknown[]): ActivityPage {
  const entries: ActivityLog[] = [];
  const quarantined: QuarantinedEntry[] = [];
  for (const raw of rawEntries) {
    let parsed: ReturnType<typeof activityLogSchema.safeParse>;
    try {
      parsed = activityLogSchema.safeParse(raw);
    } catch (error) {
      // Validation itself failed on this entry (never seen, but one entry must not stop a page).
      quarantined.push({ raw, reason: `(entry): could not be validated (${error instanceof Error ? error.name : 'error'})` });
      continue;
    }
    if (parsed.success) {
      // Keep the object as served (zod rebuilds objects with its own key order); the schema
      // has no transforms or defaults, so the raw value is exactly what was validated.
      entries.push(raw as ActivityLog);
      continue;
    }
    const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const id = typeof record.id === 'string' && record.id.length > 0 ? record.id : undefined;
    const createdAt =
      typeof record.created_at === 'number' && Number.isInteger(record.created_at) && record.created_at >= 0
        ? record.created_at
        : undefined;
    const reason = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`)
      .join('; ');
    quarantined.push({ raw, reason, ...(id !== undefined && { id }), ...(createdAt !== undefined && { createdAt }) });
  }
  return { entries, quarantined };
}
