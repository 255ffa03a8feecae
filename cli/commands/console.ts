/** `audit-archive console`: the read-only investigation console in a browser, on 127.0.0.1. */
import path from 'node:path';
import type { Command } from 'commander';
import { startConsole } from '../console/startConsole.ts';
import { createOutput } from '../output.ts';
import { parseNumber } from '../parse.ts';
import { cacheFlags, cacheOptions, openPartCache } from '../partCache.ts';

const DEFAULT_RULES = path.resolve(import.meta.dirname, '../../rules/default-rules.yaml');

export function registerConsole(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('console')
    .description(
      'serve a read-only investigation console on 127.0.0.1: filters, timeline, events with their proof, coverage, report packs, rule backtests',
    )
    .requiredOption('--archive <dir|s3://bucket/prefix>', 'the archive (S3 with your AWS credentials; an auditor role suffices)')
    .option('--athena', 'query through Athena (an s3:// archive) instead of local DuckDB')
    .option('--workgroup <name>', 'Athena workgroup (with --athena)', 'intercom-audit-archive')
    .option('--database <name>', 'Glue database (with --athena)', 'intercom_audit_archive')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', '0')
    .option('--public-key <pem>', 'the manifest-signing public key from your compliance records: event proofs are checked with it')
    .option('--kms-key-id <id>', 'the KMS signing key whose public key checks event proofs (S3 archives)')
    .option('--reports <dir>', 'folder of report packs to list (S3: the packs under reports/ in the archive)', 'reports')
    .option('--rules <file>', 'alert rules the rules page backtests', DEFAULT_RULES);
  for (const option of cacheOptions()) command.addOption(option);
  command.action(
    async (opts: {
      archive: string;
      athena?: boolean;
      workgroup: string;
      database: string;
      port: string;
      publicKey?: string;
      kmsKeyId?: string;
      reports: string;
      rules: string;
      cacheDir?: string;
      cache?: boolean;
    }) => {
      const output = createOutput();
      const local = !opts.archive.startsWith('s3://');
      const partCache = local ? await openPartCache(opts.archive, cacheFlags(opts), output) : undefined;
      const running = await startConsole({
        archive: opts.archive,
        port: parseNumber('--port', opts.port, { min: 0, max: 65535, integer: true }),
        ...(opts.athena && { athena: { workgroup: opts.workgroup, database: opts.database } }),
        ...(opts.publicKey && { publicKey: opts.publicKey }),
        ...(opts.kmsKeyId && { kmsKeyId: opts.kmsKeyId }),
        reports: opts.reports,
        rules: opts.rules,
        ...(partCache && { partCache }),
      });
      process.stderr.write(
        `${running.scope.parts.length} chain-listed parts (${running.scope.trust}); event proofs checked with ${running.keySource ?? 'no key (give --public-key)'}\n`,
      );
      // The only place the one-time token appears: open it once; it is dead after that.
      process.stdout.write(`console: ${running.url}\n(read-only, 127.0.0.1 only; Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.close();
      setExit(0);
    },
  );
}
