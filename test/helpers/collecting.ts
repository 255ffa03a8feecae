/** Shared wiring for collector tests: a simulator, a client without real sleeps, and the core. */
import { type CollectSettings, collect } from '../../lambdas/core/collect/collect.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { IntercomClient } from '../../lambdas/adapters/intercom/IntercomClient.ts';
import type { RunningSimulator } from '../../simulator/server.ts';

export const DAY = 86_400;
/** A Monday inside the simulated history. */
export const T0 = Date.UTC(2025, 2, 3) / 1000;

export function simClient(sim: RunningSimulator, extra: Partial<ConstructorParameters<typeof IntercomClient>[0]> = {}) {
  return new IntercomClient({ token: sim.token, baseUrl: sim.url, sleep: async () => undefined, timeoutMs: 500, maxRetries: 12, ...extra });
}

export function runCollector(sim: RunningSimulator, store: ObjectStore, settings: Partial<CollectSettings> & { until: number }) {
  return collect(simClient(sim), store, {
    workspaceId: sim.workspace.workspaceId,
    runId: 'run-test',
    collectorVersion: '0.0.0-test',
    windowSeconds: 2 * DAY,
    ...settings,
  });
}

/** A store that throws (like a killed process) at its n-th put, before or after writing. */
export function crashingStore<T extends ObjectStore>(inner: T, crashAtPut: number, when: 'before' | 'after'): T {
  let puts = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'putIfAbsent') {
        return async (key: string, body: Buffer, sha256: string) => {
          puts += 1;
          if (puts === crashAtPut && when === 'before') throw new Error(`simulated crash before writing ${key}`);
          const result = await target.putIfAbsent(key, body, sha256);
          if (puts === crashAtPut && when === 'after') throw new Error(`simulated crash after writing ${key}`);
          return result;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
