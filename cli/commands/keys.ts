/** `audit-archive keys …`: the signing key's life cycle, changed only on purpose. One function per subcommand. */
import os from 'node:os';
import type { Command } from 'commander';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { LocalRunLock } from '../../lambdas/adapters/local/LocalRunLock.ts';
import { listWorkspaces } from '../../lambdas/core/archive/chain.ts';
import { assertWorkspaceId } from '../../lambdas/core/archive/keys.ts';
import { archiveKey, chainKey } from '../../lambdas/core/signing/chainKey.ts';
import { formatReceipt, signedHeadReceipt } from '../../lambdas/core/signing/receipts.ts';
import { type RotationRecord, rotateKey, rotationKey } from '../../lambdas/core/signing/rotation.ts';

import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { adoptUnsigned } from '../../lambdas/core/operator/operatorManifest.ts';
import { COLLECTOR_VERSION, newRunId } from '../../lambdas/core/version.ts';
import { openArchive } from '../archiveLocation.ts';
import { createOutput, type Output } from '../output.ts';

export function registerKeys(program: Command, setExit: (code: number) => void): void {
  const keys = program
    .command('keys')
    .description("a chain's signing key: changed only on purpose, recorded in the archive and signed by both keys");
  registerRotate(keys, setExit);
  registerAdoptUnsigned(keys, setExit);
}

function registerRotate(keys: Command, setExit: (code: number) => void): void {
  keys
    .command('rotate')
    .description(
      'hand each chain over to a new Ed25519 key: writes keys/workspace=<id>/<first seq>.json signed by the old and the new key; the next collect signs with the new key',
    )
    .requiredOption('--archive <dir>', 'archive folder (on AWS, send the collector a {"operation":"rotate-key"} event instead)')
    .option('--workspace <id>', 'only this workspace (default: every chain in the archive)')
    .action(async (opts: { archive: string; workspace?: string }) => {
      const results = await runRotate({ archive: opts.archive, ...(opts.workspace && { workspace: opts.workspace }) }, createOutput());
      for (const r of results) {
        process.stdout.write(
          `workspace ${r.record.workspace_id}: signing key rotated from ${r.record.old_key.fingerprint} to ${r.record.new_key.fingerprint}; the new key signs from manifest ${r.record.first_seq} on (${r.key})\n` +
            `  new public key: ${r.publicKeyPath} — record its fingerprint in your compliance records\n`,
        );
        if (r.receipt) process.stdout.write(`${r.receipt}\n`);
      }
      setExit(0);
    });
}

export interface RotateOptions {
  readonly archive: string;
  readonly workspace?: string;
  readonly keyDir?: string;
  readonly now?: () => Date;
}

export interface RotateResult {
  readonly record: RotationRecord;
  readonly key: string;
  readonly publicKeyPath: string;
  readonly receipt?: string;
}

/** Rotates every chain (or one) of a local archive to one new key pair, holding the archive's run lock. */
export async function runRotate(options: RotateOptions, output: Output): Promise<RotateResult[]> {
  const store = (await openArchive(options.archive, { allowS3: false })) as LocalObjectStore;
  const workspaces = options.workspace ? [assertWorkspaceId(options.workspace)] : await listWorkspaces(store);
  if (workspaces.length === 0)
    throw new ConfigurationError(`--archive: ${store.location} has no manifest chain yet: there is no key to rotate`);
  const lock = new LocalRunLock(options.archive);
  await lock.acquire();
  try {
    const current = [];
    for (const workspaceId of workspaces) {
      const expected = await chainKey(store, workspaceId);
      if (!expected)
        throw new ConfigurationError(
          `workspace ${workspaceId}'s chain has no signature yet: there is no key to rotate (the next collect signs it)`,
        );
      current.push({ workspaceId, old: Ed25519Signer.forChain(options.archive, expected, options.keyDir) });
    }
    const next = Ed25519Signer.generate(options.archive, options.keyDir);
    output.info(`new signing key ${next.verifier.fingerprint}: ${next.publicKeyPath}`);
    const results: RotateResult[] = [];
    for (const { workspaceId, old } of current) {
      const record = await rotateKey(store, workspaceId, old.signer, next.signer, options.now?.());
      const receipt = await signedHeadReceipt(store, workspaceId);
      results.push({
        record,
        key: rotationKey(workspaceId, record.first_seq),
        publicKeyPath: next.publicKeyPath,
        ...(receipt && { receipt: formatReceipt(receipt) }),
      });
    }
    return results;
  } finally {
    await lock.release();
  }
}

export interface AdoptUnsignedOptions {
  readonly archive: string;
  readonly workspace?: string;
  readonly reason: string;
  readonly operator?: string;
}

/** Signs over the unsigned manifests of a local archive on purpose, with a signed `adoption` manifest. */
export async function runAdoptUnsigned(
  options: AdoptUnsignedOptions,
): Promise<{ workspaceId: string; seq: number; covered: string[]; fingerprint: string; created: boolean }[]> {
  await openArchive(options.archive, { allowS3: false });
  const store = new LocalObjectStore(options.archive);
  const workspaces = options.workspace ? [options.workspace] : await listWorkspaces(store);
  if (workspaces.length === 0) throw new ConfigurationError(`--archive: '${options.archive}' holds no manifest chain`);
  // The chain's own key where signing already began (a v1 archive signed late), else this archive's key.
  const keys = Ed25519Signer.forChain(options.archive, await archiveKey(store, workspaces));
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
      results.push({
        workspaceId,
        seq: result.manifest.manifest.seq,
        covered: result.covered,
        fingerprint: keys.verifier.fingerprint,
        created: keys.created,
      });
    }
    return results;
  } finally {
    await lock.release();
  }
}

function registerAdoptUnsigned(keys: Command, setExit: (code: number) => void): void {
  keys
    .command('adopt-unsigned')
    .description(
      'vouch for the unsigned manifests of an archive (collected with signing off): writes a signed adoption manifest naming each one, with your reason — signing never starts over them by itself',
    )
    .requiredOption('--archive <dir>', 'archive folder')
    .requiredOption('--reason <text>', 'why you vouch for them (recorded in the manifest)')
    .option('--workspace <id>', 'only this workspace (default: every workspace in the archive)')
    .option('--operator <name>', 'who vouches (recorded; default: your user name)')
    .action(async (opts: AdoptUnsignedOptions) => {
      const output = createOutput();
      for (const r of await runAdoptUnsigned(opts)) {
        if (r.created)
          output.warn(
            `created this archive's signing key pair (fingerprint ${r.fingerprint}): record the fingerprint in your compliance records`,
          );
        output.warn(
          `workspace ${r.workspaceId}: adoption manifest ${r.seq} signed with key ${r.fingerprint}, vouching for ${r.covered.length} unsigned manifest${r.covered.length === 1 ? '' : 's'}:`,
        );
        for (const line of r.covered) output.warn(`  ${line}`);
        process.stdout.write(`workspace ${r.workspaceId}: adopted ${r.covered.length} unsigned manifests in manifest ${r.seq}\n`);
      }
      setExit(0);
    });
}
