/**
 * The collector's parts, each tested on its own with the in-memory source and store (no HTTP):
 * settings, the range fetcher, the chain writer, the archived-state reader, found parts, the
 * seen-set, and collect() over them.
 */
import { describe, expect, it } from 'vitest';
import { findHead, readManifest } from '../../../../lambdas/core/archive/chain.ts';
import { dataKey, utcDate } from '../../../../lambdas/core/archive/keys.ts';
import { PartWriter } from '../../../../lambdas/core/archive/PartWriter.ts';
import { toArchiveLineOrReason } from '../../../../lambdas/core/archive/lines.ts';
import { collect } from '../../../../lambdas/core/collect/collect.ts';
import { ChainWriter } from '../../../../lambdas/core/collect/ChainWriter.ts';
import { RangeFetcher } from '../../../../lambdas/core/collect/RangeFetcher.ts';
import { RunCounters } from '../../../../lambdas/core/collect/RunCounters.ts';
import { SeenSet } from '../../../../lambdas/core/collect/SeenSet.ts';
import { archivedIn, quarantineKeysIn } from '../../../../lambdas/core/collect/archivedState.ts';
import { findUnlistedParts } from '../../../../lambdas/core/collect/foundParts.ts';
import { COLLECT_DEFAULTS, durationText, resolveSettings } from '../../../../lambdas/core/collect/settings.ts';
import { collectorEnvSchema } from '../../../../lambdas/handlers/collectorConfig.ts';
import type { ActivityLog } from '../../../../lambdas/core/intercom/schema.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { MemorySource, spreadEntries } from '../../../helpers/MemorySource.ts';
import { archivedLines, duplicateIds } from '../../../helpers/archive.ts';

const DAY = 86_400;
const T0 = Date.UTC(2025, 2, 3) / 1000;
const base = { workspaceId: 'ws-memory', runId: 'run-test', collectorVersion: '0.0.0-test', now: () => new Date((T0 + 60 * DAY) * 1000) };

describe('resolveSettings()', () => {
  it('applies the defaults defined once, and never lets the smallest range exceed the window', () => {
    const s = resolveSettings({ ...base, until: T0 });
    expect([s.windowSeconds, s.minRangeSeconds, s.lookbackSeconds, s.concurrency]).toEqual([5 * DAY, 900, 3600, 32]);
    expect(resolveSettings({ ...base, until: T0, windowSeconds: 600 }).minRangeSeconds).toBe(600);
    expect(resolveSettings({ ...base, until: T0, concurrency: 0 }).concurrency).toBe(1);
    expect(() => resolveSettings({ ...base, until: T0, concurrency: Number.NaN })).toThrow(/concurrency must be a number of ranges/);
  });

  it('refuses a workspace id that is not an Intercom id_code before anything is read', () => {
    expect(() => resolveSettings({ ...base, workspaceId: '../x', until: T0 })).toThrow(/workspace id '..\/x' is not valid/);
  });

  it('is the default the Lambda environment and the CLI options read', () => {
    const env = collectorEnvSchema.parse({ ARCHIVE_BUCKET: 'bucket', WORKSPACES: '[{"id":"a","region":"us","secretId":"s"}]' });
    expect([env.WINDOW_SECONDS, env.LOOKBACK_SECONDS, env.SETTLE_LAG_SECONDS]).toEqual([
      COLLECT_DEFAULTS.windowSeconds,
      COLLECT_DEFAULTS.lookbackSeconds,
      COLLECT_DEFAULTS.settleLagSeconds,
    ]);
    expect([5 * DAY, 900, 3600, 600, 90].map(durationText)).toEqual(['5d', '15m', '1h', '10m', '90s']);
  });
});

