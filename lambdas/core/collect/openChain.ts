/**
 * Where a run starts: the chain head (or a new genesis), how signing continues, and — when the
 * head is unsigned — the recovery plan whose last signed checkpoint coverage resumes from.
 */
import { ConfigurationError } from '../errors.ts';
import type { ActivityLogSource, ObjectStore } from '../ports.ts';
import { type StoredManifest, findHead } from '../archive/chain.ts';
import { iso } from '../archive/manifest.ts';
import { ensureIndex } from '../archive/partIndex.ts';
import { assertChainKey } from '../signing/chainKey.ts';
import { type RecoveryPlan, planSigning } from '../signing/recovery.ts';
import { ChainWriter } from './ChainWriter.ts';
import type { ResolvedSettings } from './settings.ts';

export interface OpenedChain {
  readonly chain: ChainWriter;
  readonly newArchive: boolean;
  /** Set when the head is unsigned: the manifests a signed recovery manifest supersedes. */
  readonly recovery: RecoveryPlan | undefined;
  /** The head coverage is trusted up to: the last signed manifest during a recovery. */
  readonly trustedHead: StoredManifest | undefined;
  readonly checkpointBefore: number;
}

export async function openChain(source: ActivityLogSource, store: ObjectStore, s: ResolvedSettings): Promise<OpenedChain> {
  const head = await findHead(store, s.workspaceId, s.cache);
  if (!head) return openNew(source, store, s);
  if (s.since !== undefined && s.since !== head.manifest.origin) {
    s.observer.onWarning?.(
      `the archive for workspace ${s.workspaceId} already starts at ${iso(head.manifest.origin)} and continues from its checkpoint ${iso(head.manifest.checkpoint)}; --since ${iso(s.since)} is ignored (no gap, no duplicate)`,
    );
  }
  const { lastSignature, recovery } = s.signer ? await planSigning(store, head) : { lastSignature: undefined, recovery: undefined };
  // One key per chain: a different key is refused before anything is signed or fetched.
  if (s.signer) await assertChainKey(store, s.workspaceId, s.signer);
  const chain = new ChainWriter(source, store, s, head, lastSignature);
  // With a recovery, the unsigned manifests carry no weight: coverage resumes at the last signed checkpoint.
  const trustedHead = recovery ? recovery.trusted : head;
  const checkpointBefore = trustedHead?.manifest.checkpoint ?? chain.origin;
  if (recovery) warnRecovery(s, recovery, checkpointBefore);
  else await warnIfIndexMissing(store, s, head);
  return { chain, newArchive: false, recovery, trustedHead, checkpointBefore };
}

async function openNew(source: ActivityLogSource, store: ObjectStore, s: ResolvedSettings): Promise<OpenedChain> {
  const start = s.since ?? s.startIfNew;
  if (start === undefined) {
    throw new ConfigurationError(
      `the archive has no manifest chain for workspace ${s.workspaceId} yet: give --since to say where it starts`,
    );
  }
  const chain = await ChainWriter.genesis(source, store, s, start);
  await warnIfIndexMissing(store, s, chain.head);
  return { chain, newArchive: true, recovery: undefined, trustedHead: chain.head, checkpointBefore: chain.checkpoint };
}

async function warnIfIndexMissing(store: ObjectStore, s: ResolvedSettings, head: StoredManifest): Promise<void> {
  const warning = await ensureIndex(store, head);
  if (warning) s.observer.onWarning?.(warning);
}

function warnRecovery(s: ResolvedSettings, recovery: RecoveryPlan, checkpointBefore: number): void {
  const many = recovery.superseded.length > 1;
  s.observer.onWarning?.(
    `manifest${many ? 's' : ''} ${recovery.superseded.map((m) => m.manifest.seq).join(', ')} of workspace ${s.workspaceId} ${many ? 'are' : 'is'} unsigned ` +
      `(a run died between manifest and signature, or someone without the key wrote ${many ? 'them' : 'it'}): not signing ${many ? 'them' : 'it'}; ` +
      `re-collecting from the last signed checkpoint ${iso(checkpointBefore)} into a signed recovery manifest`,
  );
}
