import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../../../../lambdas/adapters/local/Ed25519Signer.ts';
import { manifestKey } from '../../../../lambdas/core/archive/keys.ts';
import { chainListedParts, readChainPart } from '../../../../lambdas/core/ocsf/chainListedParts.ts';
import type { ObjectStore } from '../../../../lambdas/core/ports.ts';
import { type RunningSimulator, startSimulator } from '../../../../simulator/server.ts';
import { MemoryObjectStore } from '../../../helpers/MemoryObjectStore.ts';
import { DAY, T0, runCollector } from '../../../helpers/collecting.ts';

let sim: RunningSimulator;
let tmp: string;
beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'chain-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});

const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

async function archive() {
  const keys = Ed25519Signer.forArchive(path.join(tmp, `a-${Math.random()}`), path.join(tmp, 'keys'));
  const store = new MemoryObjectStore();
  await runCollector(sim, store, { since: T0, until: T0 + 10 * DAY, windowSeconds: DAY / 4, signer: keys.signer });
  return { store, verifier: keys.verifier };
}

function countingGets(store: ObjectStore) {
  const manifests: string[] = [];
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'get')
        return async (key: string) => {
          if (key.startsWith('manifests/')) manifests.push(key);
          return target.get(key);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { counted, manifests };
}

describe('chainListedParts()', () => {
  it('lists exactly the parts the chain lists for the days asked', async () => {
    const { store, verifier } = await archive();
    const all = await chainListedParts(store, { fromDay: day(T0), toDay: day(T0 + 9 * DAY), verifier });
    expect(all.map((p) => p.key).sort()).toEqual(store.keys('activity_logs/').sort());
    const one = await chainListedParts(store, { fromDay: day(T0 + 3 * DAY), toDay: day(T0 + 3 * DAY), verifier });
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((p) => p.dt === day(T0 + 3 * DAY))).toBe(true);
    expect(one.map((p) => p.key)).toEqual(all.filter((p) => p.dt === day(T0 + 3 * DAY)).map((p) => p.key));
  });

  it('reads back only as far as the days asked need (a daily export does not walk years)', async () => {
    const { store, verifier } = await archive();
    const head = store.keys('manifests/').length - 1;
    const { counted, manifests } = countingGets(store);
    await chainListedParts(counted, { fromDay: day(T0 + 9 * DAY), toDay: day(T0 + 9 * DAY), verifier });
    expect(manifests.length).toBeLessThan(10);
    expect(head).toBeGreaterThan(30);
  });

  it('refuses a chain whose links are broken inside the walked range, and a part whose bytes changed', async () => {
    const { store, verifier } = await archive();
    const head = store.keys('manifests/').length - 1;
    const key = manifestKey('sim-acme', head - 2);
    const text = store.objects.get(key)!.toString().replace('"records":', '"records": ');
    store.objects.set(key, Buffer.from(text));
    await expect(chainListedParts(store, { fromDay: day(T0), toDay: day(T0 + 9 * DAY), verifier })).rejects.toThrow(
      /does not chain to the manifest before it/,
    );

    const fresh = await archive();
    const [part] = await chainListedParts(fresh.store, { fromDay: day(T0), toDay: day(T0), verifier: fresh.verifier });
    fresh.store.objects.set(part!.key, Buffer.from('not the archived bytes'));
    await expect(readChainPart(fresh.store, part!)).rejects.toThrow(/does not match the SHA-256 manifest/);
  });
});
