/**
 * Intercom answering in unexpected shapes: each is quarantined or retried, never a crash that
 * loses the window, and the run ends with every valid entry archived once and verify passing.
 */
import { describe, expect, it } from 'vitest';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { IntercomClient } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import { MemoryObjectStore } from '../helpers/MemoryObjectStore.ts';
import { archivedLines } from '../helpers/archive.ts';
import { BAD_ENTRIES, BAD_PAGES } from './cases.ts';

const T = 1_750_000_000;
const good = (id: string, at = T + 10) => ({
  id,
  created_at: at,
  activity_type: 'admin_login_success',
  activity_description: 'ok',
  performed_by: { type: 'admin', id: '1', email: 'a@b.example', ip: '192.0.2.1' },
  metadata: null,
});
const page = (entries: unknown[]) =>
  JSON.stringify({
    type: 'activity_log.list',
    pages: { type: 'pages', next: null, page: 1, per_page: 250, total_pages: 1 },
    activity_logs: entries,
  });

/** A client whose first answers are `bodies` (then an empty page), on every range asked. */
function clientServing(bodies: (string | Uint8Array | (() => Response))[]) {
  const queue = [...bodies];
  let requests = 0;
  const fetch = (async () => {
    requests += 1;
    const next = queue.shift() ?? page([]);
    if (typeof next === 'function') return next();
    return new Response(next as BodyInit, { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return {
    client: new IntercomClient({ token: 't', baseUrl: 'http://127.0.0.1:1', fetch, sleep: async () => undefined, maxRetries: 3 }),
    requests: () => requests,
  };
}

async function collectOnce(bodies: (string | Uint8Array | (() => Response))[]) {
  const { client } = clientServing(bodies);
  const store = new MemoryObjectStore();
  const result = await collect(client, store, {
    workspaceId: 'w',
    since: T,
    until: T + 3600,
    lookbackSeconds: 0,
    runId: 'r',
    collectorVersion: 'v',
  });
  return { store, result };
}

describe('bad entries are quarantined, never dropped', () => {
  it.each(BAD_ENTRIES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { store, result } = await collectOnce([page([good('ok-1'), c.entry, good('ok-2', T + 20)])]);
    const lines = await archivedLines(store);
    const quarantined = await archivedLines(store, 'quarantine/');
    expect(lines.map((l) => l.id).sort()).toEqual(['ok-1', 'ok-2']);
    expect(result.quarantined).toBe(1);
    expect(quarantined).toHaveLength(1);
    expect(JSON.parse(quarantined[0]!.source as string)).toEqual(c.entry);
    expect(quarantined[0]!.reason).toMatch(c.reason);
    expect((await verifyArchive(store)).problems).toEqual([]);
  });

  it('keeps an entry with very large metadata (2 MB) intact', async () => {
    const big = {
      ...good('big'),
      metadata: { blob: 'x'.repeat(2 * 1024 * 1024), nested: { list: Array.from({ length: 1000 }, (_, i) => i) } },
    };
    const { store } = await collectOnce([page([big])]);
    const [line] = await archivedLines(store);
    expect(JSON.parse(line!.metadata as string)).toEqual(big.metadata);
  });

  it('keeps an entry whose text is invalid UTF-8, with the bad bytes replaced', async () => {
    const prefix = Buffer.from(page([{ ...good('utf'), activity_description: 'PLACEHOLDER' }]).split('PLACEHOLDER')[0]!);
    const suffix = Buffer.from(page([{ ...good('utf'), activity_description: 'PLACEHOLDER' }]).split('PLACEHOLDER')[1]!);
    const body = Buffer.concat([prefix, Buffer.from([0x41, 0xff, 0xfe, 0x42]), suffix]);
    const { store } = await collectOnce([new Uint8Array(body)]);
    const [line] = await archivedLines(store);
    expect(line!.activity_description).toBe('A\ufffd\ufffdB');
  });
});

describe('bad pages are retried, never a crash that loses the window', () => {
  it.each(BAD_PAGES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { client, requests } = clientServing([c.body, page([good('after-retry')])]);
    const store = new MemoryObjectStore();
    await collect(client, store, { workspaceId: 'w', since: T, until: T + 3600, lookbackSeconds: 0, runId: 'r', collectorVersion: 'v' });
    expect((await archivedLines(store)).map((l) => l.id)).toEqual(['after-retry']);
    expect(requests()).toBe(2);
    expect((await verifyArchive(store)).ok).toBe(true);
  });
});

/** JSON text of an object nested `depth` levels deep (JSON.stringify itself cannot write it). */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const pageText = (entries: string[], next: string | null) =>
  `{"type":"activity_log.list","pages":{"type":"pages","next":${JSON.stringify(next)},"per_page":250},"activity_logs":[${entries.join(',')}]}`;

describe('a poison entry is quarantined with its reason and never stops the window', () => {
  it('archives the 3,455 valid entries of a window that also holds metadata nested 5,000 deep', async () => {
    const valid = Array.from({ length: 3455 }, (_, i) => JSON.stringify(good(`v-${i}`, T + 10 + (i % 3000))));
    const poison = `{"id":"poison","created_at":${T + 100},"activity_type":"admin_login_success","metadata":${deepJson(5000)}}`;
    // The same depth with no id: quarantined for the missing id, keyed by a hash of its text.
    const anonymous = `{"created_at":${T + 101},"activity_type":"x","metadata":${deepJson(5000)}}`;
    const entries = [...valid.slice(0, 1000), poison, anonymous, ...valid.slice(1000)];
    const pages: string[] = [];
    for (let i = 0; i < entries.length; i += 250) {
      const last = i + 250 >= entries.length;
      pages.push(pageText(entries.slice(i, i + 250), last ? null : `http://127.0.0.1:1/admins/activity_logs?page=${i / 250 + 2}`));
    }
    const { store, result } = await collectOnce(pages);
    const lines = await archivedLines(store);
    expect(lines).toHaveLength(3455);
    expect(result.entries).toBe(3455);
    expect(result.quarantined).toBe(2);
    const quarantined = await archivedLines(store, 'quarantine/');
    const byKey = new Map(quarantined.map((q) => [String(q.quarantine_key), q]));
    expect(byKey.get('id:poison')!.reason).toMatch(/nested more than 100 levels deep/);
    expect(byKey.get('id:poison')!.source).toBe(poison);
    const hashed = [...byKey.keys()].find((k) => k.startsWith('sha256:'));
    expect(byKey.get(hashed!)!.source).toBe(anonymous);
    expect(byKey.get(hashed!)!.reason).toMatch(/id/);
    expect((await verifyArchive(store)).problems).toEqual([]);
  });
});
