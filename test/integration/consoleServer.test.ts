/**
 * The console's server as an attacker on the same machine sees it: without the cookie, from a
 * rebinding host name, with every method on every route, with traversal paths and with filter
 * values that try to become SQL. Nothing it does may write to the archive.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedLines } from '../helpers/archive.ts';
import { type ConsoleFixture, PLANTED_KEY, SINCE, startConsoleFixture, treeHashes } from '../helpers/consoleFixture.ts';

let fx: ConsoleFixture;
let cookie: string;
let before: Record<string, string>;

/** A raw request: any method, any path, any Host (fetch forbids some of them). */
function raw(
  method: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: fx.console.port, method, path: pathname, headers: { host: `127.0.0.1:${fx.console.port}`, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    request.end(['POST', 'PUT', 'PATCH'].includes(method) ? '{"x":1}' : undefined);
  });
}

const basePath = () => new URL(fx.base).pathname;
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

beforeAll(async () => {
  fx = await startConsoleFixture();
  before = treeHashes(fx.archive);
  const url = new URL(fx.console.url);
  const exchanged = await raw('GET', `${url.pathname}${url.search}`);
  cookie = String(exchanged.headers['set-cookie']?.[0]).split(';')[0]!;
});
afterAll(async () => {
  await fx?.close();
});

const ROUTES = () => {
  const range = `from=${day(SINCE)}&to=${day(SINCE + 13 * 86_400)}`;
  return [
    '',
    'index.html',
    'app.js',
    'app.css',
    'api/meta',
    `api/facets?${range}`,
    `api/results?${range}`,
    `api/timeline?${range}`,
    `api/export.csv?${range}`,
    `api/event?id=x&at=${SINCE}`,
    `api/coverage?${range}`,
    'api/packs',
    'api/pack-summary?name=2025-Q1-20250402T060000Z',
    `api/backtest?${range}`,
  ];
};

