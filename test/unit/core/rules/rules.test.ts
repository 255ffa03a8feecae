import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { backtest, isoWeek } from '../../../../lambdas/core/rules/backtest.ts';
import { type AlertSink, deliverAlerts } from '../../../../lambdas/core/rules/deliver.ts';
import { type Alert, type AlertEntry, RuleEvaluator, alertId } from '../../../../lambdas/core/rules/evaluate.ts';
import { alertOnCollected } from '../../../../lambdas/core/rules/liveAlerts.ts';
import { parseRules } from '../../../../lambdas/core/rules/ruleset.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';

const MONDAY_NOON = Date.UTC(2026, 0, 5, 12) / 1000; // Monday 2026-01-05 12:00 UTC
let n = 0;
function entry(overrides: Partial<AlertEntry> = {}): AlertEntry {
  n += 1;
  return {
    id: `e${n}`,
    workspace_id: 'ws',
    created_at: MONDAY_NOON,
    activity_type: 'admin_logout',
    performed_by_id: '7',
    performed_by_email: 'ana@acme.com',
    performed_by_ip: '192.0.2.7',
    metadata: null,
    ...overrides,
  };
}
const rules = (yaml: string) => parseRules(`version: 1\nrules:\n${yaml}`, 'test.yaml');
const fire = (evaluator: RuleEvaluator, e: AlertEntry) => evaluator.observe(e).map((a) => a.rule);

