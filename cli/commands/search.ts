/**
 * `audit-archive search`: investigations without SQL. The filters become a typed SearchFilter for
 * the search core (lambdas/core/search), which binds every value; the archive's chain-listed parts
 * are read on DuckDB (through the columnar cache) or, for s3:// with --athena, on Athena.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { type Command, Option } from 'commander';
import { AthenaEngine } from '../../lambdas/adapters/aws/AthenaEngine.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { type ArchiveScope, archiveScope, inPeriod } from '../../lambdas/core/archive/scope.ts';
import { ArchiveError, ConfigurationError } from '../../lambdas/core/errors.ts';
import type { QueryEngine } from '../../lambdas/core/ports.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { type SearchFilter, type SearchResult, search } from '../../lambdas/core/search/search.ts';
import { safeLines } from '../../lambdas/core/text/safeText.ts';
import { openArchive } from '../archiveLocation.ts';
import { collectorKeyVerifier } from '../localVerifier.ts';
import { createOutput, writeResult } from '../output.ts';
import { parseDay, parseNumber, parseTime } from '../parse.ts';
import { type CacheFlags, cacheFlags, cacheOptions, openPartCache } from '../partCache.ts';
import { formatDisclosures, formatTable, queryCoverage } from './report.ts';

interface SearchFlags {
  archive: string;
  athena?: boolean;
  workgroup: string;
  database: string;
  from?: string;
  to?: string;
  teammate?: string;
  type: string[];
  group?: string;
  text?: string;
  mentions?: string;
  ip?: string;
  limit: string;
  csv?: boolean;
  json?: boolean;
  cacheDir?: string;
  cache?: boolean;
}

const DAY = 86_400;
const isDay = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text.trim());
const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** --from (a day starts at 00:00 UTC) and --to (a day is included whole); default the last 30 days. */
export function searchRange(from: string | undefined, to: string | undefined, now: number): { from: number; to: number } {
  const end =
    to === undefined ? now : isDay(to) ? Date.parse(`${parseDay('--to', to.trim())}T00:00:00Z`) / 1000 + DAY : parseTime('--to', to);
  const start =
    from === undefined
      ? end - 30 * DAY
      : isDay(from)
        ? Date.parse(`${parseDay('--from', from.trim())}T00:00:00Z`) / 1000
        : parseTime('--from', from);
  if (start >= end) throw new ConfigurationError(`--from ${from ?? day(start)} is not before --to ${to ?? 'now'}`);
  return { from: start, to: end };
}

export function searchFilter(flags: SearchFlags, now: number): SearchFilter {
  return {
    ...searchRange(flags.from, flags.to, now),
    ...(flags.teammate !== undefined && { teammate: flags.teammate }),
    ...(flags.type.length > 0 && { types: flags.type }),
    ...(flags.group !== undefined && { group: flags.group }),
    ...(flags.text !== undefined && { text: flags.text }),
    ...(flags.mentions !== undefined && { mentions: flags.mentions }),
    ...(flags.ip !== undefined && { ip: flags.ip }),
  };
}

export interface SearchAnswer {
  readonly result: SearchResult;
  readonly filter: SearchFilter;
  /** The coverage of the range (and warnings), then what was not read. */
  readonly coverage: string[];
  readonly disclosures: string[];
}

/** Runs a search over a local folder (DuckDB) or, with athena, an s3:// archive. */
export async function runSearch(options: {
  archive: string;
  filter: SearchFilter;
  limit: number;
  athena?: { workgroup: string; database: string };
  cache?: CacheFlags;
}): Promise<SearchAnswer> {
  const { archive, filter } = options;
  if (options.athena && !archive.startsWith('s3://'))
    throw new ConfigurationError('--archive: with --athena give the archive as s3://bucket[/prefix]');
  if (!options.athena && archive.startsWith('s3://')) throw new ConfigurationError('--archive: an s3:// archive is searched with --athena');
  const store = await openArchive(archive, { allowS3: Boolean(options.athena) });
  const [fromDay, toDay] = [day(filter.from), day(filter.to - 1)];
  const coverage = (await queryCoverage(store, fromDay, toDay, 0)).lines;
  const existing = options.athena ? undefined : await collectorKeyVerifier(store, archive);
  const scope: ArchiveScope = await archiveScope(store, existing ? { verifier: existing.verifier } : {});
  if (options.athena && scope.unsafeIndexes.length > 0)
    throw new ArchiveError(
      `search: index objects no trusted manifest names would make Athena read or hide parts (${scope.unsafeIndexes.map((i) => i.key).join(', ')}); run verify, or search a local copy`,
    );
  const engine: QueryEngine = options.athena
    ? new AthenaEngine(new AthenaClient({}), options.athena)
    : await DuckDbEngine.open(archive, {
        parts: scope.parts,
        cacheDays: { from: fromDay, to: toDay },
        partCache: await openPartCache(archive, options.cache ?? {}, createOutput()),
      });
  try {
    const result = await search(engine, { filter, limit: options.limit });
    const disclosures = formatDisclosures({
      ...result.table,
      exceptions: inPeriod(scope.exceptions, fromDay, toDay),
      conflicts: inPeriod(scope.conflicts, fromDay, toDay),
      trust: scope.trust,
    });
    return { result, filter, coverage, disclosures };
  } finally {
    await engine.close();
  }
}

