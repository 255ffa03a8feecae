/**
 * The pieces that let verify stream and run in parallel without changing what it finds: the
 * chunked gzip line reader (the same lines as the line-by-line reader), the ordered bounded
 * pipeline, and S3 verify with a bounded number of requests in flight.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../../lambdas/adapters/aws/S3ObjectStore.ts';
import { forEachGzipLine, lineIdAndTimeAt } from '../../../../lambdas/core/archive/gzipLines.ts';
import { lineIdAndTime, readGzipTextLines } from '../../../../lambdas/core/archive/lines.ts';
import { inOrder } from '../../../../lambdas/core/verify/pipeline.ts';
import { verifyArchive } from '../../../../lambdas/core/verify/verify.ts';
import { buildBenchArchive } from '../../../../bench/s3Archive.ts';
import { latencyS3 } from '../../../helpers/latencyS3.ts';

async function both(body: Buffer) {
  const slow: string[] = [];
  for await (const line of readGzipTextLines(body)) slow.push(line);
  const fast: string[] = [];
  await forEachGzipLine(body, (line) => fast.push(line));
  return { slow, fast };
}

describe('forEachGzipLine()', () => {
  it.each([
    ['\\n, \\r\\n and lone \\r line ends, empty lines', Buffer.from('a\nb\r\nc\rd\n\n\ne')],
    ['no final newline', Buffer.from('{"id":"1"}\n{"id":"2"}')],
    ['invalid UTF-8', Buffer.concat([Buffer.from('x'), Buffer.from([0xff, 0xfe]), Buffer.from('\ny\n')])],
    [
      'multi-byte characters across inflated chunks',
      Buffer.from(Array.from({ length: 40_000 }, (_, i) => `{"id":"${i}","t":"日本語テキスト—ü"}`).join('\n')),
    ],
  ])('gives the same lines as readGzipTextLines: %s', async (_name, text) => {
    const { slow, fast } = await both(gzipSync(text));
    expect(fast).toEqual(slow);
    expect(fast.length).toBeGreaterThan(0);
  });

  it('reads concatenated gzip members like gunzip does', async () => {
    const { slow, fast } = await both(Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')]));
    expect(fast).toEqual(['a', 'b', 'c']);
    expect(fast).toEqual(slow);
  });

  it('fails on bytes that are not gzip, with zlib’s own message', async () => {
    const junk = randomBytes(64);
    await expect(forEachGzipLine(junk, () => undefined)).rejects.toThrow(/incorrect header check/);
  });
});

describe('lineIdAndTimeAt()', () => {
  it.each([
    ['the writer shape', '{"id":"a-1","workspace_id":"w","created_at":1700000000,"x":1}', 'a-1', 1700000000],
    ['a numeric id', '{"id":"5001","workspace_id":"w","created_at":1,"x":1}', 5001, 1],
    ['a numeric id with a leading zero stays text', '{"id":"0501","workspace_id":"w","created_at":1,"x":1}', '0501', 1],
    ['an escaped id (parsed)', '{"id":"a\\"b","workspace_id":"w","created_at":5,"x":1}', 'a"b', 5],
    ['another key order (parsed)', '{"created_at":7,"id":"42"}', 42, 7],
    ['a created_at that is text (parsed)', '{"id":"x","workspace_id":"w","created_at":"9"}', 'x', '9'],
    ['non-ASCII id', '{"id":"日本","workspace_id":"w","created_at":3,"x":1}', '日本', 3],
  ])('reads %s like lineIdAndTime', (_name, line, id, createdAt) => {
    const bytes = Buffer.from(`xx${line}yy`);
    const got = lineIdAndTimeAt(bytes, 2, bytes.length - 2);
    expect(got).toEqual({ id, createdAt });
    const slow = lineIdAndTime(line);
    expect(String(got.id)).toBe(slow.id);
    expect(got.createdAt).toEqual(slow.createdAt);
  });
});

describe('inOrder()', () => {
  it('yields in input order with at most `concurrency` running and the weight bound held', async () => {
    let running = 0;
    let maxRunning = 0;
    let held = 0;
    let maxHeld = 0;
    const items = Array.from({ length: 40 }, (_, i) => ({ i, weight: (i % 5) + 1 }));
    const out: number[] = [];
    const work = async (item: (typeof items)[number]) => {
      running += 1;
      held += item.weight;
      maxRunning = Math.max(maxRunning, running);
      maxHeld = Math.max(maxHeld, held);
      // Later items finish first: order must come from the pipeline, not from completion.
      await new Promise((resolve) => setImmediate(resolve));
      if (item.i % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return item;
    };
    for await (const item of inOrder(items, 6, work, { weight: (x) => x.weight, maxWeight: 9 })) {
      held -= item.weight;
      out.push(item.i);
    }
    expect(out).toEqual(items.map((x) => x.i));
    expect(maxRunning).toBeLessThanOrEqual(6);
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxHeld).toBeLessThanOrEqual(9);
  });

  it('keeps `concurrency` running while a slow answer holds the head, up to the look-ahead', async () => {
    let running = 0;
    let maxRunning = 0;
    let started = 0;
    let releaseHead!: () => void;
    const headDone = new Promise<void>((resolve) => {
      releaseHead = resolve;
    });
    let startedWhileHeadRan = 0;
    const work = async (i: number) => {
      running += 1;
      started += 1;
      maxRunning = Math.max(maxRunning, running);
      if (i === 0) {
        // Let every other item that may start do so, then count them before the head answers.
        for (let k = 0; k < 50; k++) await new Promise((resolve) => setImmediate(resolve));
        startedWhileHeadRan = started;
        await headDone;
      } else await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return i;
    };
    const out: number[] = [];
    const run = (async () => {
      for await (const i of inOrder(
        Array.from({ length: 30 }, (_, i) => i),
        3,
        work,
        { lookahead: 8 },
      ))
        out.push(i);
    })();
    for (let k = 0; k < 60; k++) await new Promise((resolve) => setImmediate(resolve));
    releaseHead();
    await run;
    expect(out).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // The head held one slot; the two others went on through the look-ahead (8 held), never more than 3 at once.
    expect(startedWhileHeadRan).toBe(8);
    expect(maxRunning).toBe(3);
  });

  it('still runs an item heavier than the whole bound, alone', async () => {
    const out: number[] = [];
    for await (const n of inOrder([1, 50, 2], 4, async (n) => n, { weight: (n) => n, maxWeight: 10 })) out.push(n);
    expect(out).toEqual([1, 50, 2]);
  });

  it('passes a failure on at its place in the order', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const n of inOrder([1, 2, 3], 3, async (n) => (n === 2 ? Promise.reject(new Error('two')) : n))) seen.push(n);
    };
    await expect(run()).rejects.toThrow('two');
    expect(seen).toEqual([1]);
  });
});

describe('verify over S3', () => {
  it('verifies a signed archive through the S3 adapter with a bounded number of requests in flight', async () => {
    const archive = await buildBenchArchive(60, 3);
    const s3 = latencyS3(archive.objects, 'bucket', 1);
    try {
      const store = new S3ObjectStore(s3.client, { bucket: 'bucket' });
      const result = await verifyArchive(store, {
        verifier: archive.verifier,
        lock: { mode: 'COMPLIANCE', years: 7 },
        checkVersions: true,
        concurrency: 5,
      });
      expect(result.problems).toEqual([]);
      expect(result.signaturesChecked).toBe(61);
      expect(result.objectsChecked).toBe(20);
      expect(result.lockChecked).toBe(61 * 2 + 20 * 2);
      // A lock state is three requests at once (attributes, retention, legal hold); everything else one.
      expect(s3.counts.maxInFlight).toBeLessThanOrEqual(5 * 3);
      expect(s3.counts.maxInFlight).toBeGreaterThan(3);
    } finally {
      s3.restore();
    }
  });
});
