import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDeliveryError } from '../../../../lambdas/core/errors.ts';
import type { CollectResult } from '../../../../lambdas/core/collect/collect.ts';
import { sha256Hex } from '../../../../lambdas/core/archive/manifest.ts';
import { backtest } from '../../../../lambdas/core/rules/backtest.ts';
import type { AlertSink } from '../../../../lambdas/core/rules/deliver.ts';
import { type Alert, RuleEvaluator, archivedEntries } from '../../../../lambdas/core/rules/evaluate.ts';
import { type LiveAlertResult, alertOnCollected } from '../../../../lambdas/core/rules/liveAlerts.ts';
import { type Snapshot, type Watermark, latestWatermark, snapshotKey, watermarkKey } from '../../../../lambdas/core/rules/alertState.ts';
import { parseRules } from '../../../../lambdas/core/rules/ruleset.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { CountingObjectStore } from '../../../helpers/CountingObjectStore.ts';
import { DAY, T0, runCollector, simClient } from '../../../helpers/collecting.ts';
import { collect } from '../../../../lambdas/core/collect/collect.ts';

const WS = 'sim-acme';
const RULES_TEXT = readFileSync(new URL('../../../../rules/default-rules.yaml', import.meta.url), 'utf8');
const rules = parseRules(RULES_TEXT, 'default-rules.yaml');
const END = T0 + 30 * DAY;
const byId = (a: Alert, b: Alert) => (a.alert_id < b.alert_id ? -1 : a.alert_id > b.alert_id ? 1 : 0);
const iso = (t: number) => new Date(t * 1000).toISOString();

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ now: () => END + 3600 });
});
afterAll(async () => {
  await sim.close();
});

/** A channel that records what it was given, or throws like an unwritable alerts file. */
function channel(name: 'stdout' | 'file', failing: () => boolean) {
  const got: Alert[] = [];
  const sink: AlertSink = {
    channel: name,
    publish: async (alerts) => {
      if (failing()) throw Object.assign(new Error("EISDIR: illegal operation on a directory, open 'alerts'"), { code: 'EISDIR' });
      got.push(...alerts);
    },
  };
  return { sink, got };
}

/** One scheduled run: collect up to `until`, then live alerts with the clock just after it. */
async function run(
  store: MemoryObjectStore,
  until: number,
  sinks: AlertSink[],
  maxAgeSeconds: number,
  ruleSet = rules,
): Promise<{ collected: CollectResult; alerts: LiveAlertResult }> {
  const collected = await runCollector(sim, store, { since: T0, until, windowSeconds: DAY });
  const alerts = await alertOnCollected(store, ruleSet, collected, sinks, { maxAgeSeconds, now: () => new Date((until + 600) * 1000) });
  return { collected, alerts };
}

async function watermarkOf(store: MemoryObjectStore, headSeq: number): Promise<Watermark> {
  return (await latestWatermark(store, WS, headSeq))!.record!;
}

describe('live alerts: at least once, whatever happened to earlier runs', () => {
  it('delivers every alert of the windows whose delivery failed for 3 runs, within the max age, with the same alert_id', async () => {
    const store = new MemoryObjectStore();
    let failing = false;
    const stdout = channel('stdout', () => false);
    const file = channel('file', () => failing);
    const sinks = [stdout.sink, file.sink];
    let lastGood = -1;
    for (let day = 1; day <= 3; day += 1) lastGood = (await run(store, T0 + day * DAY, sinks, 3.5 * DAY)).collected.headSeq;
    failing = true;
    for (let day = 4; day <= 6; day += 1) {
      const attempt = run(store, T0 + day * DAY, sinks, 3.5 * DAY);
      await expect(attempt).rejects.toThrow(AlertDeliveryError);
      await expect(attempt).rejects.toThrow(
        /EISDIR.*the alerts watermark stays at manifest \d+, so the next run delivers these \d+ alerts/,
      );
      // The data is archived; the watermark does not move.
      expect(store.keys('manifests/').length).toBeGreaterThanOrEqual(day + 1);
      expect((await watermarkOf(store, Number.MAX_SAFE_INTEGER)).seq).toBe(lastGood);
    }
    failing = false;
    const last = await run(store, T0 + 7 * DAY, sinks, 3.5 * DAY);

    const cutoff = T0 + 7 * DAY + 600 - 3.5 * DAY;
    const { alerts: counted } = await backtest(store, [WS], rules, T0, T0 + 7 * DAY);
    const failedWindows = counted.filter((a) => Date.parse(a.time_utc) / 1000 >= T0 + 3 * DAY);
    const withinMaxAge = failedWindows.filter((a) => Date.parse(a.time_utc) / 1000 >= cutoff);
    expect(withinMaxAge.length).toBeGreaterThan(10);
    expect(last.alerts.tooOld).toBe(failedWindows.length - withinMaxAge.length);
    expect(last.alerts.tooOld).toBeGreaterThan(0);
    expect(last.alerts.watermark).toEqual({ before: lastGood, after: last.collected.headSeq });

    // The channel that failed got each alert exactly once; the one that worked got repeats (at least once).
    const expected = counted
      .filter((a) => Date.parse(a.time_utc) / 1000 < T0 + 3 * DAY || Date.parse(a.time_utc) / 1000 >= cutoff)
      .sort(byId);
    expect([...file.got].sort(byId)).toEqual(expected);
    // (It also got, while the other failed, alerts that were then within the max age and are not any more.)
    const onStdout = new Set(stdout.got.map((a) => a.alert_id));
    for (const alert of expected) expect(onStdout.has(alert.alert_id)).toBe(true);
    expect(stdout.got.length).toBeGreaterThan(onStdout.size);
    for (const alert of stdout.got) expect(alert).toEqual(counted.find((a) => a.alert_id === alert.alert_id));
  });

  it('a run with nothing archived after the watermark sends nothing and writes nothing', async () => {
    const store = new MemoryObjectStore();
    const out = channel('stdout', () => false);
    const first = await run(store, T0 + 2 * DAY, [out.sink], 400 * DAY);
    const puts = store.puts;
    const again = await alertOnCollected(store, rules, first.collected, [out.sink], {
      maxAgeSeconds: 400 * DAY,
      now: () => new Date((T0 + 2 * DAY + 900) * 1000),
    });
    expect(again).toMatchObject({
      from: null,
      matches: 0,
      sent: 0,
      watermark: { before: first.collected.headSeq, after: first.collected.headSeq },
    });
    expect(store.puts).toBe(puts);
  });
});