describe('rule predicates', () => {
  it('type_in_group: matches activity types of a named group', () => {
    const ev = new RuleEvaluator(rules('  - { name: exports, severity: high, when: [ { type_in_group: data_exports } ] }'));
    expect(fire(ev, entry({ activity_type: 'bulk_export' }))).toEqual(['exports']);
    expect(fire(ev, entry({ activity_type: 'admin_logout' }))).toEqual([]);
  });

  it('outside_business_hours: uses the time zone, the hours and the working days', () => {
    const ev = new RuleEvaluator(
      rules(
        '  - { name: night, severity: low, when: [ { outside_business_hours: { timezone: Asia/Tokyo, start: "09:00", end: "18:00" } } ] }',
      ),
    );
    expect(fire(ev, entry({ created_at: MONDAY_NOON }))).toEqual(['night']); // 21:00 in Tokyo
    expect(fire(ev, entry({ created_at: MONDAY_NOON - 6 * 3600 }))).toEqual([]); // 15:00 in Tokyo
    expect(fire(ev, entry({ created_at: MONDAY_NOON - 2 * DAY - 6 * 3600 }))).toEqual(['night']); // Saturday
  });

  it('new_ip: a sign-in from an address not seen for the teammate in N days', () => {
    const ev = new RuleEvaluator(rules('  - { name: new-ip, severity: low, when: [ { new_ip: { days: 30 } } ] }'));
    expect(fire(ev, entry({ activity_type: 'admin_login_success', created_at: MONDAY_NOON }))).toEqual(['new-ip']);
    expect(fire(ev, entry({ activity_type: 'admin_login_success', created_at: MONDAY_NOON + DAY }))).toEqual([]);
    expect(fire(ev, entry({ activity_type: 'admin_login_success', created_at: MONDAY_NOON + 40 * DAY }))).toEqual(['new-ip']);
    expect(fire(ev, entry({ activity_type: 'admin_logout', performed_by_ip: '198.51.100.1' }))).toEqual([]);
  });

  it('invite_outside_domains: an invite to a domain outside the allow-list (subdomains allowed)', () => {
    const ev = new RuleEvaluator(
      rules('  - { name: invite, severity: medium, when: [ { invite_outside_domains: { allow: [acme.com] } } ] }'),
    );
    const invite = (email: string) => entry({ activity_type: 'admin_invite_creation', metadata: JSON.stringify({ invitee_email: email }) });
    expect(fire(ev, invite('x@gmail.com'))).toEqual(['invite']);
    expect(fire(ev, invite('x@ACME.com'))).toEqual([]);
    expect(fire(ev, invite('x@eu.acme.com'))).toEqual([]);
    expect(fire(ev, invite('x@acme.com.evil.example'))).toEqual(['invite']);
  });

  it('export_by_new_joiner: a data export within N days of the teammate joining', () => {
    const ev = new RuleEvaluator(rules('  - { name: new-joiner, severity: high, when: [ { export_by_new_joiner: { days: 30 } } ] }'));
    expect(fire(ev, entry({ activity_type: 'app_data_export' }))).toEqual([]); // join unknown
    ev.observe(entry({ activity_type: 'app_admin_join', created_at: MONDAY_NOON + DAY }));
    expect(fire(ev, entry({ activity_type: 'app_data_export', created_at: MONDAY_NOON + 10 * DAY }))).toEqual(['new-joiner']);
    expect(fire(ev, entry({ activity_type: 'app_data_export', created_at: MONDAY_NOON + 40 * DAY }))).toEqual([]);
  });

  it('burst: more than N events of a group by one teammate within M hours', () => {
    const ev = new RuleEvaluator(
      rules('  - { name: burst, severity: critical, when: [ { burst: { group: data_exports, more_than: 2, hours: 1 } } ] }'),
    );
    const at = (minutes: number, who = '7') =>
      entry({ activity_type: 'bulk_export', created_at: MONDAY_NOON + minutes * 60, performed_by_id: who });
    expect(fire(ev, at(0))).toEqual([]);
    expect(fire(ev, at(10))).toEqual([]);
    expect(fire(ev, at(20, '8'))).toEqual([]); // another teammate
    expect(fire(ev, at(30))).toEqual(['burst']);
    expect(fire(ev, at(200))).toEqual([]); // the hour has passed
  });

  it('combines predicates with AND and explains each match', () => {
    const ev = new RuleEvaluator(
      rules('  - { name: both, severity: high, when: [ { type_in_group: data_exports }, { outside_business_hours: { timezone: UTC } } ] }'),
    );
    const [alert] = ev.observe(entry({ activity_type: 'app_data_export', created_at: MONDAY_NOON + 10 * 3600 }));
    expect(alert!.reasons).toEqual(['app_data_export is in group data_exports', 'outside business hours in UTC']);
    expect(ev.observe(entry({ activity_type: 'app_data_export', created_at: MONDAY_NOON }))).toEqual([]);
  });

  it('gives each (entry, rule) a stable id', () => {
    expect(alertId('ws', 'rule', 'e1')).toBe(alertId('ws', 'rule', 'e1'));
    expect(alertId('ws', 'rule', 'e1')).not.toBe(alertId('ws', 'rule2', 'e1'));
    expect(alertId('ws', 'rule', 'e1')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('rules file', () => {
  it('ships a default rule set covering exports, invites, permission escalations, security settings and staff impersonation', () => {
    const set = parseRules(
      readFileSync(new URL('../../../../rules/default-rules.yaml', import.meta.url), 'utf8'),
      'rules/default-rules.yaml',
    );
    const text = JSON.stringify(set.rules);
    for (const needle of ['data_exports', 'invite_outside_domains', 'permission_escalations', 'security_settings', 'staff_impersonation'])
      expect(text).toContain(needle);
    expect(set.horizonSeconds).toBe(90 * DAY);
  });

  it.each([
    [
      'an unknown predicate',
      '  - { name: r1, severity: low, when: [ { phase_of_moon: full } ] }',
      /rule 'r1' field when\.0: not a known predicate/,
    ],
    ['a bad severity', '  - { name: r2, severity: urgent, when: [ { type_in_group: data_exports } ] }', /rule 'r2' field severity/],
    [
      'an unknown group',
      '  - { name: r3, severity: low, when: [ { type_in_group: nope } ] }',
      /rule 'r3' field when\.0: unknown group 'nope'/,
    ],
    [
      'a bad time zone',
      '  - { name: r4, severity: low, when: [ { outside_business_hours: { timezone: Mars/Olympus } } ] }',
      /rule 'r4' field when\.0/,
    ],
    [
      'a duplicate name',
      '  - { name: r5, severity: low, when: [ { type_in_group: data_exports } ] }\n  - { name: r5, severity: low, when: [ { type_in_group: data_exports } ] }',
      /rule 'r5': the name is used twice/,
    ],
    ['no predicate', '  - { name: r6, severity: low, when: [] }', /rule 'r6' field when: give at least one predicate/],
    [
      'a bad domain',
      '  - { name: r7, severity: low, when: [ { invite_outside_domains: { allow: ["not a domain"] } } ] }',
      /rule 'r7' field when\.0/,
    ],
  ])('rejects %s, naming the rule and the field', (_name, yaml, message) => {
    expect(() => rules(yaml)).toThrow(ConfigurationError);
    expect(() => rules(yaml)).toThrow(message);
  });

  it.each([
    [
      'type_in_group: constructor',
      '  - { name: r1, severity: low, when: [ { type_in_group: constructor } ] }',
      /rule 'r1' field when\.0\.type_in_group: 'constructor' is a reserved name/,
    ],
    [
      'type_in_group: toString',
      '  - { name: r2, severity: low, when: [ { type_in_group: toString } ] }',
      /rule 'r2' field when\.0\.type_in_group: 'toString' is a reserved name/,
    ],
    [
      'type_in_group: __proto__',
      '  - { name: r3, severity: low, when: [ { type_in_group: __proto__ } ] }',
      /rule 'r3' field when\.0\.type_in_group: '__proto__' is a reserved name/,
    ],
    [
      'a burst over group prototype',
      '  - { name: r4, severity: low, when: [ { burst: { group: prototype, more_than: 1, hours: 1 } } ] }',
      /rule 'r4' field when\.0\.burst\.group: 'prototype' is a reserved name/,
    ],
    [
      'a rule named constructor',
      '  - { name: constructor, severity: low, when: [ { type_in_group: data_exports } ] }',
      /rule 'constructor' field name: 'constructor' is a reserved name/,
    ],
  ])('rejects an inherited name (%s) at validation, naming the rule and the field', (_name, yaml, message) => {
    expect(() => rules(yaml)).toThrow(ConfigurationError);
    expect(() => rules(yaml)).toThrow(message);
  });

  it.each([
    [
      'YAML',
      'x.yaml',
      'version: 1\ngroups:\n  __proto__: [admin_logout]\n  constructor: [admin_logout]\nrules:\n  - { name: r1, severity: low, when: [ { type_in_group: constructor } ] }\n',
    ],
    [
      'JSON',
      'x.json',
      '{"version":1,"groups":{"__proto__":["admin_logout"]},"rules":[{"name":"r1","severity":"low","when":[{"type_in_group":"__proto__"}]}]}',
    ],
  ])('rejects groups named __proto__ or constructor in %s, before they can reach an object', (_name, file, text) => {
    expect(() => parseRules(text, file)).toThrow(/groups\.__proto__: '__proto__' is a reserved name/);
  });

  it('rejects a file that is not YAML', () => {
    expect(() => parseRules('version: [1', 'x.yaml')).toThrow(/x\.yaml: not valid YAML/);
  });
});

describe('a rule predicate that fails on one entry', () => {
  it('skips that entry for that rule with the reason, and evaluates every other entry and rule', () => {
    const set = rules('  - { name: exports, severity: high, when: [ { type_in_group: data_exports } ] }');
    // A second rule naming a group that is not there (a rules file can no longer say that).
    const broken = { ...set, rules: [set.rules[0]!, { ...set.rules[0]!, name: 'broken', when: [{ type_in_group: 'missing' }] }] };
    const ev = new RuleEvaluator(broken);
    expect(fire(ev, entry({ activity_type: 'bulk_export' }))).toEqual(['exports']);
    expect(fire(ev, entry({ activity_type: 'bulk_export' }))).toEqual(['exports']);
    expect(ev.failureCount).toBe(2);
    expect(ev.failures[0]).toMatchObject({ rule: 'broken', reason: "Error: unknown group 'missing'" });
  });
});

describe('live alerts and backtests', () => {
  let sim: RunningSimulator;
  const store = new MemoryObjectStore();
  const set = parseRules(readFileSync(new URL('../../../../rules/default-rules.yaml', import.meta.url), 'utf8'), 'default-rules.yaml');
  const until = T0 + 20 * DAY;
  const sent: Alert[] = [];
  const sink = (channel: 'stdout' | 'file'): AlertSink => ({ channel, publish: async (alerts) => void sent.push(...alerts) });

  beforeAll(async () => {
    sim = await startSimulator({ now: () => until + 3600 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('gives identical matches live and in a backtest over the same entries, and a rerun sends nothing twice', async () => {
    const first = await runCollector(sim, store, { since: T0, until: T0 + 10 * DAY, windowSeconds: DAY });
    const second = await runCollector(sim, store, { until, windowSeconds: DAY });
    const options = { lookbackSeconds: 3600, maxAgeSeconds: 400 * DAY, now: () => new Date((until + 3600) * 1000) };
    const live1 = await alertOnCollected(store, set, first, [sink('stdout')], options);
    const live2 = await alertOnCollected(store, set, second, [sink('stdout')], options);
    expect(live1.sent + live2.sent).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(50);
    // The second evaluation starts after the alerts watermark the first one left (issue 21
    // replaced re-reading the lookback overlap): nothing is evaluated twice.
    expect(live2.watermark.before).toBe(first.headSeq);
    expect(live2.alreadySent).toBe(0);
    expect(new Set(sent.map((a) => a.alert_id)).size).toBe(sent.length);

    const { alerts } = await backtest(store, ['sim-acme'], set, T0, until);
    expect(alerts.map((a) => a.alert_id).sort()).toEqual(sent.map((a) => a.alert_id).sort());

    const again = await deliverAlerts(store, alerts, [sink('stdout')]);
    expect(again).toEqual({ sent: 0, alreadySent: alerts.length });
  });

  it('publishes an alert only to the channels its rule names', async () => {
    const only = parseRules(
      'version: 1\nrules:\n  - { name: exports-file-only, severity: low, notify: [file], when: [ { type_in_group: data_exports } ] }',
      'x.yaml',
    );
    const got: Record<string, number> = { stdout: 0, file: 0 };
    const counting = (channel: 'stdout' | 'file'): AlertSink => ({
      channel,
      publish: async (a) => {
        got[channel]! += a.length;
      },
    });
    const { alerts } = await backtest(store, ['sim-acme'], only, T0, T0 + DAY);
    await deliverAlerts(new MemoryObjectStore(), alerts, [counting('stdout'), counting('file')]);
    expect(got).toEqual({ stdout: 0, file: alerts.length });
  });

  it('counts alerts per ISO week', () => {
    expect(isoWeek('2026-01-05T12:00:00Z')).toBe('2026-W02');
    expect(isoWeek('2027-01-01T00:00:00Z')).toBe('2026-W53');
  });
});
