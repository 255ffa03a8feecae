import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AlertSink } from '../../../../lambdas/core/rules/deliver.ts';
import type { Alert } from '../../../../lambdas/core/rules/evaluate.ts';
import { parseRules } from '../../../../lambdas/core/rules/ruleset.ts';
import { MAX_WEBHOOK_BODY_BYTES } from '../../../../lambdas/core/webhook/notification.ts';
import { type WebhookReceiverDeps, receiveWebhook } from '../../../../lambdas/core/webhook/receive.ts';
import { hubSignature, verifyHubSignature } from '../../../../lambdas/core/webhook/signature.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';

const SECRET = 'client-secret-for-tests';
const FIXTURE = JSON.parse(readFileSync(new URL('../../../fixtures/intercom/webhook-activity-log.json', import.meta.url), 'utf8'));
const NOW = new Date('2026-03-01T12:00:05Z');
const RULES = parseRules(
  'version: 1\nrules:\n  - name: any-export\n    severity: high\n    when: [{ type_in_group: data_exports }]\n',
  'rules.yaml',
);

const notification = (patch: (n: any) => void = () => undefined) => {
  const n = structuredClone(FIXTURE);
  patch(n);
  return Buffer.from(JSON.stringify(n));
};
const signed = (body: Buffer, secret = SECRET) => ({ 'x-hub-signature': hubSignature(body, secret) });

function setup(extra: Partial<WebhookReceiverDeps> = {}) {
  const store = new MemoryObjectStore();
  const got: Alert[] = [];
  const sink: AlertSink = { channel: 'stdout', publish: async (alerts) => void got.push(...alerts) };
  const deps: WebhookReceiverDeps = {
    secret: SECRET,
    apps: new Map([['ws-hook', 'ws-hook']]),
    store,
    alerts: { ruleSet: RULES, sinks: [sink], maxAgeSeconds: 86_400 },
    now: () => NOW,
    ...extra,
  };
  const post = (body: Buffer, headers: Record<string, string> = signed(body)) => receiveWebhook({ method: 'POST', headers, body }, deps);
  return { store, got, deps, post };
}

describe('hub signatures', () => {
  it('accepts the sha1= HMAC of the exact bytes and nothing else', () => {
    const body = Buffer.from('{"a":1}');
    expect(verifyHubSignature(body, hubSignature(body, SECRET), SECRET)).toBe(true);
    expect(verifyHubSignature(body, hubSignature(body, SECRET).toUpperCase().replace('SHA1=', 'sha1='), SECRET)).toBe(true);
    expect(verifyHubSignature(Buffer.from('{"a": 1}'), hubSignature(body, SECRET), SECRET)).toBe(false);
    expect(verifyHubSignature(body, hubSignature(body, 'other'), SECRET)).toBe(false);
    expect(verifyHubSignature(body, hubSignature(body, SECRET).slice(0, -2), SECRET)).toBe(false);
    expect(verifyHubSignature(body, `sha256=${'0'.repeat(64)}`, SECRET)).toBe(false);
    expect(verifyHubSignature(body, undefined, SECRET)).toBe(false);
    expect(verifyHubSignature(body, hubSignature(body, ''), '')).toBe(false);
  });
});

