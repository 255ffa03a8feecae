/**
 * An exact set of 128-bit keys (four 32-bit words), each with a small value: verify's record of
 * which part first held each entry id. Hand-written because a JavaScript Map of a million UUID
 * strings costs about a second and ~100 MB, and no library keeps 128-bit keys in typed arrays:
 * here a million ids cost 40 MB and one probe each.
 *
 * Open addressing with linear probing; every probe compares all four words, so the hash only
 * finds the slot and can never make two different ids equal. The hash is seeded per table, so
 * ids crafted to collide can at worst slow the check, never hide a duplicate.
 */

const EMPTY = 0;
const MAX_LOAD = 0.7;
/** Keys reserved at most ahead of time (2 M slots, 40 MB); more still fit, by growing. */
const MAX_RESERVED = 1_400_000;

export class WordTable {
  #keys = new Uint32Array(16 * 4);
  /** value + 1 per slot; 0 = empty. */
  #values = new Int32Array(16);
  /** Slots (any number, not only a power of two: a table sized for its keys wastes no memory). */
  #slots = 16;
  #size = 0;
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed | 0;
  }

  /**
   * Room for `count` keys without growing (growing copies every key and briefly holds both
   * tables); at most `MAX_RESERVED` keys, so a count claimed by a hostile manifest costs little.
   */
  reserve(count: number): void {
    const wanted = Math.ceil(Math.min(count, MAX_RESERVED) / MAX_LOAD) + 1;
    // Written so that NaN (a record count that is not a number) reserves nothing.
    if (this.#size > 0 || !(wanted > this.#slots)) return;
    this.#allocate(wanted);
  }

  #allocate(slots: number): void {
    this.#keys = new Uint32Array(slots * 4);
    this.#values = new Int32Array(slots);
    this.#slots = slots;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * The value stored for the key words[at, at + 4); when there is none, stores `value`
   * (0 ≤ value < 2^31 − 1) and returns -1.
   */
  firstOrAdd(words: Uint32Array, at: number, value: number): number {
    if (this.#size + 1 > MAX_LOAD * this.#slots) this.#grow();
    const w0 = words[at]!;
    const w1 = words[at + 1]!;
    const w2 = words[at + 2]!;
    const w3 = words[at + 3]!;
    const keys = this.#keys;
    const slots = this.#slots;
    // The 32-bit hash scaled to the slots (multiply-shift; always below `slots`).
    for (let slot = Math.floor(((this.#hash(w0, w1, w2, w3) >>> 0) * slots) / 0x100000000); ; slot = slot + 1 === slots ? 0 : slot + 1) {
      const stored = this.#values[slot]!;
      if (stored === EMPTY) {
        const o = slot * 4;
        keys[o] = w0;
        keys[o + 1] = w1;
        keys[o + 2] = w2;
        keys[o + 3] = w3;
        this.#values[slot] = value + 1;
        this.#size += 1;
        return -1;
      }
      const o = slot * 4;
      if (keys[o] === w0 && keys[o + 1] === w1 && keys[o + 2] === w2 && keys[o + 3] === w3) return stored - 1;
    }
  }

  #hash(w0: number, w1: number, w2: number, w3: number): number {
    // murmur3's 32-bit mixing steps over the four words, seeded.
    let h = this.#seed;
    h = Math.imul(h ^ w0, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
    h = Math.imul(h ^ w1, 0xcc9e2d51);
    h = Math.imul((h << 13) | (h >>> 19), 0x1b873593);
    h = Math.imul(h ^ w2, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
    h = Math.imul(h ^ w3, 0xcc9e2d51);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    this.#allocate(this.#slots * 2);
    this.#size = 0;
    for (let slot = 0; slot < oldValues.length; slot++) {
      const stored = oldValues[slot]!;
      if (stored !== EMPTY) this.firstOrAdd(oldKeys, slot * 4, stored - 1);
    }
  }
}
