/**
 * Intercom signs each webhook notification in `X-Hub-Signature: sha1=<40 hex>`, an HMAC-SHA1
 * of the raw request body keyed by the app's client secret. Checked over the exact bytes
 * received (never a re-serialised body) and compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hub-signature';

/** The header value Intercom sends for `body`: `sha1=<hex>`. */
export function hubSignature(body: Buffer, secret: string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is the signature of `body` under `secret`. A missing or malformed header is
 * false; both sides are 20-byte digests before `timingSafeEqual`, so neither the comparison nor
 * an early length check tells an attacker how much of a guess was right.
 */
export function verifyHubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!secret || typeof header !== 'string') return false;
  const match = /^sha1=([0-9a-fA-F]{40})$/.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha1', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
