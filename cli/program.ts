/**
 * The `audit-archive` command line. Exit codes: 0 success; 1 a run that could not complete
 * or a verification that found problems; 2 a usage or configuration error.
 */
import { Command, CommanderError } from 'commander';
import { ArchiveError, describeError } from '../lambdas/core/errors.ts';
import { safeLines } from '../lambdas/core/text/safeText.ts';
import { COLLECTOR_VERSION } from '../lambdas/core/version.ts';
import { registerAcknowledge } from './commands/acknowledge.ts';
import { registerCollect } from './commands/collectProgram.ts';
import { registerConsole } from './commands/console.ts';
import { registerExport } from './commands/exportProgram.ts';
import { registerHold } from './commands/hold.ts';
import { registerKeys } from './commands/keys.ts';
import { registerQuery } from './commands/queryProgram.ts';
import { registerReport } from './commands/reportProgram.ts';
import { registerRules } from './commands/rules.ts';
import { registerSearch } from './commands/search.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerTrace } from './commands/trace.ts';
import { registerVerify } from './commands/verifyProgram.ts';
import { registerWebhook } from './commands/webhook.ts';
import { EXIT, exitCodeFor } from './exitCodes.ts';

export { EXIT } from './exitCodes.ts';

/** The program, one registration per command or group; the order here is the order `--help` lists them in. */
function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('audit-archive')
    .description('Archive Intercom teammate activity logs into a write-once, verifiable archive.')
    .version(COLLECTOR_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerCollect(program, setExit);
  registerVerify(program, setExit);
  registerKeys(program, setExit);
  registerReport(program, setExit);
  registerQuery(program, setExit);
  registerTrace(program, setExit);
  registerSearch(program, setExit);
  registerRules(program, setExit);
  registerExport(program, setExit);
  registerSimulate(program, setExit);
  registerHold(program, setExit);
  registerAcknowledge(program, setExit);
  registerWebhook(program, setExit);
  registerConsole(program, setExit);
  return program;
}

/** Runs the CLI and returns its exit code (never calls process.exit, so tests can call it). */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message; help and version are not errors.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help'
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof ArchiveError) {
      process.stderr.write(`error: ${safeLines(error.message)}\n`);
      return exitCodeFor(error);
    }
    process.stderr.write(`error: ${safeLines(describeError(error))}\n`);
    if (process.env.DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return EXIT.failed;
  }
}