describe('RangeFetcher', () => {
  const settings = { windowSeconds: 4 * DAY, minRangeSeconds: DAY, concurrency: 1, until: T0 + 8 * DAY, observer: {} };

  it('covers a window in ranges with a second of margin, and records each range it completed', async () => {
    const source = new MemorySource(spreadEntries('e', T0, T0 + 2 * DAY, 600), { perPage: 250 });
    const counters = new RunCounters();
    const ranges: [number, number][] = [];
    let served = 0;
    for await (const page of new RangeFetcher(source, settings, counters).pagesCovering(T0, T0 + 2 * DAY, ranges))
      served += page.entries.length;
    expect(served).toBe(600);
    expect(counters.pages).toBe(3);
    expect(ranges).toEqual([[T0 - 1, T0 + 2 * DAY + 1]]);
  });

  it('halves its span on repeated 5xx down to the minimum, and says so once per halving', async () => {
    const warnings: string[] = [];
    const source = new MemorySource(spreadEntries('e', T0, T0 + 4 * DAY, 100), { failWiderThan: DAY + 2 });
    const fetcher = new RangeFetcher(source, { ...settings, observer: { onWarning: (m) => warnings.push(m) } }, new RunCounters());
    const ranges: [number, number][] = [];
    const served = new Set<string>();
    for await (const page of fetcher.pagesCovering(T0, T0 + 4 * DAY, ranges)) for (const e of page.entries) served.add(e.id);
    expect(served.size).toBe(100);
    expect(fetcher.span).toBe(DAY);
    expect(ranges).toHaveLength(4);
    expect(warnings).toEqual([expect.stringContaining('asking in ranges of 2 d'), expect.stringContaining('asking in ranges of 1 d')]);
    // Above the minimum a range gives up early (2 retries); at the minimum the client's own retries apply.
    expect(source.requests[0]?.options).toEqual({ maxServerRetries: 2 });
    expect(source.requests.at(-1)?.options).toEqual({});
  });

  it('fails at the minimum span instead of halving forever', async () => {
    const source = new MemorySource([], { failWiderThan: 10 });
    const fetcher = new RangeFetcher(source, settings, new RunCounters());
    await expect(async () => {
      for await (const _ of fetcher.pagesCovering(T0, T0 + DAY, [])) void _;
    }).rejects.toThrow(/Intercom kept failing/);
  });

  it('prefetches the next windows with concurrency and serves the same pages', async () => {
    const source = new MemorySource(spreadEntries('e', T0, T0 + 8 * DAY, 300));
    const fetcher = new RangeFetcher(source, { ...settings, windowSeconds: 2 * DAY, concurrency: 3 }, new RunCounters());
    const ids: string[] = [];
    for (let from = T0; from < T0 + 8 * DAY; from += 2 * DAY) {
      for await (const page of fetcher.pagesCovering(from, from + 2 * DAY, [])) ids.push(...page.entries.map((e) => e.id));
    }
    expect(new Set(ids).size).toBe(300);
    // Each range asked for once: the next windows' were asked for before the first window's pages were read.
    expect(source.requests.map((r) => r.range.after).sort()).toEqual([T0 - 1, T0 + 2 * DAY - 1, T0 + 4 * DAY - 1, T0 + 6 * DAY - 1]);
    expect(source.requests[0]?.range.after).not.toBe(T0 - 1);
  });
});

describe('ChainWriter', () => {
  const source = new MemorySource([]);
  const settings = resolveSettings({ ...base, until: T0 + DAY });

  it('writes a genesis at the start and window manifests that chain by hash and move the checkpoint', async () => {
    const store = new MemoryObjectStore();
    const chain = await ChainWriter.genesis(source, store, settings, T0);
    expect(chain.head.manifest).toMatchObject({ seq: 0, kind: 'genesis', from: T0, to: T0, origin: T0, checkpoint: T0, prev_sha256: null });
    const empty = {
      parts: [],
      quarantineParts: [],
      rejected: [],
      conflicts: [],
      adoptedParts: 0,
      ranges: [[T0 - 1, T0 + 3601]] as [number, number][],
      pages: 1,
    };
    const genesis = chain.head;
    await chain.closeWindow('window', T0, T0 + 3600, empty);
    expect(chain.head.manifest).toMatchObject({
      seq: 1,
      kind: 'window',
      from: T0,
      to: T0 + 3600,
      checkpoint: T0 + 3600,
      prev_sha256: genesis.sha256,
    });
    expect(chain.head.manifest.api).toMatchObject({ host: 'api.memory.test', ranges: [[T0 - 1, T0 + 3601]], pages: 1 });
    // A late manifest adds to a covered range without moving the checkpoint.
    await chain.closeWindow('late', T0, T0 + 1800, empty);
    expect(chain.head.manifest).toMatchObject({ seq: 2, kind: 'late', checkpoint: T0 + 3600 });
    await chain.appendRoster({ key: 'rosters/x', sha256: 'a'.repeat(64), bytes: 1, teammates: 1, dt: utcDate(T0), fetched_at: 'now' });
    expect(chain.head.manifest).toMatchObject({ seq: 3, kind: 'roster', from: T0 + 3600, to: T0 + 3600, checkpoint: T0 + 3600 });
    expect((await findHead(store, 'ws-memory'))?.sha256).toBe(chain.head.sha256);
    expect((await readManifest(store, 'ws-memory', 1)).sha256).toBe((await readManifest(store, 'ws-memory', 2)).manifest.prev_sha256);
  });
});

