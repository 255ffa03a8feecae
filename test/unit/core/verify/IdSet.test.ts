/**
 * The compact id set that finds an entry archived twice: exact for every shape of id (a UUID as
 * four words, a canonical number, any other text), never folding two different texts together,
 * and naming the part that held an id first.
 */
import { describe, expect, it } from 'vitest';
import { type Duplicate, IdSet } from '../../../../lambdas/core/verify/IdSet.ts';
import { readLineHead } from '../../../../lambdas/core/verify/lineHead.ts';
import { type PartIds, PartIdsBuilder, uuidText } from '../../../../lambdas/core/verify/partIds.ts';
import { WordTable } from '../../../../lambdas/core/verify/WordTable.ts';
import { mulberry32, uuidFrom } from '../../../../simulator/seeded.ts';

const fromBytes = (...ids: string[]) => {
  const b = new PartIdsBuilder();
  for (const id of ids) {
    const bytes = Buffer.from(`[${id}]`);
    b.addBytes(bytes, 1, bytes.length - 1);
  }
  return b.take();
};
const fromText = (...ids: string[]) => {
  const b = new PartIdsBuilder();
  for (const id of ids) b.addText(id);
  return b.take();
};
const shape = (ids: PartIds) => (ids.uuids.length > 0 ? 'uuid' : ids.numbers.length > 0 ? 'number' : 'text');

/** Duplicates as the Map of id texts verify kept before (the reference). */
function reference(parts: [string, string[]][]): Duplicate[] {
  const seen = new Map<string, string>();
  const out: Duplicate[] = [];
  for (const [part, ids] of parts)
    for (const id of ids) {
      const first = seen.get(id);
      if (first !== undefined) out.push({ id, first });
      else seen.set(id, part);
    }
  return out;
}

function viaIdSet(parts: [string, string[]][], build = fromBytes): Duplicate[] {
  const set = new IdSet();
  const out: Duplicate[] = [];
  for (const [part, ids] of parts) set.add(part, build(...ids), (d) => out.push(d));
  return out;
}
const sorted = (d: Duplicate[]) => [...d].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.first < b.first ? -1 : 1));

describe('PartIdsBuilder', () => {
  it.each([
    ['a lowercase UUID', '0ecd24e7-f99a-465d-a844-5c89647c3413', 'uuid'],
    ['an uppercase UUID (kept as text, not folded)', '0ECD24E7-F99A-465D-A844-5C89647C3413', 'text'],
    ['a mixed-case UUID', '0ecd24e7-F99A-465d-a844-5c89647c3413', 'text'],
    ['a UUID with a non-hex digit', '0ecd24e7-f99a-465d-a844-5c89647c341g', 'text'],
    ['36 characters, dashes elsewhere', '0ecd24e7f-99a-465d-a844-5c89647c3413', 'text'],
    ['a numeric id', '5001', 'number'],
    ['zero', '0', 'number'],
    ['15 digits', '999999999999999', 'number'],
    ['16 digits (text: beyond exact)', '9999999999999999', 'text'],
    ['a leading zero (text)', '0501', 'text'],
    ['another string', 'a-1', 'text'],
    ['non-ASCII text', '日本', 'text'],
    ['the empty id', '', 'text'],
  ])('keeps %s as %s, the same from bytes and from text', (_name, id, expected) => {
    const a = fromBytes(id);
    const b = fromText(id);
    expect(shape(a)).toBe(expected);
    expect(a).toEqual(b);
  });

  it('gives back the exact UUID text', () => {
    const ids = Array.from({ length: 200 }, (_, i) => uuidFrom('round trip', i));
    expect(ids.map((id) => uuidText(fromBytes(id).uuids, 0))).toEqual(ids);
    expect(uuidText(fromBytes('00000000-0000-0000-0000-000000000000').uuids, 0)).toBe('00000000-0000-0000-0000-000000000000');
    expect(uuidText(fromBytes('ffffffff-ffff-ffff-ffff-ffffffffffff').uuids, 0)).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
  });
});