const TABLE_COLUMNS = ['time_utc', 'activity_type', 'actor_email', 'ip_address', 'activity_description', 'id'] as const;

/** The answer as the user asked for it: a table (with coverage and disclosures), CSV or JSON. */
export function formatSearch(answer: SearchAnswer, format: 'table' | 'csv' | 'json', limit: number): string {
  const { result } = answer;
  const more = result.more ? `more results: showing the newest ${limit}; narrow the filters or raise --limit` : undefined;
  if (format === 'json')
    return `${JSON.stringify({ hits: result.hits, more: result.more, coverage: answer.coverage, read: answer.disclosures }, null, 2)}\n`;
  if (format === 'csv') return toCsv(result.table).toString('utf8');
  const index = TABLE_COLUMNS.map((c) => result.table.columns.indexOf(c));
  const table = formatTable({ columns: [...TABLE_COLUMNS], rows: result.table.rows.map((r) => index.map((i) => r[i] ?? null)) }, 60);
  return `${[table, ...(more ? [more] : []), ...answer.disclosures].join('\n')}\n`;
}

export function registerSearch(program: Command, setExit: (code: number) => void): void {
  program
    .command('search')
    .description('find archived entries by time, teammate, type, group, words, a mentioned id or an IP address; newest first')
    .requiredOption('--archive <dir|s3://bucket/prefix>', 'the archive (a folder for DuckDB; s3:// with --athena)')
    .option('--from <date|time>', 'from this day (00:00 UTC) or time (ISO-8601 or UNIX seconds); default 30 days before --to')
    .option('--to <date|time>', 'up to and including this day, or up to this time; default now')
    .option('--teammate <id|email>', 'entries this teammate performed (an e-mail matches without case)')
    .option(
      '--type <activity_type>',
      'this activity type (repeatable: any of them)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--group <group>', 'types of one activity group, e.g. permission_changes, data_exports, security_settings')
    .option('--text <words>', 'every word appears in the description or the metadata (without case)')
    .option('--mentions <id>', 'the id appears in the metadata (a text match: 123 also matches 1234)')
    .option('--ip <address>', "the teammate's IP address")
    .option('--limit <n>', 'at most this many entries, newest first', '50')
    .addOption(new Option('--csv', 'print CSV (every column)').conflicts('json'))
    .option('--json', 'print JSON: hits, more, coverage')
    .option('--athena', 'search an s3:// archive on Athena')
    .option('--workgroup <name>', 'Athena workgroup (with --athena)', 'intercom-audit-archive')
    .option('--database <name>', 'Glue database (with --athena)', 'intercom_audit_archive')
    .addOption(cacheOptions()[0]!)
    .addOption(cacheOptions()[1]!)
    .action(async (flags: SearchFlags) => {
      const limit = parseNumber('--limit', flags.limit, { min: 1, max: 10_000, integer: true });
      const answer = await runSearch({
        archive: flags.archive,
        filter: searchFilter(flags, Math.floor(Date.now() / 1000)),
        limit,
        ...(flags.athena && { athena: { workgroup: flags.workgroup, database: flags.database } }),
        cache: cacheFlags(flags),
      });
      const format = flags.json ? 'json' : flags.csv ? 'csv' : 'table';
      // Coverage goes to stderr, so a CSV or JSON answer on stdout stays machine-readable.
      process.stderr.write(`${safeLines(answer.coverage.join('\n'))}\n`);
      if (format === 'csv' && answer.result.more) process.stderr.write(`more results: showing the newest ${limit}; raise --limit\n`);
      if (format === 'csv') process.stderr.write(`${safeLines(answer.disclosures.join('\n'))}\n`);
      writeResult(formatSearch(answer, format, limit), { machine: format !== 'table' });
      setExit(0);
    });
}