describe('live alerts from snapshots', () => {
  let store: MemoryObjectStore;
  const out = channel('stdout', () => false);
  const results: LiveAlertResult[] = [];

  beforeAll(async () => {
    store = new MemoryObjectStore();
    // A run every 6 hours for 24 days: a snapshot each UTC day, each run starting from one.
    for (let until = T0 + 6 * 3600; until <= T0 + 24 * DAY; until += 6 * 3600)
      results.push((await run(store, until, [out.sink], 400 * DAY)).alerts);
  });

  it('equal the backtest over the same history, alert for alert', async () => {
    const { alerts } = await backtest(store, [WS], rules, T0, T0 + 24 * DAY);
    expect(alerts.length).toBeGreaterThan(100);
    expect([...out.got].sort(byId)).toEqual([...alerts].sort(byId));
    // One snapshot per UTC day the runs saw (the clock is 10 minutes after each run's window).
    expect(results.filter((r) => r.snapshot.written).length).toBe(25);
    expect(results.filter((r) => r.snapshot.used).length).toBe(results.length - 1);
    expect(results.every((r) => r.notes.length === 0)).toBe(true);
  });

  it('a run reads the watermark, the snapshot it names and the new parts, not every part since the snapshot', async () => {
    // The day's snapshot was written at T0 + 24 d; one more run, then the measured one.
    await run(store, T0 + 24 * DAY + 6 * 3600, [out.sink], 400 * DAY);
    const until = T0 + 24 * DAY + 12 * 3600;
    const collected = await runCollector(sim, store, { until, windowSeconds: DAY });
    const counting = new CountingObjectStore(store);
    const live = await alertOnCollected(counting, rules, collected, [out.sink], {
      maxAgeSeconds: 400 * DAY,
      now: () => new Date((until + 600) * 1000),
    });
    expect(live.snapshot.used).not.toBeNull();
    const head = JSON.parse(
      (await store.get(`manifests/workspace=${WS}/${String(collected.headSeq).padStart(12, '0')}.json`)).toString(),
    ) as { parts: unknown[] };
    const counts = counting.take();
    // 1 LIST + 1 GET watermark, 1 GET snapshot, 1 GET for the manifest the snapshot names, the head and its parts;
    // then per alert a HEAD and a PUT, and the new watermark.
    expect(counts).toEqual({
      list: 1,
      get: 4 + head.parts.length,
      head: live.matches,
      put: live.sent + 1,
      total: 5 + head.parts.length + live.matches + live.sent + 1,
    });
  });

  it('each snapshot holds exactly the state rebuilt from the archive through its manifest', async () => {
    for (const key of store.keys(`alerts/workspace=${WS}/state/`).filter((_, i) => i % 6 === 5)) {
      const snapshot = JSON.parse((await store.get(key)).toString()) as Snapshot;
      const rebuilt = new RuleEvaluator(rules);
      for await (const entry of archivedEntries(store, WS, T0, snapshot.checkpoint)) rebuilt.observe(entry, false);
      expect(rebuilt.exportState()).toEqual(snapshot.state);
    }
  });
});

