/**
 * The console's HTTP application (Hono): the Host check, the token → cookie exchange, 401
 * without the cookie, GET and HEAD only, the built page from memory, and the read-only API.
 * There is no route that writes: every other method is 405 before any handler runs.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ArchiveError, ConfigurationError, describeError } from '../../lambdas/core/errors.ts';
import { safeText } from '../../lambdas/core/text/safeText.ts';
import { type ConsoleApi, registerApi } from './api.ts';
import type { PageFiles } from './page.ts';
import { COOKIE_NAME, type ConsoleSession, SECURITY_HEADERS, hostAllowed } from './session.ts';

export interface ConsoleAppOptions {
  readonly session: ConsoleSession;
  /** The port the server listens on (the only one the Host check accepts). */
  readonly port: () => number;
  readonly page: PageFiles;
  readonly api: ConsoleApi;
}

export function createConsoleApp(options: ConsoleAppOptions): Hono {
  const { session, page } = options;
  const app = new Hono();
  app.use('*', async (c, next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    // DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends Host: evil.example.
    if (!hostAllowed(c.req.header('host'), options.port())) return c.text('421 this console answers only as 127.0.0.1 or localhost\n', 421);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      c.header('Allow', 'GET, HEAD');
      return c.text('405 the console is read-only\n', 405);
    }
    // Defence in depth beside SameSite=Strict: a browser that says the request comes from another site is refused.
    if (c.req.header('sec-fetch-site') === 'cross-site') return c.text('403 cross-site request\n', 403);
    const path = new URL(c.req.url).pathname;
    if (!path.startsWith(session.base)) return c.text('401 open the URL the console printed\n', 401);
    const token = c.req.query('token');
    if (token !== undefined) return exchange(c, session, token);
    if (!session.isSession(getCookie(c, COOKIE_NAME))) return c.text('401 open the URL the console printed\n', 401);
    await next();
  });
  registerApi(app, session.base, options.api);
  // Looked up by exact name in the files read at start: no path from a URL ever reaches the disk.
  const serve = (c: Context, name: string) => {
    const file = page.get(name);
    if (!file) return c.text('404 not found\n', 404);
    return c.body(new Uint8Array(file.body), 200, { 'Content-Type': file.type });
  };
  app.get(session.base, (c) => serve(c, 'index.html'));
  app.get(`${session.base}:file`, (c) => serve(c, c.req.param('file') ?? ''));
  app.notFound((c) => c.text('404 not found\n', 404));
  app.onError((error, c) => errorAnswer(c, error));
  return app;
}

function exchange(c: Context, session: ConsoleSession, token: string): Response {
  const value = session.exchange(token);
  if (value === undefined)
    return c.text('401 this link has been used or is not the one printed: restart `audit-archive console` for a new one\n', 401);
  setCookie(c, COOKIE_NAME, value, { httpOnly: true, sameSite: 'Strict', path: session.base });
  return c.redirect(session.base, 303);
}

/** A bad filter is a 400 naming it; anything else a 500 with the error's name, stripped of control characters. */
export function errorAnswer(c: Context, error: unknown): Response {
  const status = error instanceof ConfigurationError ? 400 : 500;
  const message = error instanceof ArchiveError ? error.message : describeError(error);
  return c.json({ error: safeText(message) }, status);
}
