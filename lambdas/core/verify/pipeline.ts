/**
 * Bounded, ordered concurrency for verify's reads. Hand-written because verify needs results in
 * input order with a bounded look-ahead (so memory stays bounded and the chain is walked in seq
 * order): p-map and p-limit give either all results at the end or completion order.
 */

/**
 * `work(item)` for each item, at most `concurrency` running and at most `maxWeight` (summed
 * `weight(item)`) held at once, yielded in input order. One item heavier than `maxWeight` still
 * runs, alone.
 */
export async function* inOrder<T, R>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T) => Promise<R>,
  limits: { readonly weight?: (item: T) => number; readonly maxWeight?: number } = {},
): AsyncGenerator<R> {
  const pending: { promise: Promise<R>; weight: number }[] = [];
  const weightOf = limits.weight ?? (() => 0);
  const maxWeight = limits.maxWeight ?? Number.POSITIVE_INFINITY;
  let held = 0;
  const iterator = items[Symbol.iterator]();
  let next = iterator.next();
  const fill = () => {
    while (!next.done && pending.length < Math.max(1, concurrency)) {
      const w = weightOf(next.value);
      if (pending.length > 0 && held + w > maxWeight) break;
      const promise = work(next.value);
      // Yielded (and awaited) in order later; a rejection before then must not be unhandled.
      promise.catch(() => undefined);
      pending.push({ promise, weight: w });
      held += w;
      next = iterator.next();
    }
  };
  fill();
  while (pending.length > 0) {
    const head = pending.shift()!;
    try {
      yield await head.promise;
    } finally {
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
