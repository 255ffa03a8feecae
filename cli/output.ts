/**
 * What the CLI prints: a progress bar on a terminal, plain lines otherwise. Everything that
 * is not the command's result goes to stderr, so stdout stays clean for pipes.
 */
import cliProgress from 'cli-progress';
import { safeLines } from '../lambdas/core/text/safeText.ts';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export interface Output {
  readonly tty: boolean;
  info(line: string): void;
  warn(line: string): void;
  /** A progress bar on a terminal; on a pipe, the caller's own log lines are the progress. */
  progress(format: string, total: number, payload: Record<string, string | number>): Progress;
}

/**
 * Writes a command's result to stdout. Human-readable text never carries control characters;
 * a machine format (JSON, CSV) is written verbatim to a pipe or file, and stripped on a terminal.
 */
export function writeResult(text: string, options: { machine?: boolean } = {}, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(options.machine && !stream.isTTY ? text : safeLines(text));
}

export function createOutput(stream: NodeJS.WriteStream = process.stderr, quiet = false): Output {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let bar: cliProgress.SingleBar | undefined;
  const print = (line: string) => {
    if (bar) bar.stop();
    stream.write(`${safeLines(line)}\n`);
    if (bar) bar.start(bar.getTotal(), (bar as unknown as { value: number }).value);
  };
  return {
    tty,
    info: (line) => {
      if (!quiet) print(line);
    },
    warn: (line) => print(`warning: ${line}`),
    progress(format, total, payload) {
      if (!tty || quiet) return { update() {}, setTotal() {}, stop() {} };
      const instance = new cliProgress.SingleBar(
        { format, stream, hideCursor: true, etaBuffer: 50, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
      instance.start(total, 0, payload);
      bar = instance;
      return {
        update: (value, next) => instance.update(value, next),
        setTotal: (next) => instance.setTotal(next),
        stop: () => {
          instance.stop();
          bar = undefined;
        },
      };
    },
  };
}
