/** `audit-archive acknowledge <key>… --reason`: account for objects no manifest lists, as signed exceptions. */
import os from 'node:os';
import type { Command } from 'commander';
import { archiveKey } from '../../lambdas/core/signing/chainKey.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { LocalRunLock } from '../../lambdas/adapters/local/LocalRunLock.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { acknowledgeObjects } from '../../lambdas/core/operator/operatorManifest.ts';
import { COLLECTOR_VERSION, newRunId } from '../../lambdas/core/version.ts';
import { openArchive } from '../archiveLocation.ts';
import { createOutput } from '../output.ts';

export interface AcknowledgeOptions {
  readonly archive: string;
  readonly keys: readonly string[];
  readonly reason: string;
  readonly operator?: string;
}

export async function runAcknowledge(options: AcknowledgeOptions) {
  await openArchive(options.archive, { allowS3: false });
  const store = new LocalObjectStore(options.archive);
  const byWorkspace = new Map<string, string[]>();
  for (const key of options.keys) {
    const workspaceId = /^[a-z_]+\/workspace=([A-Za-z0-9_-]+)\//.exec(key)?.[1];
    if (!workspaceId)
      throw new ConfigurationError(
        `acknowledge: '${key}' is not an archive object key (give the key as verify prints it, e.g. activity_logs/workspace=<id>/dt=…/….jsonl.gz)`,
      );
    byWorkspace.set(workspaceId, [...(byWorkspace.get(workspaceId) ?? []), key]);
  }
  // The chain's own key (found by the fingerprint its signatures name); an unsigned archive stays unsigned.
  const expected = await archiveKey(store, [...byWorkspace.keys()]);
  const signer = expected ? Ed25519Signer.forChain(options.archive, expected).signer : undefined;
  const lock = new LocalRunLock(options.archive);
  await lock.acquire();
  try {
    const results = [];
    for (const [workspaceId, keys] of byWorkspace) {
      const result = await acknowledgeObjects(store, keys, {
        workspaceId,
        reason: options.reason,
        operator: options.operator ?? os.userInfo().username,
        runId: newRunId(),
        collectorVersion: COLLECTOR_VERSION,
        ...(signer && { signer }),
      });
      results.push({ workspaceId, seq: result.manifest.manifest.seq, covered: result.covered });
    }
    return results;
  } finally {
    await lock.release();
  }
}

/** Adds the `acknowledge` command; `setExit` receives the exit code of a completed command. */
export function registerAcknowledge(program: Command, setExit: (code: number) => void): void {
  program
    .command('acknowledge')
    .description(
      'record objects that no manifest lists (as verify names them) as acknowledged exceptions: a signed exception manifest lists them with your reason; they are disclosed, never read',
    )
    .argument('<key...>', 'object keys, as verify prints them')
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--reason <text>', 'why (recorded in the manifest, for the auditor)')
    .option('--operator <name>', 'who acknowledges (recorded; default: your user name)')
    .action(async (keys: string[], opts: { archive: string; reason: string; operator?: string }) => {
      const output = createOutput();
      for (const r of await runAcknowledge({ ...opts, keys })) {
        output.warn(
          `workspace ${r.workspaceId}: exception manifest ${r.seq} acknowledges ${r.covered.length} object${r.covered.length === 1 ? '' : 's'}:`,
        );
        for (const key of r.covered) output.warn(`  ${key}`);
        process.stdout.write(`workspace ${r.workspaceId}: acknowledged ${r.covered.length} objects in manifest ${r.seq}\n`);
      }
      setExit(0);
    });
}