describe('live alerts: records that do not verify are ignored', () => {
  const DAYS = 12;

  /** Ten days of runs every 12 hours, then whatever `tamper` does, then two more days. */
  async function scenario(
    tamper: (store: MemoryObjectStore, headSeq: number, until: number) => Promise<void> | void,
    ruleSet = rules,
    tamperAt = T0 + 10 * DAY,
  ) {
    const store = new MemoryObjectStore();
    const out = channel('stdout', () => false);
    let head = 0;
    for (let until = T0 + DAY / 2; until <= tamperAt; until += DAY / 2)
      head = (await run(store, until, [out.sink], 400 * DAY)).collected.headSeq;
    await tamper(store, head, tamperAt);
    const after: LiveAlertResult[] = [];
    for (let until = tamperAt + DAY / 2; until <= T0 + DAYS * DAY; until += DAY / 2)
      after.push((await run(store, until, [out.sink], 400 * DAY, ruleSet)).alerts);
    const { alerts } = await backtest(store, [WS], ruleSet, T0, T0 + DAYS * DAY);
    return { store, got: out.got, after, alerts };
  }

  /** A state that would silence every sign-in-from-new-ip alert of the next days. */
  async function silencingState(_store: MemoryObjectStore, state: Snapshot['state'], from: number): Promise<Snapshot['state']> {
    const ips = new Map(
      state.ips.map(([who, list]) => [who, new Map(list.map(([ip, last, before]) => [ip, [last, before] as [number, number | null]]))]),
    );
    for (const entry of sim.workspace.entriesBetween(from, T0 + DAYS * DAY)) {
      const who = String(entry.performed_by.id);
      const mine = ips.get(who) ?? new Map();
      mine.set(entry.performed_by.ip, [state.max_time!, null]);
      ips.set(who, mine);
    }
    return { ...state, ips: [...ips].map(([who, mine]) => [who, [...mine].map(([ip, [last, before]]) => [ip, last, before])]) };
  }

  const newIp = (alerts: Alert[]) =>
    alerts.filter((a) => a.rule === 'sign-in-from-new-ip' && Date.parse(a.time_utc) / 1000 >= T0 + 10 * DAY).length;

  it('ignores a snapshot changed after it was written (the watermark recorded other bytes) and still raises every alert', async () => {
    const { got, after, alerts } = await scenario(async (store, head) => {
      const ref = (await watermarkOf(store, head)).snapshot!;
      const snapshot = JSON.parse((await store.get(ref.key)).toString()) as Snapshot;
      store.tamper.set(
        ref.key,
        Buffer.from(JSON.stringify({ ...snapshot, state: await silencingState(store, snapshot.state, snapshot.checkpoint) })),
      );
    });
    expect(after[0]!.snapshot.ignored).toMatch(/bytes are not the ones the watermark recorded/);
    expect(after[0]!.notes.join('\n')).toMatch(/ignored, the state is rebuilt from the archive/);
    expect(newIp(alerts)).toBeGreaterThan(0);
    expect([...got].sort(byId)).toEqual([...alerts].sort(byId));
  });

  it('ignores a snapshot whose link to the chain does not verify, even with a watermark rewritten to name it', async () => {
    const { got, after, alerts } = await scenario(async (store, head) => {
      const key = watermarkKey(WS, (await watermarkOf(store, head)).seq);
      const watermark = JSON.parse((await store.get(key)).toString()) as Watermark;
      const snapshot = JSON.parse((await store.get(watermark.snapshot!.key)).toString()) as Snapshot;
      // Claims to be computed through the head, so the days since the real snapshot would be skipped.
      const forged = Buffer.from(
        JSON.stringify({
          ...snapshot,
          seq: watermark.seq,
          manifest_sha256: 'f'.repeat(64),
          state: await silencingState(store, snapshot.state, snapshot.checkpoint),
        }),
      );
      const forgedKey = snapshotKey(WS, '2025-03-20');
      store.tamper.set(forgedKey, forged);
      store.tamper.set(
        key,
        Buffer.from(JSON.stringify({ ...watermark, snapshot: { key: forgedKey, sha256: sha256Hex(forged), seq: watermark.seq } })),
      );
    });
    expect(after[0]!.snapshot.ignored).toMatch(/link to the chain does not verify/);
    expect(newIp(alerts)).toBeGreaterThan(0);
    expect([...got].sort(byId)).toEqual([...alerts].sort(byId));
  });

  it('never uses a snapshot no watermark names (one put under a later day)', async () => {
    const { got, after, alerts } = await scenario(async (store, head) => {
      const ref = (await watermarkOf(store, head)).snapshot!;
      const snapshot = JSON.parse((await store.get(ref.key)).toString()) as Snapshot;
      const chainHead = JSON.parse((await store.get(`manifests/workspace=${WS}/${String(head).padStart(12, '0')}.json`)).toString()) as {
        checkpoint: number;
      };
      const forged = {
        ...snapshot,
        seq: head,
        manifest_sha256: sha256Hex(await store.get(`manifests/workspace=${WS}/${String(head).padStart(12, '0')}.json`)),
        checkpoint: chainHead.checkpoint,
        state: await silencingState(store, snapshot.state, snapshot.checkpoint),
      };
      store.tamper.set(snapshotKey(WS, iso(T0 + 11 * DAY).slice(0, 10)), Buffer.from(JSON.stringify(forged)));
    });
    expect(after.every((r) => r.snapshot.used !== snapshotKey(WS, iso(T0 + 11 * DAY).slice(0, 10)))).toBe(true);
    expect(after.some((r) => /already exists and is not the one this run computed/.test(r.notes.join('\n')))).toBe(true);
    expect(newIp(alerts)).toBeGreaterThan(0);
    expect([...got].sort(byId)).toEqual([...alerts].sort(byId));
  });

  it('ignores a watermark whose link does not verify: entries within the max age are evaluated again and nothing is sent twice', async () => {
    const { got, after, alerts } = await scenario(async (store, head) => {
      const key = watermarkKey(WS, (await watermarkOf(store, head)).seq);
      const watermark = JSON.parse((await store.get(key)).toString()) as Watermark;
      store.tamper.set(key, Buffer.from(JSON.stringify({ ...watermark, manifest_sha256: '0'.repeat(64) })));
    });
    expect(after[0]!.notes.join('\n')).toMatch(/alerts watermark .* ignored: its link to the chain does not verify/);
    expect(after[0]!.alreadySent).toBeGreaterThan(0);
    expect([...got].sort(byId)).toEqual([...alerts].sort(byId));
  });

  it('without the changes in the watermark, reads the snapshot and every part listed after it, with the same alerts', async () => {
    const { got, after, alerts } = await scenario(
      async (store, head) => {
        const key = watermarkKey(WS, (await watermarkOf(store, head)).seq);
        const watermark = JSON.parse((await store.get(key)).toString()) as Watermark;
        expect(watermark.snapshot!.seq).toBeLessThan(watermark.seq);
        store.tamper.set(key, Buffer.from(JSON.stringify({ ...watermark, state_delta: null })));
      },
      rules,
      T0 + 10.5 * DAY,
    );
    expect(after[0]!.snapshot.used).not.toBeNull();
    expect(after[0]!.notes).toEqual([]);
    expect([...got].sort(byId)).toEqual([...alerts].sort(byId));
  });

  it('rebuilds the state when the rules track something else than the snapshot', async () => {
    const longer = parseRules(RULES_TEXT.replace('more_than: 5, hours: 1', 'more_than: 5, hours: 2'), 'changed.yaml');
    const { after } = await scenario(() => undefined, longer);
    expect(after[0]!.snapshot.ignored).toMatch(/computed for other rules/);
    // That day's key is taken by the old snapshot: the next day gets one for the new rules.
    expect(after[1]!.snapshot.written).not.toBeNull();
    expect(after[2]!.snapshot.used).toBe(after[1]!.snapshot.written);
  });
});

