/**
 * `audit-archive hold place|release|list`: legal holds on a local archive (its lock records) or
 * on S3 (run with the stack's LegalHoldRole, the only principal the bucket policy lets do it).
 */
import type { Command } from 'commander';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { type HoldSelection, type HoldingStore, listHolds, placeHold, releaseHold } from '../../lambdas/core/holds/holds.ts';
import { openArchive } from '../archiveLocation.ts';

async function holdingStore(location: string): Promise<HoldingStore> {
  const store = await openArchive(location, { allowS3: true });
  if (!store.setLegalHold) throw new ConfigurationError(`--archive: ${store.location} cannot place legal holds`);
  return store as HoldingStore;
}

function selectionOf(opts: { from?: string; to?: string; prefix?: string[] }): HoldSelection {
  const period = opts.from !== undefined || opts.to !== undefined;
  if (period && opts.prefix?.length) throw new ConfigurationError('give either --from and --to, or --prefix, not both');
  if (period) {
    if (opts.from === undefined || opts.to === undefined)
      throw new ConfigurationError('a period needs both --from and --to (YYYY-MM-DD, inclusive)');
    return { kind: 'period', from: opts.from, to: opts.to };
  }
  return { kind: 'prefix', prefixes: opts.prefix ?? [] };
}

const describeSelection = (s: HoldSelection) => (s.kind === 'period' ? `${s.from} – ${s.to}` : s.prefixes.join(', '));

/** Adds the `hold` command group; `setExit` receives the exit code of a completed command. */
export function registerHold(program: Command, setExit: (code: number) => void): void {
  const hold = program
    .command('hold')
    .description('legal holds: keep every object of a period or prefix beyond its retention until released');
  const collect = (value: string, previous: string[] = []) => [...previous, value];

  hold
    .command('place')
    .description(
      'record a hold under holds/ and place a legal hold on every object it selects (a period holds its parts and the whole chain that proves them)',
    )
    .requiredOption('--archive <dir|s3://bucket>', 'the archive')
    .option('--from <day>', 'first day of the period, YYYY-MM-DD (inclusive)')
    .option('--to <day>', 'last day of the period, YYYY-MM-DD (inclusive)')
    .option('--prefix <prefix>', 'hold every object under this key prefix (repeatable)', collect)
    .requiredOption('--reason <text>', 'why: the matter, subpoena or ticket (recorded with the hold)')
    .action(async (opts: { archive: string; from?: string; to?: string; prefix?: string[]; reason: string }) => {
      const store = await holdingStore(opts.archive);
      const selection = selectionOf(opts);
      const result = await placeHold(store, { selection, reason: opts.reason });
      process.stdout.write(
        `hold ${result.holdId} placed on ${result.objects} objects (${describeSelection(selection)})\n  recorded as ${result.recordKey}\n`,
      );
      setExit(0);
    });

  hold
    .command('release')
    .description('record the release and lift the legal hold from every object no other unreleased hold selects')
    .requiredOption('--archive <dir|s3://bucket>', 'the archive')
    .requiredOption('--hold <id>', 'the hold id (hold list shows them)')
    .requiredOption('--reason <text>', 'why the hold ends (recorded with the release)')
    .action(async (opts: { archive: string; hold: string; reason: string }) => {
      const store = await holdingStore(opts.archive);
      const result = await releaseHold(store, { holdId: opts.hold, reason: opts.reason });
      process.stdout.write(
        `hold ${opts.hold} released: ${result.released} objects no longer held, ${result.keptByOtherHolds} still held by other holds\n  recorded as ${result.recordKey}\n`,
      );
      setExit(0);
    });

  hold
    .command('list')
    .description('list the recorded holds, open ones first')
    .requiredOption('--archive <dir|s3://bucket>', 'the archive')
    .option('--json', 'print JSON')
    .action(async (opts: { archive: string; json?: boolean }) => {
      const store = await openArchive(opts.archive, { allowS3: true });
      const holds = await listHolds(store, { readBodies: true });
      holds.sort((a, b) => Number(a.released) - Number(b.released));
      if (opts.json) process.stdout.write(`${JSON.stringify(holds, null, 2)}\n`);
      else if (holds.length === 0) process.stdout.write('no holds recorded\n');
      else {
        for (const h of holds) {
          process.stdout.write(
            `${h.holdId}  ${h.released ? 'released' : 'OPEN    '}  ${describeSelection(h.selection)}` +
              (h.objects !== undefined ? `  ${h.objects} objects` : '') +
              (h.reason !== undefined
                ? `  — ${h.reason.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')}`
                : '  (reason not readable with these credentials)') +
              '\n',
          );
        }
      }
      setExit(0);
    });
}
