import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { applyGroups, ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import { bindValues, countPlaceholders, parseQuery, previousQuarter, quarterRange } from '../../lambdas/core/queries/catalog.ts';
import { QUERIES_DIR, loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { KNOWN_ACTIVITY_TYPES } from '../../lambdas/core/intercom/activityTypes.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';

const queries = loadQueries();
const trino = new TrinoSQL();
/** Athena pastes execution parameters into the SQL as literal text. */
const asAthenaWould = (sql: string) => sql.replace(/\?/g, "'2026-01-01'");

describe('canned queries', () => {
  it('include the required queries (activity_summary split by type and by actor)', () => {
    expect(queries.map((q) => q.name)).toEqual(
      expect.arrayContaining([
        'gdpr_data_exports',
        'gdpr_erasure_and_retention',
        'soc2_teammate_lifecycle',
        'soc2_permission_changes',
        'soc2_access_review',
        'security_settings_changes',
        'intercom_staff_impersonation',
        'credentials_and_integrations',
        'sign_in_anomalies',
        'activity_summary_by_type',
        'activity_summary_by_actor',
      ]),
    );
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s parses as Trino SQL', (_name, query) => {
    expect(trino.validate(asAthenaWould(query.sql))).toEqual([]);
  });

  it('the grammar check is live: it rejects SQL that Trino would not parse', () => {
    expect(trino.validate('SELEC id FROM activity_logs').length).toBeGreaterThan(0);
    expect(trino.validate('SELECT id::varchar FROM activity_logs').length).toBeGreaterThan(0); // DuckDB's cast syntax
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s has a header, filters on dt, and ends with a total ORDER BY', (_name, query) => {
    expect(query.title.length).toBeGreaterThan(3);
    expect(query.question).toMatch(/\?$/);
    expect(query.control).toMatch(/SOC 2|GDPR/);
    expect(query.parameters.every((p) => p === 'start_date' || p === 'end_date')).toBe(true);
    expect(query.sql).toMatch(/\bdt BETWEEN /);
    const orderBy = /ORDER BY ([^\n]+)\s*$/.exec(query.sql.trim())?.[1] ?? '';
    expect(orderBy).not.toBe('');
    if (/\bid\b/.test(query.sql.split(/\bFROM\b/)[0]!)) expect(orderBy).toMatch(/\bid$/);
  });

  it('carry the current activity-type groups (run npm run queries:generate after changing them)', () => {
    for (const query of queries) expect(applyGroups(query.sql), `${query.file} is stale`).toBe(query.sql);
  });

  it('use only known activity types in the groups', () => {
    for (const types of Object.values(ACTIVITY_GROUPS)) for (const t of types) expect(KNOWN_ACTIVITY_TYPES).toContain(t);
  });

  it('all appear as named queries in the stack (one per file)', () => {
    const files = queries.map((q) => path.join(QUERIES_DIR, q.file));
    for (const f of files) expect(readFileSync(f, 'utf8').length).toBeGreaterThan(0);
  });
});

describe('query catalog', () => {
  it('counts ? marks outside strings and comments', () => {
    expect(countPlaceholders("SELECT '?' -- ?\n, ? /* ? */ FROM t WHERE a = ?")).toBe(2);
  });

  it('rejects a header whose parameter list does not match the ? marks', () => {
    expect(() => parseQuery('x.sql', '-- title: t\n-- question: q?\n-- control: SOC 2\n-- parameters: start_date\nSELECT ?, ?')).toThrow(
      /names 1 parameters but the SQL has 2/,
    );
    expect(() => parseQuery('x.sql', 'SELECT 1')).toThrow(/lacks '-- title:'/);
  });

  it('binds named values in the order of the marks, repeats included', () => {
    const q = queries.find((x) => x.name === 'sign_in_anomalies')!;
    expect(bindValues(q, { start_date: 'S', end_date: 'E' })).toEqual(['S', 'E', 'S', 'E']);
    expect(() => bindValues(q, { start_date: 'S' })).toThrow(/needs parameter 'end_date'/);
  });

  it.each([
    ['2026-Q1', '2026-01-01', '2026-03-31'],
    ['2024-Q1', '2024-01-01', '2024-03-31'],
    ['2026-Q2', '2026-04-01', '2026-06-30'],
    ['2026-Q4', '2026-10-01', '2026-12-31'],
  ])('knows the days of %s', (quarter, start, end) => {
    expect(quarterRange(quarter)).toEqual({ start_date: start, end_date: end });
  });

  it('names a malformed quarter', () => {
    expect(() => quarterRange('2026-5')).toThrow(ConfigurationError);
    expect(() => quarterRange('2026-Q5')).toThrow(/--quarter: '2026-Q5' is not a quarter/);
  });

  it('finds the previous full quarter', () => {
    expect(previousQuarter(new Date('2026-11-25T00:00:00Z'))).toBe('2026-Q3');
    expect(previousQuarter(new Date('2026-01-01T00:00:00Z'))).toBe('2025-Q4');
  });
});
