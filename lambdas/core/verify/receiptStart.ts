/**
 * `--from-receipt`: where the check of a workspace starts. A receipt is trusted only as far as
 * the archive agrees with it: its manifest must be listed and hash to the receipt (checked here),
 * and carry a valid signature of the trusted key (checked by the signature check and the chain
 * weight). When the manifest does not match, the whole chain is checked and the mismatch is a
 * problem (`head-mismatch`, `head-missing`): a wrong or forged receipt never hides anything.
 */
import { createHash } from 'node:crypto';
import { manifestKey } from '../archive/keys.ts';
import { ConfigurationError } from '../errors.ts';
import type { HeadReceipt } from '../signing/receipts.ts';
import type { ArchiveReader } from './ArchiveReader.ts';
import type { ProblemList } from './ProblemList.ts';
import type { VerifyOptions } from './types.ts';

export function receiptsByWorkspace(options: Pick<VerifyOptions, 'fromReceipts' | 'verifier'>): Map<string, HeadReceipt> {
  const receipts = new Map<string, HeadReceipt>();
  if (!options.fromReceipts?.length) return receipts;
  if (!options.verifier)
    throw new ConfigurationError(
      'a receipt to start from needs the signing key: a receipt counts only through the signature of the manifest it names',
    );
  for (const receipt of options.fromReceipts) {
    if (receipts.has(receipt.workspaceId))
      throw new ConfigurationError(`two receipts to start from for workspace ${receipt.workspaceId}: give one per workspace (the newest)`);
    receipts.set(receipt.workspaceId, receipt);
  }
  return receipts;
}

/** The first seq to check: the receipt's when its manifest is listed and hashes to it, else 0 (the whole chain). */
export async function startOf(
  reader: ArchiveReader,
  workspaceId: string,
  seqs: readonly number[],
  receipt: HeadReceipt | undefined,
  problems: ProblemList,
): Promise<number> {
  if (!receipt || receipt.seq === 0) return 0;
  const key = manifestKey(workspaceId, receipt.seq);
  const body = seqs.includes(receipt.seq) ? await reader.store.get(key).catch(() => undefined) : undefined;
  if (body && createHash('sha256').update(body).digest('hex') === receipt.sha256) {
    problems.note(
      `workspace ${workspaceId}: checked from the receipt at manifest ${receipt.seq} on; manifests, parts, signatures and lock states up to it were trusted, not read, and so were objects in the data area from windows before it that no later manifest lists (a full verify checks them)`,
    );
    return receipt.seq;
  }
  problems.note(
    `workspace ${workspaceId}: the receipt at manifest ${receipt.seq} does not match this archive, so its whole chain was checked`,
  );
  return 0;
}
