import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { verifyHubSignature } from '../../../lambdas/core/webhook/signature.ts';
import { SimulatedWorkspace } from '../../../simulator/dataset.ts';
import { parseFaults } from '../../../simulator/faults.ts';
import { startSimulator } from '../../../simulator/server.ts';
import { WebhookPoster } from '../../../simulator/webhookPoster.ts';

const T = Date.UTC(2025, 2, 4, 9) / 1000;

describe('WebhookPoster', () => {
  it('posts each entry created since the last tick once, signed like Intercom, with the app_id', async () => {
    const got: { signed: boolean; body: any }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        got.push({
          signed: verifyHubSignature(body, req.headers['x-hub-signature'] as string, 's3cret'),
          body: JSON.parse(body.toString()),
        });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const workspace = new SimulatedWorkspace({ entriesPerDay: 2000 });
    let clock = T;
    const poster = new WebhookPoster({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      secret: 's3cret',
      appId: 'app-1',
      workspace,
      now: () => clock,
    });
    try {
      expect(await poster.tick()).toEqual([]);
      clock = T + 3600;
      const first = await poster.tick();
      clock = T + 7200;
      const second = await poster.tick();
      const expected = workspace.entriesBetween(T + 1, T + 7200).map((e) => e.id);
      expect([...first, ...second].map((p) => p.entry.id)).toEqual(expected);
      expect(got).toHaveLength(expected.length);
      expect(got.every((g) => g.signed)).toBe(true);
      expect(got[0]!.body).toMatchObject({ type: 'notification_event', app_id: 'app-1', topic: 'admin.activity_log_event.created' });
      expect(got.map((g) => g.body.data.item.id)).toEqual(expected);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('hide=<share> keeps a share of entries from the poll (the webhook still announces them)', async () => {
    expect(parseFaults('hide=0.25').hideShare).toBe(0.25);
    const sim = await startSimulator({ faults: { hideShare: 0.25 }, now: () => T + 86_400 });
    try {
      const all = sim.workspace.entriesBetween(T, T + 86_400);
      const served = sim.visibleBetween(T, T + 86_400);
      expect(served.length).toBeLessThan(all.length);
      expect(served.length).toBeGreaterThan(all.length / 2);
      sim.hideFromPoll([served[0]!.id]);
      expect(sim.visibleBetween(T, T + 86_400).map((e) => e.id)).not.toContain(served[0]!.id);
    } finally {
      await sim.close();
    }
  });
});
