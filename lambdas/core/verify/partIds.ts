/**
 * The entry ids of one part in a compact, exact form that crosses a thread boundary as three
 * transferable values instead of a million strings: a lowercase canonical UUID as four 32-bit
 * words, a canonical decimal id of up to 15 digits as a number, any other id as its text.
 *
 * An id's shape is a function of its text alone, so the same id always lands in the same place
 * (whichever way its line was read), and two different texts never meet: an uppercase UUID is
 * text, not folded into the lowercase one; `0501` is text, not the number 501.
 */

export interface PartIds {
  /** Lowercase canonical UUIDs (8-4-4-4-12 hex), four words each, in the order of their lines. */
  readonly uuids: Uint32Array;
  /** Canonical decimal ids (`0` or 1–15 digits without a leading zero). */
  readonly numbers: Float64Array;
  /** Every other id, as text. */
  readonly texts: string[];
}

/** -1 for a byte that is not a lowercase hex digit, else its value. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;
const DASH = 0x2d;
const UUID_LENGTH = 36;

/** Collects a part's ids as they are read; `take()` hands them over. */
export class PartIdsBuilder {
  #uuids = new Uint32Array(4 * 1024);
  #uuidCount = 0;
  #numbers = new Float64Array(1024);
  #numberCount = 0;
  readonly #texts: string[] = [];

  /** The id in bytes[start, end), which holds no quote or backslash (the JSON string's raw content). */
  addBytes(bytes: Buffer, start: number, end: number): void {
    if (end - start === UUID_LENGTH && this.#addUuid(bytes, start)) return;
    const n = canonicalNumberAt(bytes, start, end);
    if (n >= 0) this.#addNumber(n);
    else this.#texts.push(bytes.toString('utf8', start, end));
  }

  /** An id read by parsing its line: the same shapes as `addBytes` gives the same text. */
  addText(id: string): void {
    if (id.length === UUID_LENGTH) {
      const bytes = Buffer.from(id, 'utf8');
      if (bytes.length === UUID_LENGTH && this.#addUuid(bytes, 0)) return;
    }
    const n = CANONICAL_NUMBER.test(id) ? Number(id) : -1;
    if (n >= 0) this.#addNumber(n);
    else this.#texts.push(id);
  }

  take(): PartIds {
    return {
      uuids: this.#uuids.slice(0, this.#uuidCount * 4),
      numbers: this.#numbers.slice(0, this.#numberCount),
      texts: this.#texts,
    };
  }

  #addUuid(bytes: Uint8Array, at: number): boolean {
    if (bytes[at + 8] !== DASH || bytes[at + 13] !== DASH || bytes[at + 18] !== DASH || bytes[at + 23] !== DASH) return false;
    const w0 = hexWord(bytes, at, at + 8);
    const w1a = hexWord(bytes, at + 9, at + 13);
    const w1b = hexWord(bytes, at + 14, at + 18);
    const w2a = hexWord(bytes, at + 19, at + 23);
    const w2b = hexWord(bytes, at + 24, at + 28);
    const w3 = hexWord(bytes, at + 28, at + 36);
    if (w0 < 0 || w1a < 0 || w1b < 0 || w2a < 0 || w2b < 0 || w3 < 0) return false;
    if ((this.#uuidCount + 1) * 4 > this.#uuids.length) this.#uuids = grown(this.#uuids);
    const o = this.#uuidCount * 4;
    this.#uuids[o] = w0;
    this.#uuids[o + 1] = w1a * 0x10000 + w1b;
    this.#uuids[o + 2] = w2a * 0x10000 + w2b;
    this.#uuids[o + 3] = w3;
    this.#uuidCount += 1;
    return true;
  }

  #addNumber(n: number): void {
    if (this.#numberCount === this.#numbers.length) this.#numbers = grown(this.#numbers);
    this.#numbers[this.#numberCount++] = n;
  }
}

const CANONICAL_NUMBER = /^(?:0|[1-9]\d{0,14})$/;

/** The value of a canonical decimal id in bytes[start, end), or -1 when it is not one. */
function canonicalNumberAt(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < 1 || length > 15 || (bytes[start] === 0x30 && length > 1)) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The lowercase hex digits bytes[from, to) (at most 8) as a number, or -1. */
function hexWord(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = HEX[bytes[i]!]!;
    if (v < 0) return -1;
    n = n * 16 + v;
  }
  return n;
}

function grown<T extends Uint32Array | Float64Array>(a: T): T {
  const next = new (a.constructor as new (n: number) => T)(a.length * 2);
  next.set(a);
  return next;
}

/** The canonical text of the UUID at words[at, at + 4). */
export function uuidText(words: Uint32Array, at: number): string {
  const hex = (w: number) => w.toString(16).padStart(8, '0');
  const a = hex(words[at]!);
  const b = hex(words[at + 1]!);
  const c = hex(words[at + 2]!);
  const d = hex(words[at + 3]!);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}
