import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KNOWN_ACTIVITY_TYPES } from '../../lambdas/core/intercom/activityTypes.ts';
import { REGION_HOSTS } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import { SimulatedWorkspace, UNKNOWN_TYPES } from '../../simulator/dataset.ts';
import { parseFaults } from '../../simulator/faults.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';

const fixture = (name: string) => new URL(`../fixtures/intercom/${name}`, import.meta.url);
const example = JSON.parse(readFileSync(fixture('example-response.json'), 'utf8')) as Record<string, any>;
const openapi = parseYaml(readFileSync(fixture('activity-logs.openapi.yaml'), 'utf8')) as Record<string, any>;
const DAY = 86_400;
const T0 = Date.UTC(2025, 2, 3) / 1000;

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function get(path: string, token?: string) {
  sim ??= await startSimulator({ now: () => T0 + 90 * DAY });
  const response = await fetch(`${sim.url}${path}`, { headers: { Authorization: `Bearer ${token ?? sim.token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

describe('simulator contract', () => {
  it('answers with the same envelope and entry shape as the official example response', async () => {
    const { status, body } = await get(`/admins/activity_logs?created_at_after=${T0}&created_at_before=${T0 + DAY}`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(Object.keys(example).sort());
    expect(body.type).toBe(example.type);
    expect(Object.keys(body.pages).sort()).toEqual(Object.keys(example.pages).sort());
    const entry = body.activity_logs[0];
    const sample = example.activity_logs[0];
    expect(Object.keys(entry).sort()).toEqual(Object.keys(sample).sort());
    for (const key of Object.keys(sample)) expect([key, typeOf(entry[key])]).toEqual([key, typeOf(sample[key])]);
    expect(Object.keys(entry.performed_by).sort()).toEqual(Object.keys(sample.performed_by).sort());
  });

  it('serves only fields the OpenAPI activity_log schema declares, with its types', async () => {
    const schema = openapi.components.schemas.activity_log;
    const { body } = await get(`/admins/activity_logs?created_at_after=${T0}&created_at_before=${T0 + 3 * DAY}`);
    for (const entry of body.activity_logs) {
      for (const key of Object.keys(entry)) expect(Object.keys(schema.properties)).toContain(key);
      for (const key of Object.keys(entry.performed_by)) expect(Object.keys(schema.properties.performed_by.properties)).toContain(key);
      expect(Number.isInteger(entry.created_at)).toBe(true);
      expect(typeof entry.id).toBe('string');
    }
  });

  it("answers a wrong token with the spec's 401 error.list", async () => {
    const { status, body } = await get(`/admins/activity_logs?created_at_after=${T0}`, 'nope');
    const spec = openapi.paths['/admins/activity_logs'].get.responses['401'].content['application/json'].examples.Unauthorized.value;
    expect(status).toBe(401);
    expect(body.type).toBe(spec.type);
    expect(body.errors).toEqual(spec.errors);
    expect(typeof body.request_id).toBe('string');
  });

  it('requires created_at_after, answering in the error.list shape', async () => {
    const { status, body } = await get('/admins/activity_logs?created_at_before=5');
    expect(status).toBe(400);
    expect(body.type).toBe('error.list');
    for (const required of openapi.components.schemas.error.required) expect(body).toHaveProperty(required);
    expect(body.errors[0].code).toBe('parameter_not_found');
  });

  it('treats both bounds as inclusive', async () => {
    const ws = new SimulatedWorkspace();
    const sample = ws.entriesBetween(T0, T0 + DAY)[10]!;
    const { body } = await get(
      `/admins/activity_logs?created_at_after=${sample.created_at}&created_at_before=${sample.created_at}&per_page=250`,
    );
    expect(body.activity_logs.map((e: { id: string }) => e.id)).toContain(sample.id);
    expect(body.activity_logs.every((e: { created_at: number }) => e.created_at === sample.created_at)).toBe(true);
  });

  it('pages with page/per_page up to 250 and a full-URL pages.next, with rate-limit headers', async () => {
    const first = await get(`/admins/activity_logs?created_at_after=${T0}&created_at_before=${T0 + 5 * DAY}&per_page=999`);
    expect(first.body.pages.per_page).toBe(250);
    expect(first.body.activity_logs).toHaveLength(250);
    expect(first.body.pages.next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admins\/activity_logs\?.*page=2/);
    for (const header of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
      expect(first.headers.get(header)).toMatch(/^\d+$/);
    const second = await get(new URL(first.body.pages.next).pathname + new URL(first.body.pages.next).search);
    expect(second.body.pages.page).toBe(2);
    expect(second.body.activity_logs[0].id).not.toBe(first.body.activity_logs[0].id);
  });

  it('returns the workspace from GET /me', async () => {
    const { body } = await get('/me');
    expect(body.app.id_code).toBe('sim-acme');
  });
});

describe('SimulatedWorkspace', () => {
  const ws = new SimulatedWorkspace();
  const year = ws.entriesBetween(ws.historyStart, ws.historyStart + 365 * DAY);

  it('is deterministic: a new instance serves the same history', () => {
    const again = new SimulatedWorkspace().entriesBetween(T0, T0 + 2 * DAY);
    expect(again).toEqual(ws.entriesBetween(T0, T0 + 2 * DAY));
  });

  it('has unique ids and realistic volume', () => {
    expect(new Set(year.map((e) => e.id)).size).toBe(year.length);
    expect(year.length).toBeGreaterThan(300 * 365 * 0.8);
  });

  it('covers the known activity types and a few unknown ones', () => {
    const types = new Set(year.map((e) => e.activity_type));
    expect(KNOWN_ACTIVITY_TYPES.filter((t) => types.has(t)).length).toBeGreaterThanOrEqual(110);
    expect(UNKNOWN_TYPES.some((t) => types.has(t))).toBe(true);
  });

  it('has plenty of exports, invites, joins, provisioning, permission and security changes', () => {
    const count = (type: string) => year.filter((e) => e.activity_type === type).length;
    for (const type of [
      'app_data_export',
      'bulk_export',
      'admin_permission_change',
      'security_settings_change',
      'admin_impersonation_start',
    ])
      expect(count(type)).toBeGreaterThan(20);
    for (const type of ['admin_invite_creation', 'app_admin_join', 'admin_provisioned', 'admin_deprovisioned'])
      expect(count(type)).toBeGreaterThan(2);
  });

  it('has more than 250 entries in a single second at least once', () => {
    const perSecond = new Map<number, number>();
    for (const e of year) perSecond.set(e.created_at, (perSecond.get(e.created_at) ?? 0) + 1);
    expect([...perSecond.values()].reduce((a, b) => Math.max(a, b), 0)).toBeGreaterThan(250);
  });

  it('has dozens of teammates with names, e-mails and IPs', () => {
    expect(ws.teammates.length).toBeGreaterThanOrEqual(24);
    for (const t of ws.teammates) {
      expect(t.email).toMatch(/@/);
      expect(t.ips.length).toBeGreaterThan(0);
    }
  });
});

describe('simulator faults', () => {
  it('hides late entries until their delay has passed', async () => {
    let now = T0 + DAY;
    sim = await startSimulator({ now: () => now, faults: { lateShare: 0.2, lateDelaySeconds: 3600 } });
    const all = sim.workspace.entriesBetween(T0, T0 + DAY);
    const early = sim.visibleBetween(T0, T0 + DAY);
    expect(early.length).toBeLessThan(all.length);
    now = T0 + 2 * DAY;
    sim.setNow(() => now);
    expect(sim.visibleBetween(T0, T0 + DAY)).toHaveLength(all.length);
  });

  it('answers 500 for ranges wider than the wide-window limit', async () => {
    sim = await startSimulator({ now: () => T0 + 90 * DAY, faults: { wide500Days: 7 } });
    const wide = await fetch(`${sim.url}/admins/activity_logs?created_at_after=${T0}&created_at_before=${T0 + 8 * DAY}`, {
      headers: { Authorization: `Bearer ${sim.token}` },
    });
    const narrow = await fetch(`${sim.url}/admins/activity_logs?created_at_after=${T0}&created_at_before=${T0 + 6 * DAY}`, {
      headers: { Authorization: `Bearer ${sim.token}` },
    });
    expect([wide.status, narrow.status]).toEqual([500, 200]);
  });

  it('enforces its per-window budget with 429', async () => {
    sim = await startSimulator({ now: () => T0 + 90 * DAY, faults: { budget: 3, rateWindowSeconds: 60 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${sim.url}/me`, { headers: { Authorization: `Bearer ${sim.token}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('parses the --faults flag and names a wrong switch', () => {
    expect(parseFaults('5xx=0.1,late=0.02:600,ignore-per-page,latency=150')).toMatchObject({
      error5xx: 0.1,
      lateShare: 0.02,
      lateDelaySeconds: 600,
      ignorePerPage: true,
      latencyMs: 150,
    });
    expect(() => parseFaults('explode=1')).toThrow(ConfigurationError);
    expect(() => parseFaults('explode=1')).toThrow(/unknown switch 'explode'/);
    expect(() => parseFaults('5xx=2')).toThrow(/error5xx/);
  });

  it('serves the OpenAPI servers as the client regions', () => {
    expect(openapi.servers.map((s: { url: string }) => s.url)).toEqual(Object.values(REGION_HOSTS));
  });
});
