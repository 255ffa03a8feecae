/**
 * The entry ids seen so far in one workspace, each with the part that held it first: what finds
 * an id archived twice. Exact for every shape of id (see `partIds.ts`); UUIDs and numbers live in
 * typed arrays, other ids in a Map.
 */
import { randomBytes } from 'node:crypto';
import { type PartIds, uuidText } from './partIds.ts';
import { WordTable } from './WordTable.ts';

/** An id found again: its text and the part that held it first. */
export interface Duplicate {
  readonly id: string;
  readonly first: string;
}

export class IdSet {
  readonly #uuids = new WordTable(randomBytes(4).readInt32LE());
  readonly #numbers = new WordTable(randomBytes(4).readInt32LE());
  readonly #texts = new Map<string, number>();
  /** Part keys by the index the tables store. */
  readonly #parts: string[] = [];
  readonly #number = new Uint32Array(4);
  /** Ids the manifests say are still to come (sizes the tables once instead of growing them). */
  #expected: number;

  constructor(expected = 0) {
    this.#expected = expected;
  }

  /** Adds the ids of `part` (taken in key order); calls `onDuplicate` for each one seen before, in this part or an earlier one. */
  add(part: string, ids: PartIds, onDuplicate: (d: Duplicate) => void): void {
    const index = this.#parts.push(part) - 1;
    const { uuids, numbers, texts } = ids;
    const count = uuids.length / 4 + numbers.length + texts.length;
    if (count > 0) {
      // The first part with ids shows their shapes: the rest are likely the same mix.
      this.#uuids.reserve((this.#expected * uuids.length) / 4 / count);
      this.#numbers.reserve((this.#expected * numbers.length) / count);
      this.#expected = 0;
    }
    for (let at = 0; at < uuids.length; at += 4) {
      const first = this.#uuids.firstOrAdd(uuids, at, index);
      if (first >= 0) onDuplicate({ id: uuidText(uuids, at), first: this.#parts[first]! });
    }
    const words = this.#number;
    for (const n of numbers) {
      // At most 15 digits: below 2^50, so two exact words.
      words[0] = n % 0x100000000;
      words[1] = Math.floor(n / 0x100000000);
      const first = this.#numbers.firstOrAdd(words, 0, index);
      if (first >= 0) onDuplicate({ id: String(n), first: this.#parts[first]! });
    }
    for (const id of texts) {
      const first = this.#texts.get(id);
      if (first !== undefined) onDuplicate({ id, first: this.#parts[first]! });
      else this.#texts.set(id, index);
    }
  }

  get size(): number {
    return this.#uuids.size + this.#numbers.size + this.#texts.size;
  }
}
