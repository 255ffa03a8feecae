/**
 * Who may talk to the console: the browser that opened the printed URL, through 127.0.0.1.
 *
 * - The printed URL carries a one-time token; exchanging it sets an HttpOnly, SameSite=Strict
 *   cookie with a different random session value and redirects to a URL without the token, so
 *   a URL left in history, a terminal scroll-back or a Referer is dead once used.
 * - Cookies are not separated by port: another local user's server on 127.0.0.1:<other port>
 *   would receive every 127.0.0.1 cookie the browser holds. The console therefore lives under a
 *   random path and the cookie's Path is that path: a request to another port carries no
 *   console cookie unless it guesses the path.
 * - The Host header must be 127.0.0.1:<port> or localhost:<port> (a DNS-rebinding page
 *   reaches the console under its own host name and is refused).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const COOKIE_NAME = 'audit_console';

export class ConsoleSession {
  /** The random path every console URL starts with, e.g. `/Xy…/`. */
  readonly base: string;
  readonly #token: string;
  readonly #session: string;
  #tokenUsed = false;

  constructor(random: (bytes: number) => Buffer = randomBytes) {
    this.base = `/${random(12).toString('base64url')}/`;
    this.#token = random(32).toString('base64url');
    this.#session = random(32).toString('base64url');
  }

  /** The URL to print: the only place the token appears. */
  startUrl(port: number): string {
    return `http://127.0.0.1:${port}${this.base}?token=${this.#token}`;
  }

  /** The session value for the cookie when `token` is the printed one and not used yet. */
  exchange(token: string): string | undefined {
    if (this.#tokenUsed || !equal(token, this.#token)) return undefined;
    this.#tokenUsed = true;
    return this.#session;
  }

  isSession(cookie: string | undefined): boolean {
    return cookie !== undefined && equal(cookie, this.#session);
  }
}

/** Compared as SHA-256 digests, in constant time whatever the lengths. */
function equal(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `Host` names the console itself: 127.0.0.1 or localhost, on its own port. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** Headers on every answer: no framing, no sniffing, no Referer, nothing loaded from elsewhere. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};
