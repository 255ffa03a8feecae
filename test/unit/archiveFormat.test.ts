import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_COLUMNS } from '../../lambdas/core/archive/columns.ts';
import { dataKey, manifestKey, parseManifestKey, parsePartKey, quarantineKey, stamp, utcDate } from '../../lambdas/core/archive/keys.ts';
import { readGzipLines, toArchiveLine } from '../../lambdas/core/archive/lines.ts';
import { PartWriter } from '../../lambdas/core/archive/PartWriter.ts';
import { classifyEntries } from '../../lambdas/core/intercom/schema.ts';
import { KNOWN_ACTIVITY_TYPES } from '../../lambdas/core/intercom/activityTypes.ts';
import { COLLECTOR_VERSION } from '../../lambdas/core/version.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';

const example = JSON.parse(readFileSync(new URL('../fixtures/intercom/example-response.json', import.meta.url), 'utf8'));
const provenance = { runId: 'run-1', collectorVersion: '1.2.3', apiHost: 'api.intercom.io', apiVersion: '2.17' };

describe('archive keys', () => {
  it('follow the documented layout, with sample keys', () => {
    const start = Date.UTC(2026, 0, 1) / 1000;
    expect(dataKey('abc123', '2026-01-03', start, 'part', 2)).toBe(
      'activity_logs/workspace=abc123/dt=2026-01-03/20260101T000000Z-part-00002.jsonl.gz',
    );
    expect(dataKey('abc123', '2026-01-01', start, 'late', 1)).toBe(
      'activity_logs/workspace=abc123/dt=2026-01-01/20260101T000000Z-late-00001.jsonl.gz',
    );
    expect(quarantineKey('abc123', start, 'part', 1)).toBe(
      'quarantine/workspace=abc123/dt=2026-01-01/20260101T000000Z-part-00001.jsonl.gz',
    );
    expect(manifestKey('abc123', 42)).toBe('manifests/workspace=abc123/000000000042.json');
  });

  it('parse back into their fields', () => {
    const start = 1767225600;
    expect(parsePartKey(dataKey('w', utcDate(start), start, 'late', 7))).toEqual({
      dt: '2026-01-01',
      windowStart: start,
      kind: 'late',
      n: 7,
    });
    expect(parseManifestKey(manifestKey('w', 9))).toEqual({ workspaceId: 'w', seq: 9 });
    expect(parsePartKey('activity_logs/workspace=w/dt=2026-01-01/notes.txt')).toBeUndefined();
    expect(stamp(start)).toBe('20260101T000000Z');
  });
});

describe('archive lines', () => {
  it('round-trip through a gzip part: every line parses and its columns match the verbatim entry', async () => {
    const { entries } = classifyEntries(example.activity_logs);
    const store = new MemoryObjectStore();
    const writer = new PartWriter(store, (dt, n) => `p/${dt}-${n}`, 1);
    for (const entry of entries)
      await writer.add(utcDate(entry.created_at), toArchiveLine(entry, 'ws', provenance, '2026-01-01T00:00:00Z', false), entry.created_at);
    const [part] = await writer.finish();
    expect(part).toMatchObject({ records: 2, min_created_at: 1734537253, max_created_at: 1734537253 });
    const lines = [];
    for await (const line of readGzipLines(await store.get(part!.key))) lines.push(line);
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      const source = example.activity_logs[i];
      expect(JSON.parse(line.source as string)).toEqual(source);
      expect(line.source).toBe(JSON.stringify(source)); // key order as served
      expect(JSON.parse(line.metadata as string)).toEqual(source.metadata);
      expect(line).toMatchObject({
        id: source.id,
        created_at: source.created_at,
        performed_by_email: source.performed_by.email,
        run_id: 'run-1',
        collector_version: '1.2.3',
      });
      expect(Object.keys(line)).toEqual(ARCHIVE_COLUMNS.map((c) => c.name));
    }
  });

  it('cuts a new part when one passes the size limit, and keeps one open part per dt', async () => {
    const store = new MemoryObjectStore();
    const writer = new PartWriter(store, (dt, n) => `p/${dt}/part-${n}`, 1, 4096);
    for (let i = 0; i < 3000; i++) {
      const dt = i % 2 ? '2026-01-01' : '2026-01-02';
      await writer.add(dt, { id: `id-${i}-${Math.random()}`, created_at: i }, i);
    }
    const parts = await writer.finish();
    expect(parts.length).toBeGreaterThan(4);
    expect(parts.reduce((n, p) => n + p.records, 0)).toBe(3000);
    expect(new Set(parts.map((p) => p.key)).size).toBe(parts.length);
    expect(parts.every((p) => p.key.startsWith('p/2026-01-0'))).toBe(true);
  });

  it('keeps entries of unknown activity types and odd metadata', () => {
    const { entries, quarantined } = classifyEntries([
      { id: '1', created_at: 1, activity_type: 'type_from_the_future', metadata: { before: 'x', nested: { a: [1, 2] } } },
      { id: '2', created_at: 2, activity_type: 'admin_logout', metadata: null, performed_by: { type: 'admin', id: 5 } },
    ]);
    expect(quarantined).toEqual([]);
    expect(entries.map((e) => e.id)).toEqual(['1', '2']);
    expect(toArchiveLine(entries[1]!, 'ws', provenance, 'now', false).performed_by_id).toBe('5');
  });

  it.each([
    ['no id', { created_at: 1, activity_type: 'x' }, /id/],
    ['created_at as text', { id: 'a', created_at: '1', activity_type: 'x' }, /created_at/],
    ['no activity_type', { id: 'a', created_at: 1 }, /activity_type/],
    ['metadata that is not an object', { id: 'a', created_at: 1, activity_type: 'x', metadata: 'oops' }, /metadata/],
    ['not an object at all', 'garbage', /entry/],
  ])('quarantines an entry with %s, saying why', (_name, raw, reason) => {
    const { entries, quarantined } = classifyEntries([raw]);
    expect(entries).toEqual([]);
    expect(quarantined[0]!.raw).toEqual(raw);
    expect(quarantined[0]!.reason).toMatch(reason);
  });
});

describe('project facts', () => {
  it('records the package version as the collector version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(COLLECTOR_VERSION).toBe(pkg.version);
  });

  it('knows the 114 activity types of the official list', () => {
    const official = readFileSync(new URL('../fixtures/intercom/activity-types.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(KNOWN_ACTIVITY_TYPES).toEqual(official);
    expect(KNOWN_ACTIVITY_TYPES).toHaveLength(114);
  });
});
