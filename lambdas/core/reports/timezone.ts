/** Local times beside UTC in a summary (`--timezone Asia/Tokyo`); the CSVs stay UTC. */
import { ConfigurationError } from '../errors.ts';

/** Throws a ConfigurationError naming the flag unless `zone` is an IANA time zone the runtime knows. */
export function assertTimeZone(zone: string, flag = '--timezone'): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ConfigurationError(`${flag}: '${zone}' is not an IANA time zone; write it like Europe/London or Asia/Tokyo`);
  }
  return zone;
}

/** `2026-04-01T00:00:00Z` → `2026-04-01T00:00:00Z (2026-04-01 09:00 Asia/Tokyo)`; unchanged without a zone or for UTC. */
export function withLocalTime(isoTime: string, zone: string | undefined): string {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return isoTime;
  const ms = Date.parse(isoTime);
  if (!Number.isFinite(ms)) return isoTime;
  // sv-SE formats as "YYYY-MM-DD HH:MM", the least ambiguous local form Intl offers.
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
  return `${isoTime} (${local} ${zone})`;
}
