/**
 * The search filter: what `audit-archive search` and the console ask the archive for. Every
 * field narrows the result (they combine with AND); each becomes a bound parameter, never SQL text.
 */
import { ConfigurationError } from '../errors.ts';
import { ACTIVITY_GROUPS, type ActivityGroup } from '../queries/groups.ts';

export interface SearchFilter {
  /** First second, UNIX seconds (inclusive). */
  readonly from: number;
  /** End, UNIX seconds (exclusive). */
  readonly to: number;
  /** A teammate id, or an e-mail address (compared without case). */
  readonly teammate?: string;
  /** Activity types (any of them). */
  readonly types?: readonly string[];
  /** An activity group of lambdas/core/queries/groups.ts (any of its types). */
  readonly group?: string;
  /** Words that must all appear (without case) in the description or the metadata JSON text. */
  readonly text?: string;
  /** An id that appears anywhere in the metadata JSON text (a substring match: see the README). */
  readonly mentions?: string;
  /** The teammate's client IP address, exactly. */
  readonly ip?: string;
}

export interface SearchRequest {
  readonly filter: SearchFilter;
  /** At most this many hits, newest first (1–10,000). */
  readonly limit: number;
}

/** The longest text a filter field may hold: a filter is a search term, not a document. */
const MAX_TERM = 500;

/** Every problem with a request, at once, as a ConfigurationError naming the fields. */
export function validateSearchRequest(request: SearchRequest): void {
  const { filter, limit } = request;
  const problems: string[] = [];
  if (!Number.isSafeInteger(filter.from) || !Number.isSafeInteger(filter.to)) problems.push('from and to must be whole UNIX seconds');
  else if (filter.from >= filter.to) problems.push(`from (${iso(filter.from)}) must be before to (${iso(filter.to)})`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) problems.push('limit must be a whole number from 1 to 10000');
  if (filter.group !== undefined && !(filter.group in ACTIVITY_GROUPS))
    problems.push(`group '${filter.group}' is not one of ${Object.keys(ACTIVITY_GROUPS).join(', ')}`);
  for (const [name, value] of Object.entries({ teammate: filter.teammate, text: filter.text, mentions: filter.mentions, ip: filter.ip }))
    if (value !== undefined && (value.trim() === '' || value.length > MAX_TERM)) problems.push(`${name} must be 1–${MAX_TERM} characters`);
  for (const type of filter.types ?? [])
    if (!/^[a-z0-9_]{1,100}$/.test(type)) problems.push(`type '${type}' is not an activity type (lower-case letters, digits and _)`);
  if (problems.length > 0) throw new ConfigurationError(`search: ${problems.join('; ')}`);
}

/** The activity types a filter allows, or undefined for all: --type and --group together mean both. */
export function allowedTypes(filter: SearchFilter): readonly string[] | undefined {
  const group = filter.group !== undefined ? ACTIVITY_GROUPS[filter.group as ActivityGroup] : undefined;
  if (filter.types && filter.types.length > 0) return group ? filter.types.filter((t) => group.includes(t as never)) : filter.types;
  return group;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
