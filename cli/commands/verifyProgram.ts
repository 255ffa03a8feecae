/** The `verify` command's flags (one registration line in program.ts). */
import { type Command, Option } from 'commander';
import { parseReceipt } from '../../lambdas/core/signing/receipts.ts';
import { EXIT } from '../exitCodes.ts';
import { createOutput, writeResult } from '../output.ts';
import { parseDuration, parseNumber } from '../parse.ts';
import { formatVerifyResult, runVerify, writeVerifyReport } from './verify.ts';

interface VerifyFlags {
  archive: string;
  publicKey?: string;
  kmsKeyId?: string;
  lockMode: 'COMPLIANCE' | 'GOVERNANCE';
  retentionYears: string;
  report?: string;
  json?: boolean;
  expectHead: string[];
  fromReceipt: string[];
  concurrency: string;
  maxHeadAge?: string;
  requireLocks?: boolean;
}

/** Adds the `verify` command; `setExit` receives 0 when the archive verified, 1 when it found problems. */
export function registerVerify(program: Command, setExit: (code: number) => void): void {
  program
    .command('verify')
    .description(
      're-hash every object, walk every manifest chain and check every signature; exit 1 when anything is missing, altered, unsigned or outside the chain',
    )
    .requiredOption(
      '--archive <dir|s3://bucket/prefix>',
      'archive folder, or the S3 location (with your AWS credentials; an auditor role suffices)',
    )
    .option('--public-key <file>', 'PEM public key to check signatures with (from your compliance records)')
    .option('--kms-key-id <id>', 'KMS signing key whose public key checks the signatures (S3 archives)')
    .addOption(
      new Option('--lock-mode <mode>', 'Object Lock mode every object must have')
        .choices(['COMPLIANCE', 'GOVERNANCE'])
        .default('COMPLIANCE'),
    )
    .option('--retention-years <n>', 'retention every object must have at least', '7')
    .option('--report <file>', 'write a JSON verification report there, and a one-page summary beside it')
    .option('--json', 'print the result as JSON')
    .option(
      '--expect-head <receipt>',
      "a head receipt kept outside the archive (<workspace>:<seq>:<sha256> or the printed 'head receipt: …' line): fail unless the chain reaches it; repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--from-receipt <receipt>',
      'an earlier verified head receipt (same two forms as --expect-head): check only what was added after it; its manifest must still hash to it and be signed; one per workspace, repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--concurrency <n>', 'objects read (and lock states asked for) at once', '32')
    .option('--max-head-age <duration>', "fail when a workspace's newest window ends longer ago than this, e.g. 2d")
    .option(
      '--require-locks',
      'fail when the folder has no Object Lock records at all (by default a copy is verified in full and its lock state noted as not checked)',
    )
    .action(async (opts: VerifyFlags) => {
      const years = parseNumber('--retention-years', opts.retentionYears, { min: 1, max: 100, integer: true });
      const expectHeads = opts.expectHead.map((text) => parseReceipt(text));
      const fromReceipts = opts.fromReceipt.map((text) => parseReceipt(text, '--from-receipt'));
      const maxHeadAgeSeconds =
        opts.maxHeadAge !== undefined ? parseDuration('--max-head-age', opts.maxHeadAge, { min: 60, max: 3650 * 86_400 }) : undefined;
      const outcome = await runVerify(
        {
          archive: opts.archive,
          ...(opts.publicKey && { publicKey: opts.publicKey }),
          ...(opts.kmsKeyId && { kmsKeyId: opts.kmsKeyId }),
          lock: { mode: opts.lockMode, years },
          concurrency: parseNumber('--concurrency', opts.concurrency, { min: 1, max: 256, integer: true }),
          ...(expectHeads.length > 0 && { expectHeads }),
          ...(fromReceipts.length > 0 && { fromReceipts }),
          ...(maxHeadAgeSeconds !== undefined && { maxHeadAgeSeconds }),
          ...(opts.requireLocks && { requireLocks: true }),
        },
        createOutput(),
      );
      writeResult(opts.json ? `${JSON.stringify(outcome.result, null, 2)}\n` : `${formatVerifyResult(outcome.result)}\n`, {
        machine: Boolean(opts.json),
      });
      if (opts.report) {
        const summary = await writeVerifyReport(opts.report, outcome);
        writeResult(`report: ${opts.report} and ${summary}\n`);
      }
      setExit(outcome.result.ok ? EXIT.ok : EXIT.failed);
    });
}
