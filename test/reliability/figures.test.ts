/** The README's Reliability figures are the suites' own counts. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_WRITER_ATTACKS,
  ARCHIVE_WRITER_STORES,
  BAD_ENTRIES,
  BAD_PAGES,
  COLLECT_FAULT_SWITCHES,
  KILL_POINTS,
  RANDOM_KILL_INSTANTS,
  S3_FAULTS,
  S3_FAULT_PUTS,
  TAMPER_CASES,
} from './cases.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const figure = (suite: string) => {
  const m = new RegExp(`^\\| ${suite} \\| (\\d+)`, 'm').exec(readme);
  if (!m) throw new Error(`README has no Reliability row '${suite}'`);
  return Number(m[1]);
};

describe('README Reliability figures', () => {
  it.each([
    ['fault switches', COLLECT_FAULT_SWITCHES.length],
    ['S3 injected failures', S3_FAULTS.length * S3_FAULT_PUTS.length],
    ['SIGKILL points', KILL_POINTS.length],
    ['SIGKILL at random instants', RANDOM_KILL_INSTANTS.length],
    ['tamper mutations', TAMPER_CASES.length],
    ['bad entries', BAD_ENTRIES.length],
    ['bad pages', BAD_PAGES.length],
    ['archive-writer attacks', ARCHIVE_WRITER_ATTACKS.length * ARCHIVE_WRITER_STORES.length],
  ])('%s: README says what the suite runs', (suite, count) => {
    expect(figure(suite)).toBe(count);
  });

  it('property-based runs: README says the default draw count', async () => {
    const { PROPERTY_RUNS } = await import('./propertyRuns.ts');
    expect(figure('property-based runs')).toBe(PROPERTY_RUNS);
    expect(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).toContain('PROPERTY_RUNS=300');
  });
});