describe('receiveWebhook()', () => {
  it('answers the HEAD validation with 200 and writes nothing', async () => {
    const { store, deps } = setup();
    const r = await receiveWebhook({ method: 'HEAD', headers: {}, body: Buffer.alloc(0) }, deps);
    expect(r).toMatchObject({ status: 200, outcome: 'validated' });
    expect(store.objects.size).toBe(0);
  });

  it('refuses other methods with 405', async () => {
    const { deps } = setup();
    expect((await receiveWebhook({ method: 'GET', headers: {}, body: Buffer.alloc(0) }, deps)).status).toBe(405);
  });

  it.each([
    ['a missing signature', {}],
    ['a signature with another secret', signed(notification(), 'guessed-secret')],
    ['a malformed signature', { 'x-hub-signature': 'sha1=not-hex' }],
    ['a sha256 signature', { 'x-hub-signature': `sha256=${'a'.repeat(64)}` }],
  ])('answers %s with 401, before reading the body', async (_what, headers) => {
    const { store, got, post } = setup();
    expect(await post(notification(), headers as Record<string, string>)).toMatchObject({ status: 401, outcome: 'unauthorized' });
    expect(store.objects.size).toBe(0);
    expect(got).toEqual([]);
  });

  it('answers a tampered body (one field changed after signing) with 401', async () => {
    const { store, post } = setup();
    const original = notification();
    const tampered = notification((n) => {
      n.data.item.activity_type = 'admin_login_success';
    });
    expect(await post(tampered, signed(original))).toMatchObject({ status: 401 });
    expect(store.objects.size).toBe(0);
  });

  it('answers a body over the limit with 413 even when it is signed, and a transport cut-off likewise', async () => {
    const { store, post, deps } = setup();
    const big = notification((n) => {
      n.data.item.metadata.padding = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES);
    });
    expect(await post(big)).toMatchObject({ status: 413, outcome: 'too-large' });
    const cut = await receiveWebhook({ method: 'POST', headers: signed(notification()), body: notification(), tooLarge: true }, deps);
    expect(cut.status).toBe(413);
    expect(store.objects.size).toBe(0);
  });

  it('ignores other topics with 200 (Intercom keeps the subscription healthy) and writes nothing', async () => {
    const { store, post } = setup();
    const ping = notification((n) => {
      n.topic = 'ping';
    });
    expect(await post(ping)).toMatchObject({ status: 200, outcome: 'ignored' });
    expect(store.objects.size).toBe(0);
  });

  it('refuses a signed notification for a workspace this receiver does not archive (wrong app_id) with 403', async () => {
    const { store, post } = setup();
    const other = notification((n) => {
      n.app_id = 'someone-else';
    });
    expect(await post(other)).toMatchObject({ status: 403, outcome: 'unknown-app' });
    expect(store.objects.size).toBe(0);
  });

  it('routes by app_id: the entry lands under the configured workspace, whatever the entry claims', async () => {
    const { store, post } = setup({ apps: new Map([['ws-hook', 'acme-eu']]) });
    const r = await post(notification());
    expect(r).toMatchObject({ status: 200, workspaceId: 'acme-eu' });
    expect(store.keys('webhook/')).toEqual(['webhook/workspace=acme-eu/dt=2026-03-01/1772366400-910001.json']);
    expect(store.keys('alerts/')[0]).toMatch(/^alerts\/workspace=acme-eu\/[0-9a-f]{32}\.json$/);
  });

  it.each(['../../manifests/workspace=ws-hook/000000000009', 'a/b', '910001.json%2F..', '', 'x'.repeat(129), 'id with space'])(
    'refuses an entry id that could leave its key prefix (%j) with 400 and writes nothing',
    async (id) => {
      const { store, got, post } = setup();
      const r = await post(
        notification((n) => {
          n.data.item.id = id;
        }),
      );
      expect(r).toMatchObject({ status: 400, outcome: 'rejected-entry' });
      expect(store.objects.size).toBe(0);
      expect(got).toEqual([]);
    },
  );

  it('refuses an entry from the future (more than 5 minutes ahead) with 400 and writes nothing', async () => {
    const { store, got, post } = setup();
    const r = await post(
      notification((n) => {
        n.data.item.created_at = NOW.getTime() / 1000 + 3600;
      }),
    );
    expect(r).toMatchObject({ status: 400, outcome: 'rejected-entry' });
    expect(store.objects.size).toBe(0);
    expect(got).toEqual([]);
  });

  it('answers signed bodies that are not notifications with 400', async () => {
    const { post } = setup();
    expect((await post(Buffer.from('not json'))).status).toBe(400);
    expect((await post(Buffer.from('{"type":"something"}'))).status).toBe(400);
    expect(
      (
        await post(
          notification((n) => {
            delete n.data;
          }),
        )
      ).status,
    ).toBe(400);
  });

  it('raises the alert at once, records the id create-only, and a replay of the same notification sends nothing again', async () => {
    const { store, got, post } = setup();
    const body = notification();
    const first = await post(body);
    expect(first).toMatchObject({ status: 200, outcome: 'received', sent: 1 });
    expect(got.map((a) => [a.rule, a.entry_id, a.workspace_id])).toEqual([['any-export', '910001', 'ws-hook']]);
    const record = JSON.parse(store.objects.get('webhook/workspace=ws-hook/dt=2026-03-01/1772366400-910001.json')!.toString());
    expect(record).toEqual({
      format: 'intercom-audit-archive/webhook-received/v1',
      workspace_id: 'ws-hook',
      id: '910001',
      created_at: 1772366400,
      activity_type: 'app_data_export',
      app_id: 'ws-hook',
      notification_id: 'notif_2b9f4c1e-0000-4000-8000-000000000001',
      received_at: NOW.toISOString(),
    });
    // No personal data in the record.
    expect(JSON.stringify(record)).not.toMatch(/ops@example\.com|203\.0\.113\.7/);
    const replay = await post(body);
    expect(replay).toMatchObject({ status: 200, outcome: 'duplicate' });
    expect(got).toHaveLength(1);
  });

  it('sends nothing live for an entry older than the max age (a replayed old notification), and still records it', async () => {
    const { store, got, post } = setup({ now: () => new Date('2026-03-05T00:00:00Z') });
    expect(await post(notification())).toMatchObject({ status: 200, outcome: 'received', sent: 0 });
    expect(got).toEqual([]);
    expect(store.keys('webhook/')).toHaveLength(1);
  });

  it('records an entry that fails validation without alerting (the poll quarantines it)', async () => {
    const { store, got, post } = setup();
    const r = await post(
      notification((n) => {
        delete n.data.item.activity_type;
      }),
    );
    expect(r).toMatchObject({ status: 200, outcome: 'quarantined' });
    expect(got).toEqual([]);
    expect(store.keys('webhook/')).toHaveLength(1);
    expect(store.keys('alerts/')).toEqual([]);
  });

  it('answers 500 and records nothing when a channel refuses, so Intercom retries and the retry delivers', async () => {
    const store = new MemoryObjectStore();
    let failing = true;
    const got: Alert[] = [];
    const sink: AlertSink = {
      channel: 'stdout',
      publish: async (alerts) => {
        if (failing) throw new Error('channel down');
        got.push(...alerts);
      },
    };
    const deps: WebhookReceiverDeps = {
      secret: SECRET,
      apps: new Map([['ws-hook', 'ws-hook']]),
      store,
      alerts: { ruleSet: RULES, sinks: [sink], maxAgeSeconds: 86_400 },
      now: () => NOW,
    };
    const body = notification();
    const req = { method: 'POST', headers: signed(body), body };
    expect(await receiveWebhook(req, deps)).toMatchObject({ status: 500, outcome: 'delivery-failed' });
    expect(store.objects.size).toBe(0);
    failing = false;
    expect(await receiveWebhook(req, deps)).toMatchObject({ status: 200, sent: 1 });
    expect(got).toHaveLength(1);
  });

  it('never puts the secret in an answer', async () => {
    const { post } = setup();
    const answers = [await post(notification(), {}), await post(Buffer.from('x')), await post(notification())];
    for (const a of answers) expect(JSON.stringify(a)).not.toContain(SECRET);
  });
});
