/**
 * Every canned query, run unmodified on DuckDB over a simulator archive, against the answer
 * computed independently in TypeScript from the simulator's own entries.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import type { Cell } from '../../lambdas/core/ports.ts';
import { bindValues, loadQueries } from '../../lambdas/core/queries/catalog.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { runCollector } from '../helpers/collecting.ts';
import { groundTruth } from '../helpers/groundTruth.ts';

const SINCE = Date.UTC(2025, 0, 1) / 1000;
const UNTIL = Date.UTC(2025, 6, 1) / 1000;
const PERIOD = { start_date: '2025-04-01', end_date: '2025-06-30' };
let sim: RunningSimulator;
let dir: string;
let engine: DuckDbEngine;
let truth: Record<string, Cell[][]>;

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + 86_400, dataset: { entriesPerDay: 150 } });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'duck-'));
  await runCollector(sim, new LocalObjectStore(dir), { since: SINCE, until: UNTIL, windowSeconds: 5 * 86_400 });
  engine = await DuckDbEngine.open(dir);
  truth = groundTruth(sim.workspace.entriesBetween(SINCE, UNTIL - 1), sim.workspace.workspaceId, PERIOD);
});
afterAll(async () => {
  await engine.close();
  await sim.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('canned queries on DuckDB', () => {
  it.each(loadQueries().map((q) => [q.name, q] as const))('%s matches the independent ground truth', async (name, query) => {
    const result = await engine.run(query.sql, bindValues(query, PERIOD));
    const expected = truth[name];
    expect(expected, `no ground truth for ${name}`).toBeDefined();
    expect(result.rows.length).toBe(expected!.length);
    expect(result.rows.length).toBeGreaterThan(0);
    expect(result.rows).toEqual(expected);
  });

  it('returns the same columns as an empty archive would (the view has the Glue columns)', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'duck-empty-'));
    const blank = await DuckDbEngine.open(empty);
    try {
      for (const query of loadQueries()) {
        const [a, b] = await Promise.all([blank.run(query.sql, bindValues(query, PERIOD)), engine.run(query.sql, bindValues(query, PERIOD))]);
        expect(a.columns).toEqual(b.columns);
        expect(a.rows).toEqual([]);
      }
    } finally {
      await blank.close();
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});
