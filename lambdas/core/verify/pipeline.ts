/**
 * Bounded, ordered concurrency for verify's reads. Hand-written because verify needs results in
 * input order with a bounded look-ahead (so memory stays bounded and the chain is walked in seq
 * order): p-map and p-limit give either all results at the end or completion order.
 */

export interface InOrderLimits<T> {
  readonly weight?: (item: T) => number;
  /** Summed weight of the results held at once (running, or done and not yet taken). */
  readonly maxWeight?: number;
  /** Results held at once, done or not: a slow one at the head does not stop the others. @default 4 × concurrency */
  readonly lookahead?: number;
}

/**
 * `work(item)` for each item, at most `concurrency` running and at most `maxWeight` (summed
 * `weight(item)`) held at once, yielded in input order. A slot is taken again as soon as its work
 * is done, not when its result is taken, so one slow answer at the head leaves the others
 * running (up to `lookahead` results held). One item heavier than `maxWeight` still runs, alone.
 */
export async function* inOrder<T, R>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T) => Promise<R>,
  limits: InOrderLimits<T> = {},
): AsyncGenerator<R> {
  const pending: { promise: Promise<R>; weight: number }[] = [];
  const weightOf = limits.weight ?? (() => 0);
  const maxWeight = limits.maxWeight ?? Number.POSITIVE_INFINITY;
  const slots = Math.max(1, concurrency);
  const lookahead = Math.max(slots, limits.lookahead ?? 4 * slots);
  let running = 0;
  let held = 0;
  const iterator = items[Symbol.iterator]();
  let next = iterator.next();
  const done = () => {
    running -= 1;
    fill();
  };
  const fill = () => {
    while (!next.done && running < slots && pending.length < lookahead) {
      const w = weightOf(next.value);
      if (pending.length > 0 && held + w > maxWeight) break;
      running += 1;
      const promise = work(next.value);
      // Yielded (and awaited) in order later; a rejection before then must not be unhandled.
      promise.then(done, done);
      pending.push({ promise, weight: w });
      held += w;
      next = iterator.next();
    }
  };
  fill();
  while (pending.length > 0) {
    // The head stays counted as held until it has been taken.
    const head = pending[0]!;
    try {
      yield await head.promise;
    } finally {
      pending.shift();
      held -= head.weight;
    }
    fill();
  }
}

/** Runs `work` for every item, at most `concurrency` at once; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of inOrder(items, concurrency, work)) out.push(r);
  return out;
}
