/** Runs the CLI in a child process against a simulator, as a user would, and collects its output. */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The simulated Intercom the run talks to. */
  readonly sim: { readonly url: string; readonly token: string };
  /** Where the run keeps its signing keys (outside the archive). */
  readonly keyDir: string;
  /** Overrides, or `undefined` to unset a variable. */
  readonly env?: Record<string, string | undefined>;
  /** SIGKILLs the run after this many milliseconds. */
  readonly killAfterMs?: number;
  /** The program to run. @default the TypeScript CLI through tsx */
  readonly entry?: readonly string[];
}

export function runCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const entry = options.entry ?? ['--import', 'tsx', path.join(ROOT, 'cli/main.ts')];
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        INTERCOM_ACCESS_TOKEN: options.sim.token,
        INTERCOM_API_URL: options.sim.url,
        CI: 'true',
        AUDIT_ARCHIVE_KEY_DIR: options.keyDir,
        // The columnar cache beside the keys, never the user's own ~/.cache.
        XDG_CACHE_HOME: path.join(options.keyDir, 'xdg-cache'),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    if (options.killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
