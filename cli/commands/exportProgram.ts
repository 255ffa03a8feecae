/** The `export` command group's flags (one registration line in program.ts). */
import { type Command, Option } from 'commander';
import { parseDay } from '../parse.ts';
import { createOutput } from '../output.ts';
import { runExportOcsf } from './export.ts';

export function registerExport(program: Command, setExit: (code: number) => void): void {
  const group = program.command('export').description('export archived activity in other formats');
  group
    .command('ocsf')
    .description(
      'write OCSF 1.1.0 events of the chain-listed parts, one object per OCSF class and day, in the Amazon Security Lake custom-source layout',
    )
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (UTC, inclusive)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (UTC, inclusive)')
    .requiredOption('--out <dir>', 'folder the ext/<source>/… tree is written under')
    .addOption(new Option('--format <format>', 'object format').choices(['parquet', 'jsonl']).default('parquet'))
    .option('--region <region>', 'the region=… partition (your Security Lake region)', 'us-east-1')
    .option('--account-id <id>', 'the accountId=… partition (the account the source is registered in)', '000000000000')
    .option('--public-key <file>', 'PEM public key that checks each chain head (from your compliance records)')
    .option('--workspace <id>', 'only this workspace (default: every workspace in the archive)')
    .action(
      async (opts: {
        archive: string;
        from: string;
        to: string;
        out: string;
        format: 'parquet' | 'jsonl';
        region: string;
        accountId: string;
        publicKey?: string;
        workspace?: string;
      }) => {
        const result = await runExportOcsf({ ...opts, from: parseDay('--from', opts.from), to: parseDay('--to', opts.to) }, createOutput());
        process.stdout.write(
          `${result.events} OCSF events from ${result.partsRead} chain-listed parts in ${result.objects.length} objects under ${opts.out}\n`,
        );
        setExit(0);
      },
    );
}