describe('console server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(fx.console.host).toBe('127.0.0.1');
  });

  it('exchanges the printed token once for an HttpOnly SameSite=Strict cookie and redirects to a URL without it', async () => {
    expect(cookie).toMatch(/^audit_console=/);
    const url = new URL(fx.console.url);
    // The token was used in beforeAll: the same link is dead now (history, scroll-back, Referer).
    const again = await raw('GET', `${url.pathname}${url.search}`);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('sets the cookie with HttpOnly, SameSite=Strict and the console path, and the Location carries no token', async () => {
    const { startConsole } = await import('../../cli/console/startConsole.ts');
    const other = await startConsole({
      archive: fx.archive,
      port: 0,
      publicKey: fx.publicKey,
      rules: 'rules/default-rules.yaml',
      pageDir: `${fx.tmp}/page`,
    });
    try {
      const url = new URL(other.url);
      const answer = await new Promise<http.IncomingMessage>((resolve) =>
        http.get(
          { host: '127.0.0.1', port: other.port, path: `${url.pathname}${url.search}`, headers: { host: `localhost:${other.port}` } },
          resolve,
        ),
      );
      expect(answer.statusCode).toBe(303);
      expect(answer.headers.location).toBe(url.pathname);
      expect(answer.headers.location).not.toContain('token');
      const setCookie = String(answer.headers['set-cookie']?.[0]);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain(`Path=${url.pathname}`);
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
    } finally {
      await other.close();
    }
  });

  it.each(ROUTES().map((r) => [r]))('answers 401 without the cookie: %s', async (route) => {
    const answer = await raw('GET', `${basePath()}${route}`);
    expect(answer.status).toBe(401);
    expect(answer.body).not.toContain('sim-acme');
  });

  it('answers 401 outside the console path and to a wrong cookie', async () => {
    expect((await raw('GET', '/', { cookie })).status).toBe(401);
    expect((await raw('GET', '/api/meta', { cookie })).status).toBe(401);
    expect((await raw('GET', `${basePath()}api/meta`, { cookie: 'audit_console=guess' })).status).toBe(401);
    expect((await raw('GET', `${basePath()}api/meta`, { cookie })).status).toBe(200);
  });

  it.each([['evil.example'], ['evil.example:PORT'], ['127.0.0.1'], ['127.0.0.1:1'], ['localhost.evil.example:PORT'], ['[::1]:PORT']])(
    'refuses a foreign Host (DNS rebinding), even with the cookie: %s',
    async (host) => {
      const answer = await raw('GET', `${basePath()}api/meta`, { cookie, host: host.replace('PORT', String(fx.console.port)) });
      expect(answer.status).toBe(421);
      expect(answer.body).not.toContain('sim-acme');
    },
  );

  it('refuses a request the browser marks cross-site, even with the cookie', async () => {
    const answer = await raw('GET', `${basePath()}api/meta`, { cookie, 'sec-fetch-site': 'cross-site' });
    expect(answer.status).toBe(403);
  });

  it('has no route that writes: every method but GET and HEAD is 405 on every route, and the archive is unchanged', async () => {
    const methods = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK'];
    for (const route of ROUTES()) {
      for (const method of methods) {
        const answer = await raw(method, `${basePath()}${route}`, { cookie, 'content-type': 'application/json' });
        expect(answer.status, `${method} ${route}`).toBe(405);
        expect(answer.headers.allow).toBe('GET, HEAD');
      }
      const get = await raw('GET', `${basePath()}${route}`, { cookie });
      expect([200, 404], `GET ${route}`).toContain(get.status);
      expect((await raw('HEAD', `${basePath()}${route}`, { cookie })).status, `HEAD ${route}`).toBe(get.status);
    }
    expect(treeHashes(fx.archive)).toEqual(before);
  });

  it.each([
    ['..%2f..%2fpackage.json'],
    ['%2e%2e/%2e%2e/package.json'],
    ['..%5c..%5cpackage.json'],
    ['app.js/../../../package.json'],
    ['.%2e/.%2e/etc/passwd'],
    ['%2fetc%2fpasswd'],
    ['index.html%00.js'],
  ])('serves no file outside the built page: %s', async (attack) => {
    const answer = await raw('GET', `${basePath()}${attack}`, { cookie });
    expect([401, 404]).toContain(answer.status);
    expect(answer.body).not.toContain('"name"');
    expect(answer.body).not.toContain('root:');
  });

  it.each([['../../etc/passwd'], ['../archive'], ['2025-Q1-20250402T060000Z/../../archive'], ['']])(
    'opens only a pack the listing names: %s',
    async (name) => {
      const answer = await raw('GET', `${basePath()}api/pack-summary?name=${encodeURIComponent(name)}`, { cookie });
      expect(answer.status).toBe(404);
    },
  );

  it('serves a pack summary sandboxed: its scripts cannot run', async () => {
    const answer = await raw('GET', `${basePath()}api/pack-summary?name=2025-Q1-20250402T060000Z`, { cookie });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Quarterly summary 2025-Q1');
    expect(String(answer.headers['content-security-policy'])).toMatch(/^sandbox; default-src 'none'/);
  });

  it.each([
    ['teammate', "' OR '1'='1"],
    ['text', "x') OR 1=1 --"],
    ['mentions', "'; COPY (SELECT 1) TO '/tmp/console-pwned.csv'; --"],
    ['ip', "1' UNION SELECT * FROM read_text('/etc/passwd') --"],
  ])('binds filter values: %s=%s matches nothing and writes nothing', async (name, value) => {
    const params = new URLSearchParams({ from: day(SINCE), to: day(SINCE + 13 * 86_400), [name]: value });
    const answer = await raw('GET', `${basePath()}api/results?${params}`, { cookie });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ matches: 0, rows: [] });
    expect(treeHashes(fx.archive)).toEqual(before);
  });

  it('names a bad filter with 400', async () => {
    const bad = await raw('GET', `${basePath()}api/results?from=yesterday`, { cookie });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('from');
    const sort = await raw('GET', `${basePath()}api/results?sort=${encodeURIComponent('created_at; DROP TABLE x')}`, { cookie });
    expect(sort.status).toBe(400);
    expect(JSON.parse(sort.body).error).toContain('sort');
  });

  it('counts exactly the chain-listed entries of the range, never the planted part, and discloses it', async () => {
    const range = { from: day(SINCE), to: day(SINCE + 13 * 86_400) };
    const listed = (await listedLines(fx.store)).length;
    const answer = JSON.parse((await raw('GET', `${basePath()}api/results?${new URLSearchParams(range)}`, { cookie })).body);
    expect(answer.matches).toBe(listed);
    const coverage = JSON.parse((await raw('GET', `${basePath()}api/coverage?${new URLSearchParams(range)}`, { cookie })).body);
    expect(coverage.complete).toBe(true);
    expect(coverage.exceptions.unlisted_objects).toEqual([{ key: PLANTED_KEY }]);
    const planted = await raw('GET', `${basePath()}api/event?id=planted-1&at=${SINCE + 2 * 86_400 + 60}`, { cookie });
    expect(planted.status).toBe(404);
  });
});
