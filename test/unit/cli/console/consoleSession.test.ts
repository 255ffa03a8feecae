import { describe, expect, it } from 'vitest';
import { ConsoleSession, hostAllowed } from '../../../../cli/console/session.ts';
import { parseFilters, parsePage } from '../../../../lambdas/core/console/filters.ts';
import { resultsStatement, timelineStatement } from '../../../../lambdas/core/console/consoleSql.ts';

const RANGE = { from: 1_740_960_000, to: 1_740_960_000 + 14 * 86_400 };

describe('ConsoleSession', () => {
  it('exchanges the printed token exactly once, for a session value that is not the token', () => {
    const session = new ConsoleSession();
    const url = new URL(session.startUrl(4321));
    expect(url.host).toBe('127.0.0.1:4321');
    expect(url.pathname).toBe(session.base);
    const token = url.searchParams.get('token')!;
    expect(session.exchange('wrong')).toBeUndefined();
    const cookie = session.exchange(token)!;
    expect(cookie).not.toBe(token);
    expect(session.isSession(cookie)).toBe(true);
    expect(session.exchange(token)).toBeUndefined();
    expect(session.isSession(token)).toBe(false);
    expect(session.isSession(undefined)).toBe(false);
  });

  it('gives every console its own random path, token and session', () => {
    const [a, b] = [new ConsoleSession(), new ConsoleSession()];
    expect(a.base).not.toBe(b.base);
    expect(a.startUrl(1)).not.toBe(b.startUrl(1));
  });

  it.each([
    ['127.0.0.1:8080', true],
    ['localhost:8080', true],
    ['127.0.0.1:8081', false],
    ['127.0.0.1', false],
    ['LOCALHOST:8080', false],
    ['evil.example:8080', false],
    [undefined, false],
  ])('accepts Host %s: %s', (host, ok) => {
    expect(hostAllowed(host, 8080)).toBe(ok);
  });
});

describe('console filters', () => {
  it.each([
    ['from=yesterday', 'from'],
    ['to=2025-13-40', 'to'],
    ['from=2025-03-10&to=2025-03-01', 'from'],
    ['type=Robert%27);DROP', 'type'],
    ['group=nope', "group 'nope'"],
    ['teammate=%07bell', 'teammate'],
    ['from=2000-01-01&to=2025-01-01', 'eight years'],
  ])('refuses %s, naming %s', (query, name) => {
    expect(() => parseFilters(new URLSearchParams(query), RANGE)).toThrow(name);
  });

  it('reads every filter, whole days inclusive, and keeps values out of the SQL text', () => {
    const hostile = "a' OR '1'='1";
    const filter = parseFilters(
      new URLSearchParams({
        from: '2025-03-03',
        to: '2025-03-04',
        teammate: hostile,
        text: hostile,
        mentions: hostile,
        ip: hostile,
        group: 'data_exports',
      }),
      RANGE,
    );
    expect(filter).toMatchObject({ from: Date.UTC(2025, 2, 3) / 1000, to: Date.UTC(2025, 2, 5) / 1000, group: 'data_exports' });
    for (const statement of [resultsStatement(filter, parsePage(new URLSearchParams())), timelineStatement(filter, 'day')]) {
      expect(statement.sql).not.toContain("'1'='1");
      expect(statement.values.some((v) => v.includes("'1'='1"))).toBe(true);
    }
  });

  it.each([['sort=id'], ['dir=up'], ['page=-1'], ['size=100000']])('refuses paging %s', (query) => {
    expect(() => parsePage(new URLSearchParams(query))).toThrow();
  });
});