describe('the archived-state reader, found parts and the seen-set', () => {
  async function archive(entries: Record<string, unknown>[], until: number) {
    const store = new MemoryObjectStore();
    const source = new MemorySource(entries);
    await collect(source, store, { ...base, since: T0, until, windowSeconds: DAY });
    return { store, source };
  }

  it('returns the ids archived in a range with their hashes and parts, and every key the manifests list', async () => {
    const { store } = await archive([...spreadEntries('a', T0, T0 + 2 * DAY, 40), { id: 'bad', created_at: T0 + 5 }], T0 + 2 * DAY);
    const head = (await findHead(store, 'ws-memory'))!;
    const state = await archivedIn(store, head, T0 + DAY, T0 + 2 * DAY);
    const inRange = spreadEntries('a', T0, T0 + 2 * DAY, 40).filter((e) => (e.created_at as number) >= T0 + DAY);
    for (const e of inRange) expect(state.seen.get(String(e.id))?.part).toMatch(/^activity_logs\/workspace=ws-memory\//);
    expect(state.seen.has('a-0')).toBe(false);
    expect([...state.listed].every((k) => k.includes('workspace=ws-memory'))).toBe(true);
    // The quarantined entry of the first window sits at the range's margin: its key is known too.
    const first = await archivedIn(store, head, T0, T0 + DAY);
    expect([...first.seen.quarantineKeys]).toEqual(['id:bad']);
    expect(await quarantineKeysIn(store, (await readManifest(store, 'ws-memory', 1)).manifest.quarantine)).toEqual(new Set(['id:bad']));
  });

  it('finds a part no manifest lists, reads its entries as candidates and numbers the next part after it', async () => {
    const store = new MemoryObjectStore();
    const writer = new PartWriter(store, (dt, n) => dataKey('ws-memory', dt, T0, 'part', n), 1);
    const provenance = { runId: 'dead', collectorVersion: '0', apiHost: 'h', apiVersion: '2.17' };
    for (const raw of spreadEntries('d', T0, T0 + 100, 3)) {
      const converted = toArchiveLineOrReason(raw as unknown as ActivityLog, 'ws-memory', provenance, 'now', false);
      if ('line' in converted) await writer.add(utcDate(T0), converted.line, raw.created_at as number);
    }
    const [written] = await writer.finish();
    const found = await findUnlistedParts(store, 'ws-memory', T0, 'part', new Set());
    expect(found.found.map((f) => f.record.key)).toEqual([written!.key]);
    expect([...found.candidates.keys()].sort()).toEqual(['e:d-0', 'e:d-1', 'e:d-2']);
    expect(found).toMatchObject({ nextPart: 2, nextQuarantine: 1, maxCreatedAt: T0 + 66 });
    // A part the chain lists is skipped, but still numbered past.
    const skipped = await findUnlistedParts(store, 'ws-memory', T0, 'part', new Set([written!.key]));
    expect([skipped.found.length, skipped.nextPart]).toEqual([0, 2]);
  });

  it('carries only the quarantine keys into a new window, never the ids', () => {
    const seen = new SeenSet(new Map([['x', { sha: 's', part: 'p' }]]), new Set(['id:q']));
    const next = SeenSet.carrying(seen.quarantineKeys);
    next.addQuarantined('id:r');
    expect([next.has('x'), next.hasQuarantined('id:q'), seen.hasQuarantined('id:r')]).toEqual([false, true, false]);
  });
});

describe('collect() over the in-memory source', () => {
  it('archives every entry once through pagination and repeated pages, and the archive verifies', async () => {
    const store = new MemoryObjectStore();
    const entries = spreadEntries('e', T0, T0 + 3 * DAY, 1200);
    const source = new MemorySource(entries, { perPage: 100, repeatPages: true });
    const result = await collect(source, store, { ...base, since: T0, until: T0 + 3 * DAY, windowSeconds: DAY });
    expect(result).toMatchObject({ windows: 3, entries: 1200, duplicatesDropped: 1200, checkpoint: T0 + 3 * DAY });
    const lines = await archivedLines(store);
    expect(duplicateIds(lines)).toEqual([]);
    expect(lines.map((l) => String(l.id)).sort()).toEqual(entries.map((e) => String(e.id)).sort());
    expect((await verifyArchive(store)).problems).toEqual([]);
  });

  it('archives an entry that arrives late behind the checkpoint exactly once, in a late manifest', async () => {
    const store = new MemoryObjectStore();
    const source = new MemorySource(spreadEntries('e', T0, T0 + DAY, 10));
    await collect(source, store, { ...base, since: T0, until: T0 + DAY, windowSeconds: DAY });
    source.add({ ...spreadEntries('late', T0 + DAY - 600, T0 + DAY, 1)[0]! });
    const second = await collect(source, store, { ...base, until: T0 + DAY + 3600, windowSeconds: DAY });
    const third = await collect(source, store, { ...base, until: T0 + DAY + 3600, windowSeconds: DAY });
    expect([second.lateEntries, second.lateManifests, third.lateEntries]).toEqual([1, 1, 0]);
    expect(duplicateIds(await archivedLines(store))).toEqual([]);
  });
});
