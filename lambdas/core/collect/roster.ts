/**
 * The daily roster: Intercom's teammate list (`GET /admins`) saved once a day as a create-only
 * object, so an access review can list every account that had access — dormant ones included —
 * instead of only those who acted. It is listed (with its SHA-256) by a `roster` manifest in
 * the chain, signed like the others. The collector only takes it when it is caught up (within a
 * day of now): a snapshot describes today, not the history being backfilled.
 */
import { gzipSync } from 'node:zlib';
import type { Provenance } from '../archive/columns.ts';
import { rosterKey, utcDate } from '../archive/keys.ts';
import { type Manifest, sha256Hex } from '../archive/manifest.ts';
import { IntercomAuthError, IntercomForbiddenError } from '../errors.ts';
import type { ActivityLogSource, ObjectStore } from '../ports.ts';

export interface RosterLine {
  workspace_id: string;
  snapshot_at: string;
  id: string | null;
  name: string | null;
  email: string | null;
  role: string | null;
  has_inbox_seat: boolean | null;
  two_factor: string | null;
  source: string;
  run_id: string;
  collector_version: string;
  api_host: string;
  api_version: string;
}

const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** One roster line per admin as served; what Intercom does not serve stays null. */
export function toRosterLine(admin: unknown, workspaceId: string, snapshotAt: string, provenance: Provenance): RosterLine {
  const a = typeof admin === 'object' && admin !== null ? (admin as Record<string, unknown>) : {};
  return {
    workspace_id: workspaceId,
    snapshot_at: snapshotAt,
    id: text(a.id),
    name: text(a.name),
    email: text(a.email),
    role: json(a.role ?? a.roles ?? a.permissions),
    has_inbox_seat: typeof a.has_inbox_seat === 'boolean' ? a.has_inbox_seat : null,
    two_factor: json(a.two_factor_auth ?? a.has_two_factor_auth ?? a.two_factor_enabled),
    source: JSON.stringify(admin) ?? 'null',
    run_id: provenance.runId,
    collector_version: provenance.collectorVersion,
    api_host: provenance.apiHost,
    api_version: provenance.apiVersion,
  };
}

export interface DailyRosterOptions {
  readonly source: ActivityLogSource;
  readonly store: ObjectStore;
  readonly workspaceId: string;
  readonly provenance: Provenance;
  readonly now: Date;
  /** The chain's checkpoint: no roster while the archive is more than a day behind now. */
  readonly checkpoint: number;
  readonly onWarning?: (message: string) => void;
  /** Appends (and signs) the roster manifest the caller builds around `roster`. */
  readonly append: (roster: NonNullable<Manifest['roster']>) => Promise<void>;
}

/**
 * Saves today's roster unless the source has none, the archive is not caught up, or today's
 * object exists. A token without permission to read admins costs one warning, never the run.
 * @returns the roster saved, or undefined
 */
export async function saveDailyRoster(options: DailyRosterOptions): Promise<NonNullable<Manifest['roster']> | undefined> {
  const { source, store, workspaceId } = options;
  if (!source.listAdmins) return undefined;
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (options.checkpoint < nowSeconds - 86_400) return undefined;
  const dt = utcDate(nowSeconds);
  const key = rosterKey(workspaceId, dt);
  // Today's object exists: saved by an earlier run (a run killed between object and manifest
  // leaves it unlisted: never read, disclosed by the report pack, and tomorrow's is saved as usual).
  if (await store.head(key)) return undefined;
  let admins: unknown[];
  try {
    admins = await source.listAdmins();
  } catch (error) {
    if (error instanceof IntercomAuthError || error instanceof IntercomForbiddenError) {
      options.onWarning?.(
        `Intercom refused GET /admins (${error instanceof IntercomAuthError ? 'HTTP 401' : `HTTP 403 ${error.code}`}): the token lacks the "Read admins" permission, so no teammate roster was saved today. ` +
          "Access reviews fall back to the archive's history; grant the app that permission to list dormant accounts.",
      );
      return undefined;
    }
    throw error;
  }
  const fetchedAt = options.now.toISOString();
  const body = gzipSync(
    Buffer.from(admins.map((a) => `${JSON.stringify(toRosterLine(a, workspaceId, fetchedAt, options.provenance))}\n`).join(''), 'utf8'),
  );
  const sha256 = sha256Hex(body);
  await store.putIfAbsent(key, body, sha256);
  const roster = { key, sha256, bytes: body.length, teammates: admins.length, dt, fetched_at: fetchedAt };
  await options.append(roster);
  return roster;
}
