/** Parsing of CLI values; every error names the flag and the accepted form (exit code 2). */
import { ConfigurationError } from '../lambdas/core/errors.ts';

/** `--since 2026-01-01`, `--since 2026-01-01T10:00:00Z` or `--since 1767225600` → UNIX seconds. */
export function parseTime(flag: string, value: string): number {
  const text = value.trim();
  if (/^\d{9,11}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const withZone = /T|\s/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
    const ms = Date.parse(withZone);
    // Date.parse rolls impossible days over (2026-02-30 → March 2): the day must round-trip.
    const day = text.slice(0, 10);
    const dayMs = Date.parse(`${day}T00:00:00Z`);
    const realDay = Number.isFinite(dayMs) && new Date(dayMs).toISOString().slice(0, 10) === day;
    if (Number.isFinite(ms) && realDay) return Math.floor(ms / 1000);
  }
  throw new ConfigurationError(
    `${flag}: '${value}' is not a time; give ISO-8601 (2026-01-01 or 2026-01-01T00:00:00Z, UTC unless a zone is given) or UNIX seconds`,
  );
}

/** `--from 2026-01-31`: a calendar day, returned as given. */
export function parseDay(flag: string, value: string): string {
  // Date.parse rolls impossible days over (2026-02-30 → March 2): the round trip must give the same day.
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value)
    throw new ConfigurationError(`${flag}: '${value}' is not a date like 2026-01-31 (a real calendar day)`);
  return value;
}

/** A number within bounds, e.g. `--window-days 5`. */
export function parseNumber(
  flag: string,
  value: string,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new ConfigurationError(`${flag}: '${value}' is not ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

/** Durations like `90s`, `15m`, `1h`, `5d` → seconds. */
export function parseDuration(flag: string, value: string, { min, max }: { min: number; max: number }): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(value.trim());
  const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
  const seconds = m ? Math.round(Number(m[1]) * units[m[2] as keyof typeof units]) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) {
    throw new ConfigurationError(`${flag}: '${value}' is not a duration from ${min}s to ${max}s; write it like 90s, 15m, 1h or 5d`);
  }
  return seconds;
}

/** `--param name=value` flags → named values; the period's names come from --from and --to. */
export function parseParams(flags: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const flag of flags) {
    const m = /^([a-z_][a-z0-9_]*)=(.*)$/s.exec(flag);
    if (!m) throw new ConfigurationError(`--param: '${flag}' is not name=value (e.g. teammate=ada@example.com)`);
    if (m[1] === 'start_date' || m[1] === 'end_date') throw new ConfigurationError(`--param: give ${m[1]} with --from / --to`);
    params[m[1]!] = m[2]!;
  }
  return params;
}
