/** `audit-archive keys …`: the signing key's life cycle. One function per subcommand. */
import os from 'node:os';
import type { Command } from 'commander';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { LocalRunLock } from '../../lambdas/adapters/local/LocalRunLock.ts';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { adoptUnsigned } from '../../lambdas/core/operator/operatorManifest.ts';
import { COLLECTOR_VERSION, newRunId } from '../../lambdas/core/version.ts';
import { openArchive } from '../archiveLocation.ts';
import { createOutput } from '../output.ts';

/** The `keys` command group (created once; each subcommand adds itself to it). */
export function keysCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'keys') ?? program.command('keys').description("the archive's signing key: start signing over an unsigned history on purpose");
}

export interface AdoptUnsignedOptions {
  readonly archive: string;
  readonly workspace?: string;
  readonly reason: string;
  readonly operator?: string;
}

/** Signs over the unsigned manifests of a local archive on purpose, with a signed `adoption` manifest. */
export async function runAdoptUnsigned(options: AdoptUnsignedOptions): Promise<{ workspaceId: string; seq: number; covered: string[]; fingerprint: string; created: boolean }[]> {
  await openArchive(options.archive, { allowS3: false });
  const store = new LocalObjectStore(options.archive);
  const workspaces = options.workspace ? [options.workspace] : await listWorkspaces(store);
  if (workspaces.length === 0) throw new ConfigurationError(`--archive: '${options.archive}' holds no manifest chain`);
  const keys = Ed25519Signer.forArchive(options.archive);
  const lock = new LocalRunLock(options.archive);
  await lock.acquire();
  try {
    const results = [];
    for (const workspaceId of workspaces) {
      const result = await adoptUnsigned(store, keys.signer, {
        workspaceId,
        reason: options.reason,
        operator: options.operator ?? os.userInfo().username,
        runId: newRunId(),
        collectorVersion: COLLECTOR_VERSION,
      });
      results.push({ workspaceId, seq: result.manifest.manifest.seq, covered: result.covered, fingerprint: keys.verifier.fingerprint, created: keys.created });
    }
    return results;
  } finally {
    await lock.release();
  }
}

export function addAdoptUnsignedCommand(keys: Command, setExit: (code: number) => void): void {
  keys
    .command('adopt-unsigned')
    .description('vouch for the unsigned manifests of an archive (collected with signing off): writes a signed adoption manifest naming each one, with your reason — signing never starts over them by itself')
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--reason <text>', 'why you vouch for them (recorded in the manifest)')
    .option('--workspace <id>', 'only this workspace (default: every workspace in the archive)')
    .option('--operator <name>', 'who vouches (recorded; default: your user name)')
    .action(async (opts: AdoptUnsignedOptions) => {
      const output = createOutput();
      for (const r of await runAdoptUnsigned(opts)) {
        if (r.created) output.warn(`created this archive's signing key pair (fingerprint ${r.fingerprint}): record the fingerprint in your compliance records`);
        output.warn(`workspace ${r.workspaceId}: adoption manifest ${r.seq} signed with key ${r.fingerprint}, vouching for ${r.covered.length} unsigned manifest${r.covered.length === 1 ? '' : 's'}:`);
        for (const line of r.covered) output.warn(`  ${line}`);
        process.stdout.write(`workspace ${r.workspaceId}: adopted ${r.covered.length} unsigned manifests in manifest ${r.seq}\n`);
      }
      setExit(0);
    });
}
