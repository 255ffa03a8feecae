import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRY_NESTING, nestingExceeds, stringifyDeep, toArchiveLineOrReason } from '../../../../lambdas/core/archive/lines.ts';
import { type ActivityLog, classifyEntries } from '../../../../lambdas/core/intercom/schema.ts';

const provenance = { runId: 'r', collectorVersion: 'v', apiHost: 'h', apiVersion: '2.17' };
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('stringifyDeep()', () => {
  it('writes the same text as JSON.stringify for any JSON value (quarantine keys hash it)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(stringifyDeep(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 500, seed: 16 },
    );
    expect(stringifyDeep({ a: undefined, b: [undefined, () => 1], ['__proto__']: 1 })).toBe(
      JSON.stringify({ a: undefined, b: [undefined, () => 1], ['__proto__']: 1 }),
    );
    expect(stringifyDeep(undefined)).toBeUndefined();
  });

  it('serialises 100,000 levels, where JSON.stringify overflows the stack', () => {
    const text = `${'{"a":['.repeat(50_000)}1${']}'.repeat(50_000)}`;
    const deep = JSON.parse(text);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(stringifyDeep(deep)).toBe(text);
    expect(nestingExceeds(deep, 100)).toBe(true);
    expect(nestingExceeds({ a: [{ b: 1 }], c: [[2]] }, 3)).toBe(false);
    expect(nestingExceeds({ a: [{ b: 1 }], c: [[[2]]] }, 3)).toBe(true);
  });

  it('refuses a value that refers to itself instead of looping', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stringifyDeep(cyclic)).toThrow(/refers to itself/);
  });
});

describe('toArchiveLineOrReason()', () => {
  const entry = (metadata: unknown) => ({ id: 'e', created_at: 1, activity_type: 't', metadata }) as ActivityLog;

  it(`archives an entry nested ${MAX_ENTRY_NESTING} levels and gives a reason for one nested deeper`, () => {
    // The entry object is one level, metadata the rest.
    expect(toArchiveLineOrReason(entry(nested(MAX_ENTRY_NESTING - 1)), 'w', provenance, 'now', false)).toHaveProperty('line');
    expect(toArchiveLineOrReason(entry(nested(MAX_ENTRY_NESTING)), 'w', provenance, 'now', false)).toEqual({
      reason: expect.stringMatching(/nested more than 100 levels/),
    });
    expect(toArchiveLineOrReason(entry(nested(5000)), 'w', provenance, 'now', false)).toHaveProperty('reason');
  });

  it('turns a serialising failure into a reason instead of a throw', () => {
    const result = toArchiveLineOrReason(entry({ n: 10n }), 'w', provenance, 'now', false);
    expect(result).toEqual({ reason: expect.stringMatching(/could not be serialised \(TypeError: .*BigInt/) });
  });
});

describe('classifyEntries()', () => {
  it('quarantines an entry whose validation throws, and keeps the rest of the page', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const page = classifyEntries([{ id: 'ok', created_at: 1, activity_type: 't' }, hostile]);
    expect(page.entries.map((e) => e.id)).toEqual(['ok']);
    expect(page.quarantined).toHaveLength(1);
    expect(page.quarantined[0]!.reason).toMatch(/could not be validated \(Error\)/);
  });
});
