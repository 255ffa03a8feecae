/**
 * The id and `created_at` of the archive line at bytes[start, end), for verify's hot path: the
 * id goes straight into a part's id builder (no string for a UUID or a number), the time comes
 * back as a number. The same answers as `lineIdAndTime` (see `lineIdAndTimeAt`): the writer's
 * shape (`{"id":"…","workspace_id":"…","created_at":<digits>,`) is read from the bytes, anything
 * else is decoded and parsed, and throws where JSON.parse does.
 */
import { plainUntilQuote } from '../archive/gzipLines.ts';
import { lineIdAndTime } from '../archive/lines.ts';
import type { PartIdsBuilder } from './partIds.ts';

const ID_OPEN = Buffer.from('{"id":"');
const WS_OPEN = Buffer.from('","workspace_id":"');
const AT_OPEN = Buffer.from('","created_at":');
const COMMA = 0x2c;
/** More digits than this are parsed by Number() (a running sum would round differently). */
const EXACT_DIGITS = 15;

export function readLineHead(bytes: Buffer, start: number, end: number, ids: PartIdsBuilder): unknown {
  const idStart = start + ID_OPEN.length;
  if (startsWith(bytes, start, end, ID_OPEN)) {
    const idEnd = plainUntilQuote(bytes, idStart, end);
    if (idEnd >= 0 && startsWith(bytes, idEnd, end, WS_OPEN)) {
      const wsEnd = plainUntilQuote(bytes, idEnd + WS_OPEN.length, end);
      if (wsEnd >= 0 && startsWith(bytes, wsEnd, end, AT_OPEN)) {
        const createdAt = digitsBeforeComma(bytes, wsEnd + AT_OPEN.length, end);
        if (createdAt >= 0) {
          ids.addBytes(bytes, idStart, idEnd);
          return createdAt;
        }
      }
    }
  }
  const slow = lineIdAndTime(bytes.toString('utf8', start, end));
  ids.addText(slow.id);
  return slow.createdAt;
}

/** The value of the digits at `from` when one or more are followed by a comma before `end`, else -1. */
function digitsBeforeComma(bytes: Buffer, from: number, end: number): number {
  let d = from;
  let n = 0;
  for (; d < end; d++) {
    const v = bytes[d]! - 0x30;
    if (v < 0 || v > 9) break;
    n = n * 10 + v;
  }
  if (d === from || d >= end || bytes[d] !== COMMA) return -1;
  return d - from > EXACT_DIGITS ? Number(bytes.toString('latin1', from, d)) : n;
}

function startsWith(bytes: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (at + prefix.length > end) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}
