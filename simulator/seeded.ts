/** Deterministic dice and ids for the simulator (never for anything secret). */
import { createHash } from 'node:crypto';

/** A small, fast seeded PRNG (the simulator's dice; not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hash32(...parts: (string | number)[]): number {
  return createHash('sha1').update(parts.join('|')).digest().readUInt32BE(0);
}

/** A UUID-shaped id from a name: unique per name (SHA-1), unlike draws from a small PRNG. */
export function uuidFrom(...parts: (string | number)[]): string {
  const hex = createHash('sha1').update(parts.join('|')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A stable number in [0, 1) for an id: used by fault switches to pick entries deterministically. */
export function idFraction(id: string, salt = ''): number {
  return createHash('sha1').update(salt).update(id).digest().readUInt32BE(0) / 4294967296;
}