describe('live alerts with entries archived late', () => {
  it('evaluates every late entry when it arrives: rules that need no history equal the backtest, nothing is sent twice', async () => {
    let clock = T0;
    const late = await startSimulator({ faults: { lateShare: 0.1, lateDelaySeconds: 1800 }, now: () => clock });
    try {
      const store = new MemoryObjectStore();
      const out = channel('stdout', () => false);
      let lateEntries = 0;
      for (let until = T0 + 3600; until <= T0 + 2 * DAY; until += 3600) {
        clock = until + 600;
        const collected = await collect(simClient(late), store, {
          workspaceId: WS,
          since: T0,
          until,
          windowSeconds: DAY,
          runId: 'run-late',
          collectorVersion: 'test',
        });
        lateEntries += collected.lateEntries;
        await alertOnCollected(store, rules, collected, [out.sink], { maxAgeSeconds: 400 * DAY, now: () => new Date(clock * 1000) });
      }
      expect(lateEntries).toBeGreaterThan(20);
      expect(new Set(out.got.map((a) => a.alert_id)).size).toBe(out.got.length);
      const { alerts } = await backtest(store, [WS], rules, T0, T0 + 2 * DAY);
      const stateless = new Set([
        'security-setting-changed',
        'intercom-staff-impersonation',
        'invite-outside-company',
        'data-export-outside-hours',
      ]);
      const only = (list: Alert[]) => list.filter((a) => stateless.has(a.rule)).sort(byId);
      expect(only(alerts).length).toBeGreaterThan(5);
      expect(only(out.got)).toEqual(only(alerts));
    } finally {
      await late.close();
    }
  });
});