describe('readLineHead()', () => {
  it.each([
    ['the writer shape', '{"id":"0ecd24e7-f99a-465d-a844-5c89647c3413","workspace_id":"w","created_at":1700000000,"x":1}', 1700000000],
    ['another key order (parsed)', '{"created_at":7,"id":"0ecd24e7-f99a-465d-a844-5c89647c3413"}', 7],
    ['an escaped workspace (parsed)', '{"id":"0ecd24e7-f99a-465d-a844-5c89647c3413","workspace_id":"a\\"b","created_at":5,"x":1}', 5],
    [
      'a time of more than 15 digits',
      '{"id":"0ecd24e7-f99a-465d-a844-5c89647c3413","workspace_id":"w","created_at":12345678901234567890,"x":1}',
      Number('12345678901234567890'),
    ],
  ])('puts the same UUID into the same place for %s', (_name, line, createdAt) => {
    const ids = new PartIdsBuilder();
    const bytes = Buffer.from(`xx${line}yy`);
    expect(readLineHead(bytes, 2, bytes.length - 2, ids)).toBe(createdAt);
    expect(ids.take()).toEqual(fromText('0ecd24e7-f99a-465d-a844-5c89647c3413'));
  });

  it('throws where JSON.parse does (a line that is not JSON)', () => {
    const bytes = Buffer.from('{"id":"x", nope');
    expect(() => readLineHead(bytes, 0, bytes.length, new PartIdsBuilder())).toThrow(SyntaxError);
  });
});

describe('IdSet', () => {
  it.each([
    ['a UUID', '0ecd24e7-f99a-465d-a844-5c89647c3413'],
    ['a numeric id', '5001'],
    ['another string', 'a-1'],
    ['an uppercase UUID', '0ECD24E7-F99A-465D-A844-5C89647C3413'],
  ])('finds %s archived twice and names the part that held it first', (_name, id) => {
    const found = viaIdSet([
      ['p1', ['x-1', id]],
      ['p2', ['x-2']],
      ['p3', [id, 'x-3']],
    ]);
    expect(found).toEqual([{ id, first: 'p1' }]);
  });

  it('never folds an uppercase UUID into the lowercase one, nor 0501 into 501', () => {
    const found = viaIdSet([
      ['p1', ['0ecd24e7-f99a-465d-a844-5c89647c3413', '501']],
      ['p2', ['0ECD24E7-F99A-465D-A844-5C89647C3413', '0501']],
    ]);
    expect(found).toEqual([]);
  });

  it('finds an id twice in one part', () => {
    expect(viaIdSet([['p1', ['7', '7']]])).toEqual([{ id: '7', first: 'p1' }]);
  });

  it('finds what a Map of id texts finds, for ids read from bytes or from text (random mix, 60,000 ids)', () => {
    const random = mulberry32(28);
    const pool = Array.from({ length: 20_000 }, (_, i) => {
      const kind = i % 4;
      if (kind === 0) return uuidFrom('id', i);
      if (kind === 1) return String(Math.floor(random() * 1e12));
      if (kind === 2) return uuidFrom('id', i - 2).toUpperCase();
      return `id-${i}`;
    });
    const parts: [string, string[]][] = Array.from({ length: 30 }, (_, p) => [
      `part-${String(p).padStart(3, '0')}`,
      Array.from({ length: 1000 }, () => pool[Math.floor(random() * pool.length)]!),
    ]);
    const expected = reference(parts);
    expect(expected.length).toBeGreaterThan(1000);
    expect(sorted(viaIdSet(parts))).toEqual(sorted(expected));
    expect(sorted(viaIdSet(parts, fromText))).toEqual(sorted(expected));
  });
});

describe('WordTable', () => {
  it('keeps keys that differ in any one word apart, and finds each again after growing', () => {
    const table = new WordTable(1);
    const keys = new Uint32Array(4 * 40_000);
    for (let i = 0; i < 10_000; i++)
      for (let w = 0; w < 4; w++) {
        // Four keys per i, each differing from a base key in word w only.
        const o = (i * 4 + w) * 4;
        keys.set([i, 0xffffffff - i, i * 7, 42], o);
        keys[o + w] = keys[o + w]! ^ 0x80000000;
      }
    const added = Array.from({ length: 40_000 }, (_, k) => table.firstOrAdd(keys, k * 4, k));
    expect(added.every((v) => v === -1)).toBe(true);
    expect(table.size).toBe(40_000);
    const again = Array.from({ length: 40_000 }, (_, k) => table.firstOrAdd(keys, k * 4, 0));
    expect(again.every((v, k) => v === k)).toBe(true);
  });

  it('reserves room for a claimed count, but not for a count that is not a number or too large', () => {
    const table = new WordTable(2);
    table.reserve(Number.NaN);
    table.reserve(Number.POSITIVE_INFINITY);
    table.reserve(-5);
    const key = new Uint32Array([1, 2, 3, 4]);
    expect(table.firstOrAdd(key, 0, 9)).toBe(-1);
    expect(table.firstOrAdd(key, 0, 1)).toBe(9);
  });
});
