/**
 * The whole webhook path on loopback: the simulator posts signed notifications as its clock
 * passes entries, the local receiver raises alerts at once and records the ids, the poll then
 * archives what the API serves and skips the alerts the webhook already sent (one alert_id),
 * and the reconciliation names the entry the simulator hid from the poll.
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { ACTIVITY_GROUPS } from '../../lambdas/core/queries/groups.ts';
import type { AlertSink } from '../../lambdas/core/rules/deliver.ts';
import type { Alert } from '../../lambdas/core/rules/evaluate.ts';
import { alertOnCollected } from '../../lambdas/core/rules/liveAlerts.ts';
import { parseRules } from '../../lambdas/core/rules/ruleset.ts';
import type { WebhookResponse } from '../../lambdas/core/webhook/receive.ts';
import { receiveWebhook } from '../../lambdas/core/webhook/receive.ts';
import { notificationFor } from '../../lambdas/core/webhook/notification.ts';
import { reconcileWebhook } from '../../lambdas/core/webhook/reconcile.ts';
import { hubSignature } from '../../lambdas/core/webhook/signature.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { WebhookPoster } from '../../simulator/webhookPoster.ts';
import { startLocalWebhook } from '../../cli/commands/webhook.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';

const SECRET = 'loopback-client-secret';
const WS = 'sim-acme';
const RULES_TEXT = [
  'version: 1',
  'rules:',
  '  - name: any-export',
  '    severity: high',
  '    when: [{ type_in_group: data_exports }]',
  '  - name: sign-in-new-address',
  '    severity: medium',
  '    when: [{ new_ip: { days: 90 } }]',
  '',
].join('\n');
const rules = parseRules(RULES_TEXT, 'rules.yaml');
const EXPORTS = new Set<string>(ACTIVITY_GROUPS.data_exports);
const START = T0 + 2 * DAY;

let clock = START;
let sim: RunningSimulator;
let tmp: string;
beforeAll(async () => {
  sim = await startSimulator({ now: () => clock });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'webhook-loopback-'));
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

function recording(): { sink: AlertSink; got: Alert[] } {
  const got: Alert[] = [];
  return { got, sink: { channel: 'stdout', publish: async (alerts) => void got.push(...alerts) } };
}

describe('webhook loopback: simulator → receiver → poll → reconciliation', () => {
  it('raises the alert from the webhook at once; the poll skips it (one alert_id); the reconciliation names the hidden id', async () => {
    const dir = path.join(tmp, 'archive');
    await fs.mkdir(dir);
    const store = new LocalObjectStore(dir);
    // The poll has run up to START and left its alert state behind.
    const first = await runCollector(sim, store, { since: T0, until: START, windowSeconds: DAY });
    await alertOnCollected(store, rules, first, [], { maxAgeSeconds: DAY, now: () => new Date(START * 1000) });

    const rulesFile = path.join(tmp, 'rules.yaml');
    await fs.writeFile(rulesFile, RULES_TEXT);
    const alertsFile = path.join(tmp, 'alerts.jsonl');
    const responses: WebhookResponse[] = [];
    const server = await startLocalWebhook({
      store,
      workspaceId: WS,
      secret: SECRET,
      rulesFile,
      alertsFile,
      alertsToStdout: false,
      now: () => new Date(clock * 1000),
      onResponse: (r) => responses.push(r),
    });
    try {
      const exported = sim.workspace.entriesBetween(START + 1, START + 3 * DAY).find((e) => EXPORTS.has(e.activity_type))!;
      const poster = new WebhookPoster({
        url: server.url,
        secret: SECRET,
        appId: WS,
        workspace: sim.workspace,
        now: () => clock,
        after: START,
      });
      clock = exported.created_at + 5;
      const posted = await poster.tick();
      expect(posted.length).toBeGreaterThan(0);
      expect(posted.every((p) => p.status === 200)).toBe(true);
      expect(posted.map((p) => p.entry.id)).toContain(exported.id);

      // The alert is in the alerts file as soon as the notification was answered.
      const fromWebhook = readFileSync(alertsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Alert);
      const exportAlert = fromWebhook.find((a) => a.rule === 'any-export' && a.entry_id === exported.id)!;
      expect(exportAlert).toBeDefined();
      expect(responses.find((r) => r.entryId === exported.id)!.alertIds).toContain(exportAlert.alert_id);

      // One more hour of activity; the simulator hides one of its entries from the poll.
      clock += 3600;
      const later = await poster.tick();
      const hidden = [...posted, ...later].map((p) => p.entry).find((e) => e.id !== exported.id)!;
      sim.hideFromPoll([hidden.id]);

      // The poll runs two hours later: it archives everything else and skips the alerts already sent.
      clock += 2 * 3600;
      const poll = recording();
      const second = await runCollector(sim, store, { since: T0, until: clock, windowSeconds: DAY });
      const live = await alertOnCollected(store, rules, second, [poll.sink], { maxAgeSeconds: DAY, now: () => new Date(clock * 1000) });
      expect(live.alreadySent).toBeGreaterThanOrEqual(1);
      expect(poll.got.map((a) => a.alert_id)).not.toContain(exportAlert.alert_id);
      // The one sent record is the webhook's (written when the notification came, not by the poll).
      const record = JSON.parse((await store.get(`alerts/workspace=${WS}/${exportAlert.alert_id}.json`)).toString('utf8'));
      expect(record).toMatchObject({ alert_id: exportAlert.alert_id, sent_at: new Date((exported.created_at + 5) * 1000).toISOString() });

      const result = await reconcileWebhook(store, WS, { from: START });
      expect(result.received).toBe(
        posted.length + later.length - [...posted, ...later].filter((p) => p.entry.created_at >= result.to).length,
      );
      expect(result.unmatched.map((u) => u.id)).toEqual([hidden.id]);
      expect(result.unmatched[0]!.received_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    } finally {
      await server.close();
    }
  });

  it('lets the webhook skip an alert the poll sent first, with the same alert_id', async () => {
    const store = new MemoryObjectStore();
    clock = START + DAY;
    const collected = await runCollector(sim, store, { since: T0, until: clock, windowSeconds: DAY });
    const poll = recording();
    await alertOnCollected(store, rules, collected, [poll.sink], { maxAgeSeconds: DAY, now: () => new Date(clock * 1000) });
    const sent = poll.got.find((a) => a.rule === 'any-export')!;
    expect(sent).toBeDefined();
    const entry = sim.workspace.entriesBetween(START, clock).find((e) => e.id === sent.entry_id)!;

    const hook = recording();
    const body = Buffer.from(JSON.stringify(notificationFor(WS, entry, entry.created_at, `notif_${entry.id}`)));
    const r = await receiveWebhook(
      { method: 'POST', headers: { 'x-hub-signature': hubSignature(body, SECRET) }, body },
      {
        secret: SECRET,
        apps: new Map([[WS, WS]]),
        store,
        alerts: { ruleSet: rules, sinks: [hook.sink], maxAgeSeconds: DAY },
        now: () => new Date(clock * 1000),
      },
    );
    expect(r).toMatchObject({ status: 200, outcome: 'received', sent: 0 });
    expect(r.alertIds).toContain(sent.alert_id);
    expect(hook.got.map((a) => a.alert_id)).not.toContain(sent.alert_id);
  });
});
