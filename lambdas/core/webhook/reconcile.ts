/**
 * Webhook–poll reconciliation: the ids the webhook received that no manifest-listed part holds
 * (data or quarantine), among entries the poll has had every chance to archive — created after
 * `from` and at least `settleSeconds` before the chain head's checkpoint (the poll re-reads its
 * lookback behind the checkpoint, so a late entry gets that long to arrive). Each one is
 * evidence that the API did not serve an entry Intercom itself announced: a gap in the system
 * of record to investigate, never data (the webhook's copy is not archived).
 *
 * Parts are read only when some received id falls in their time range, and only when their
 * bytes match their manifest (a part that does not is not evidence that an id was archived).
 */
import { type StoredManifest, findHead, readManifest } from '../archive/chain.ts';
import { readGzipLines } from '../archive/lines.ts';
import { type Manifest, sha256Hex } from '../archive/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import { receivedAt, receivedBetween } from './received.ts';

/** How long behind the checkpoint an entry may still arrive late before its absence counts. @default one hour */
export const DEFAULT_SETTLE_SECONDS = 3600;

export interface UnmatchedId {
  readonly id: string;
  readonly received_at: string;
  readonly created_at: number;
  readonly workspace_id: string;
}

export interface ReconcileResult {
  readonly workspaceId: string;
  /** The range checked, `[from, to)` in UNIX seconds (to ≤ checkpoint − settle). */
  readonly from: number;
  readonly to: number;
  readonly received: number;
  readonly unmatched: readonly UnmatchedId[];
}

export interface ReconcileOptions {
  readonly from: number;
  /** @default the head's checkpoint */
  readonly to?: number;
  readonly settleSeconds?: number;
}

export async function reconcileWebhook(store: ObjectStore, workspaceId: string, options: ReconcileOptions): Promise<ReconcileResult> {
  const head = await findHead(store, workspaceId);
  const checkpoint = head ? head.manifest.checkpoint - (options.settleSeconds ?? DEFAULT_SETTLE_SECONDS) : options.from;
  const to = Math.max(options.from, Math.min(options.to ?? checkpoint, checkpoint));
  const received: { id: string; createdAt: number; key: string }[] = [];
  for await (const r of receivedBetween(store, workspaceId, options.from, to)) received.push(r);
  const result = { workspaceId, from: options.from, to, received: received.length };
  if (!head || received.length === 0) return { ...result, unmatched: [] };
  const archived = await archivedIds(store, head, Math.min(...received.map((r) => r.createdAt)), to);
  const unmatched: UnmatchedId[] = [];
  for (const r of received) {
    if (archived.has(r.id)) continue;
    unmatched.push({
      id: r.id,
      received_at: await receivedAt(store, r.key, r.createdAt),
      created_at: r.createdAt,
      workspace_id: workspaceId,
    });
  }
  return { ...result, unmatched };
}

/** Ids in the data and quarantine parts the chain lists for entries in `[from, to)` (walked back from the head). */
async function archivedIds(store: ObjectStore, head: StoredManifest, from: number, to: number): Promise<Set<string>> {
  const ids = new Set<string>();
  const superseded = new Set<number>();
  let current: StoredManifest | undefined = head;
  while (current) {
    const m: Manifest = current.manifest;
    for (const ref of m.supersedes ?? []) superseded.add(ref.seq);
    if (!superseded.has(m.seq)) {
      for (const part of [...m.parts, ...m.quarantine]) {
        const overlaps =
          part.min_created_at === null || part.max_created_at === null || (part.max_created_at >= from && part.min_created_at < to);
        if (!overlaps) continue;
        const body = await store.get(part.key);
        if (sha256Hex(body) !== part.sha256) continue;
        for await (const line of readGzipLines(body)) if (typeof line.id === 'string') ids.add(line.id);
      }
      if ((m.kind === 'window' || m.kind === 'recovery') && m.from < from) break;
    }
    current = m.seq > 0 ? await readManifest(store, m.workspace_id, m.seq - 1) : undefined;
  }
  return ids;
}

/** The report pack's `exceptions.webhook_unmatched` for a period: `{ id, received_at }` per unmatched id, every workspace. */
export async function webhookUnmatchedInPeriod(
  store: ObjectStore,
  workspaceIds: readonly string[],
  period: { readonly from: number; readonly to: number },
): Promise<{ id: string; received_at: string; workspace_id: string }[]> {
  const out: { id: string; received_at: string; workspace_id: string }[] = [];
  for (const ws of workspaceIds) {
    const r = await reconcileWebhook(store, ws, { from: period.from, to: period.to, settleSeconds: 0 });
    for (const u of r.unmatched) out.push({ id: u.id, received_at: u.received_at, workspace_id: u.workspace_id });
  }
  return out;
}
