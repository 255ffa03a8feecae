import { describe, expect, it } from 'vitest';
import { CompactState, applyDelta, stateDelta, trackingFingerprint, trackingOf } from '../../../../lambdas/core/rules/state.ts';
import { parseRules } from '../../../../lambdas/core/rules/ruleset.ts';

const DAY = 86_400;
const rules = parseRules(
  'version: 1\nrules:\n  - { name: new-ip, severity: low, when: [ { new_ip: { days: 30 } } ] }\n  - { name: export-burst, severity: low, when: [ { burst: { group: data_exports, more_than: 2, hours: 1 } } ] }\n  - { name: joiner, severity: low, when: [ { export_by_new_joiner: { days: 10 } } ] }',
  'test.yaml',
);
const tracking = trackingOf(rules);

function fed(events: [string, number, string, string | null][]): CompactState {
  const state = new CompactState(tracking);
  for (const [who, t, type, ip] of events) state.observe(who, t, type, ip);
  return state;
}

describe('CompactState', () => {
  it('keeps only what the rules look back to: addresses for 30 days, joins for 10, exports for an hour', () => {
    const state = fed([
      ['7', 0, 'admin_login_success', '192.0.2.1'],
      ['7', 5 * DAY, 'app_admin_join', '192.0.2.2'],
      ['7', 20 * DAY, 'bulk_export', '192.0.2.2'],
      ['7', 20 * DAY + 600, 'bulk_export', '192.0.2.2'],
      ['8', 31 * DAY, 'admin_logout', null],
    ]);
    expect(state.serialize()).toEqual({
      max_time: 31 * DAY,
      ips: [['7', [['192.0.2.2', 20 * DAY + 600, 20 * DAY]]]],
      joined: [],
      bursts: [],
    });
  });

  it('answers by time, so an entry never sees one from its own second or later as seen before', () => {
    const state = fed([
      ['7', 100, 'admin_login_success', '192.0.2.1'],
      ['7', 200, 'admin_login_success', '192.0.2.1'],
    ]);
    expect(state.ipSeen('7', '192.0.2.1', 0, 200)).toBe(true); // the one at 100
    expect(state.ipSeen('7', '192.0.2.1', 150, 200)).toBe(false);
    expect(state.ipSeen('7', '192.0.2.1', 0, 100)).toBe(false);
  });

  it('is a function of the entries observed, not of their order', () => {
    const events: [string, number, string, string | null][] = Array.from({ length: 200 }, (_, i) => [
      String(i % 7),
      (i * 7919) % (40 * DAY),
      i % 3 ? 'bulk_export' : 'app_admin_join',
      `198.51.100.${i % 11}`,
    ]);
    const sorted = [...events].sort((a, b) => a[1] - b[1]);
    expect(fed(events).serialize()).toEqual(fed(sorted).serialize());
  });

  it('takes teammate ids and addresses such as __proto__ as plain data', () => {
    const state = fed([['__proto__', 10, 'admin_login_success', 'constructor']]);
    const again = new CompactState(tracking, JSON.parse(JSON.stringify(state.serialize())));
    expect(again.ipSeen('__proto__', 'constructor', 0, 11)).toBe(true);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('a delta holds only what changed, and laid over its base loads as the state it was taken from', () => {
    const state = fed([
      ['7', DAY, 'admin_login_success', '192.0.2.1'],
      ['8', DAY, 'app_admin_join', '192.0.2.8'],
      ['8', DAY + 60, 'bulk_export', '192.0.2.8'],
    ]);
    const before = state.serialize();
    state.observe('7', 2 * DAY, 'admin_login_success', '203.0.113.9');
    state.observe('8', 2 * DAY, 'bulk_export', '192.0.2.8');
    const after = state.serialize();
    const delta = stateDelta(before, after);
    expect(delta).toEqual({
      max_time: 2 * DAY,
      ips: [
        ['7', [['203.0.113.9', 2 * DAY, null]]],
        ['8', [['192.0.2.8', 2 * DAY, DAY + 60]]],
      ],
      joined: [],
      bursts: [['data_exports', [['8', [2 * DAY]]]]],
    });
    expect(new CompactState(tracking, applyDelta(before, delta)).serialize()).toEqual(after);
    // Entries leave only by pruning, which loading repeats.
    state.observe('9', 45 * DAY, 'admin_logout', '192.0.2.9');
    const later = state.serialize();
    expect(new CompactState(tracking, applyDelta(before, stateDelta(before, later))).serialize()).toEqual(later);
  });

  it('fingerprints what is tracked: another burst window is another state', () => {
    const other = parseRules(
      'version: 1\nrules:\n  - { name: export-burst, severity: low, when: [ { burst: { group: data_exports, more_than: 2, hours: 2 } } ] }',
      'o.yaml',
    );
    expect(trackingFingerprint(trackingOf(rules))).not.toBe(trackingFingerprint(trackingOf(other)));
    const same = parseRules(
      'version: 1\nrules:\n  - { name: all-three, severity: high, when: [ { new_ip: { days: 30 } }, { burst: { group: data_exports, more_than: 9, hours: 1 } }, { export_by_new_joiner: { days: 10 } } ] }',
      'p.yaml',
    );
    expect(trackingFingerprint(trackingOf(rules))).toBe(trackingFingerprint(trackingOf(same)));
  });
});
