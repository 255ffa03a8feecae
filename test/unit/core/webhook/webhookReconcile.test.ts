import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHead } from '../../../../lambdas/core/archive/chain.ts';
import { RECEIVED_FORMAT, parseReceivedKey, receivedKey, recordReceived } from '../../../../lambdas/core/webhook/received.ts';
import { reconcileWebhook, webhookUnmatchedInPeriod } from '../../../../lambdas/core/webhook/reconcile.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';

const WS = 'sim-acme';
const UNTIL = T0 + DAY;
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + 3600, dataset: { entriesPerDay: 100 } });
});
afterAll(async () => {
  await sim.close();
});

const receive = (store: MemoryObjectStore, id: string, createdAt: number) =>
  recordReceived(store, {
    format: RECEIVED_FORMAT,
    workspace_id: WS,
    id,
    created_at: createdAt,
    activity_type: 'admin_login_success',
    app_id: WS,
    notification_id: null,
    received_at: new Date((createdAt + 2) * 1000).toISOString(),
  });

async function archived(): Promise<{ store: MemoryObjectStore; ids: { id: string; created_at: number }[] }> {
  const store = new MemoryObjectStore();
  await runCollector(sim, store, { since: T0, until: UNTIL, windowSeconds: DAY });
  return { store, ids: sim.visibleBetween(T0, UNTIL - 1).map((e) => ({ id: e.id, created_at: e.created_at })) };
}

describe('reconcileWebhook()', () => {
  it('names the received ids no listed part holds, only where the poll had time to archive them', async () => {
    const { store, ids } = await archived();
    const early = ids[0]!;
    await receive(store, early.id, early.created_at);
    await receive(store, 'never-served-1', T0 + 3600);
    await receive(store, 'too-recent-1', UNTIL - 600); // inside the settle time before the checkpoint
    const r = await reconcileWebhook(store, WS, { from: T0 });
    expect(r.to).toBe((await findHead(store, WS))!.manifest.checkpoint - 3600);
    expect(r.received).toBe(2);
    expect(r.unmatched).toEqual([
      { id: 'never-served-1', created_at: T0 + 3600, received_at: new Date((T0 + 3602) * 1000).toISOString(), workspace_id: WS },
    ]);
  });

  it('does not take a part whose bytes differ from its manifest as proof that an id was archived', async () => {
    const { store, ids } = await archived();
    const entry = ids[0]!;
    await receive(store, entry.id, entry.created_at);
    const head = (await findHead(store, WS))!;
    const part = [...store.keys('activity_logs/')][0]!;
    expect((await reconcileWebhook(store, WS, { from: T0 })).unmatched).toEqual([]);
    store.tamper.set(part, Buffer.from('replaced'));
    expect((await reconcileWebhook(store, WS, { from: T0 })).unmatched.map((u) => u.id)).toEqual([entry.id]);
    expect(head.manifest.parts.map((p) => p.key)).toContain(part);
  });

  it('ignores objects under webhook/ that are not records (a planted key cannot name another workspace or escape the day)', async () => {
    const { store } = await archived();
    store.tamper.set(`webhook/workspace=${WS}/dt=2025-03-03/not-a-record.json`, Buffer.from('{}'));
    store.tamper.set(`webhook/workspace=${WS}/dt=2025-03-09/1741000000-x.json`, Buffer.from('{}')); // day and time disagree
    store.tamper.set(`webhook/workspace=${WS}/dt=2025-03-03/sub/1741000000-x.json`, Buffer.from('{}'));
    expect(parseReceivedKey(WS, `webhook/workspace=${WS}/dt=2025-03-03/1740992400-ok.json`)).toEqual({ id: 'ok', createdAt: 1740992400 });
    expect((await reconcileWebhook(store, WS, { from: T0 })).received).toBe(0);
    expect(() => receivedKey(WS, T0, '../x')).toThrow(RangeError);
  });

  it("gives the report pack's webhook_unmatched for a period", async () => {
    const { store } = await archived();
    await receive(store, 'never-served-2', T0 + 7200);
    expect(await webhookUnmatchedInPeriod(store, [WS], { from: T0, to: T0 + DAY })).toEqual([
      { id: 'never-served-2', received_at: new Date((T0 + 7202) * 1000).toISOString(), workspace_id: WS },
    ]);
  });
});
