/** The `query` command's flags (one registration line in program.ts). */
import type { Command } from 'commander';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { safeText } from '../../lambdas/core/text/safeText.ts';
import { EXIT } from '../exitCodes.ts';
import { writeResult } from '../output.ts';
import { parseDay, parseParams } from '../parse.ts';
import { cacheFlags, cacheOptions } from '../partCache.ts';
import { formatDisclosures, formatTable, runQuery } from './report.ts';

/** Adds the `query` command: one canned query over a local archive, a table (or CSV) and its disclosures. */
export function registerQuery(program: Command, setExit: (code: number) => void): void {
  program
    .command('query')
    .description('run one canned query over a local archive and print the result table')
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--file <sql>', 'a query file, e.g. queries/gdpr_data_exports.sql')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (inclusive)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--csv', 'print CSV instead of a table')
    .option(
      '--param <name=value>',
      'a named parameter beyond the period, e.g. teammate=ada@example.com (queries/investigations/); repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(cacheOptions()[0]!)
    .addOption(cacheOptions()[1]!)
    .action(
      async (opts: {
        archive: string;
        file: string;
        from: string;
        to: string;
        csv?: boolean;
        cacheDir?: string;
        cache?: boolean;
        param: string[];
      }) => {
        parseDay('--from', opts.from);
        parseDay('--to', opts.to);
        if (opts.from > opts.to) throw new ConfigurationError(`--from ${opts.from} is after --to ${opts.to}`);
        const result = await runQuery({
          ...opts,
          cache: cacheFlags(opts),
          params: parseParams(opts.param),
          onCoverage: (lines) => process.stderr.write(`${lines.join('\n')}\n`),
        });
        writeResult(opts.csv ? toCsv(result).toString('utf8') : `${formatTable(result)}\n`, { machine: Boolean(opts.csv) });
        // Disclosed with every answer: on stdout under the table, on stderr beside a CSV.
        const disclosures = formatDisclosures(result).join('\n');
        if (opts.csv) process.stderr.write(`${safeText(disclosures)}\n`);
        else writeResult(`${disclosures}\n`);
        setExit(EXIT.ok);
      },
    );
}
