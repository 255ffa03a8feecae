/**
 * An ActivityLogSource that serves a fixed list of raw entries (valid or not), with inclusive
 * bounds like the API, so tests can build an archive with exactly the entries they need:
 * quarantined ones, ungrouped types, a dormant teammate.
 */
import { IntercomForbiddenError } from '../../lambdas/core/errors.ts';
import type { ActivityLogSource } from '../../lambdas/core/ports.ts';
import { type ActivityPage, type TimeRange, classifyEntries } from '../../lambdas/core/intercom/schema.ts';

export class ScriptedSource implements ActivityLogSource {
  readonly host = 'api.scripted.test';
  readonly apiVersion = '2.17';
  readonly perPage = 250;

  /** GET /admins: the admins to serve, 'forbidden' for a token without the permission; none by default. */
  readonly listAdmins?: () => Promise<unknown[]>;

  constructor(
    private readonly entries: readonly Record<string, unknown>[],
    private readonly workspace = 'ws-test',
    admins?: readonly unknown[] | 'forbidden',
  ) {
    if (admins === 'forbidden') this.listAdmins = async () => Promise.reject(new IntercomForbiddenError('token_unauthorized'));
    else if (admins) this.listAdmins = async () => [...admins];
  }

  async *fetchRange(range: TimeRange): AsyncGenerator<ActivityPage> {
    const inRange = this.entries.filter((e) => {
      const t = typeof e.created_at === 'number' ? e.created_at : Number(e.created_at);
      return t >= range.after && t <= range.before;
    });
    yield classifyEntries(inRange);
  }

  async workspaceId(): Promise<string> {
    return this.workspace;
  }
}

/** A valid raw entry. */
export function entry(
  id: string,
  at: string,
  type: string,
  actor: { id: string; email: string },
  metadata: Record<string, unknown> | null = null,
): Record<string, unknown> {
  return {
    id,
    created_at: Date.parse(at) / 1000,
    activity_type: type,
    activity_description: `${actor.email} ${type.replace(/_/g, ' ')}`,
    performed_by: { type: 'admin', id: actor.id, email: actor.email, ip: '192.0.2.10' },
    metadata,
  };
}
