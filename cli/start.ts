/**
 * `npm start`: the whole product on a laptop with no AWS account. Starts the simulated
 * Intercom on a free loopback port, collects at least six months into ./archive (or
 * --archive / ARCHIVE_DIR), verifies the archive and prints what to try next.
 * A second `npm start` continues the same archive from its checkpoint.
 */
import path from 'node:path';
import { Command } from 'commander';
import { LocalObjectStore } from '../lambdas/adapters/local/LocalObjectStore.ts';
import { findHead } from '../lambdas/core/archive/chain.ts';
import { ArchiveError, describeError } from '../lambdas/core/errors.ts';
import { startSimulator } from '../simulator/server.ts';
import { formatCollectSummary, runCollect } from './commands/collect.ts';
import { formatVerifyResult, runVerify } from './commands/verify.ts';
import { createOutput } from './output.ts';

const DAY = 86_400;

async function main(): Promise<number> {
  const opts = new Command('npm start')
    .option('--archive <dir>', 'archive folder', process.env.ARCHIVE_DIR ?? './archive')
    .option('--months <n>', 'months of history for a new archive', '6')
    .parse(process.argv)
    .opts<{ archive: string; months: string }>();
  const archive = path.resolve(opts.archive);
  const output = createOutput();
  const started = Date.now();

  // A realistic bad day: pages that repeat entries, a few late entries, a few broken ones.
  const sim = await startSimulator({ faults: { repeat: 2, lateShare: 0.01, lateDelaySeconds: 1200, malformed: 0.0005 } });
  try {
    output.info(`simulated Intercom on ${sim.url} (workspace ${sim.workspace.workspaceId})`);
    const store = new LocalObjectStore(archive);
    const existing = await findHead(store, sim.workspace.workspaceId);
    const now = Math.floor(Date.now() / 1000);
    const since = Math.floor((now - Math.round(Number(opts.months) * 30.5) * DAY) / DAY) * DAY;
    const result = await runCollect(
      {
        archive,
        ...(existing ? {} : { since }),
        apiUrl: sim.url,
        token: sim.token,
        windowSeconds: 5 * DAY,
        lookbackSeconds: 3600,
        settleLagSeconds: 600,
      },
      output,
    );
    const collectSeconds = (Date.now() - started) / 1000;
    process.stdout.write(`\n${formatCollectSummary(result, collectSeconds)}\n\n`);
    const verified = await runVerify(archive, output);
    process.stdout.write(`${formatVerifyResult(verified)}\n\n`);
    const ws = verified.workspaces[0];
    process.stdout.write(
      [
        `Archive: ${archive}`,
        `  ${ws?.records ?? 0} entries in ${ws?.parts ?? 0} parts, ${ws?.windows ?? 0} windows, ${ws?.lateManifests ?? 0} late manifests; ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
        '',
        'Try next:',
        '  npm start                                   # again: continues from the checkpoint, nothing duplicated',
        `  npm run cli -- verify --archive ${path.relative(process.cwd(), archive) || '.'}        # re-hash everything and walk the chain`,
        `  zcat ${path.relative(process.cwd(), archive) || '.'}/activity_logs/workspace=${sim.workspace.workspaceId}/dt=*/*.jsonl.gz | head -1`,
        '  npm run cli -- simulate --faults 5xx=0.1,429=0.05,truncate=0.05   # a flaky Intercom to collect from',
        '',
      ].join('\n'),
    );
    return verified.ok ? 0 : 1;
  } finally {
    await sim.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${describeError(error)}\n`);
    process.exitCode = error instanceof ArchiveError ? error.exitCode : 1;
  },
);
