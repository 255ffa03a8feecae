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
import { bindValues } from '../../lambdas/core/queries/catalog.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { runCollector } from '../helpers/collecting.ts';
import { groundTruth } from '../helpers/groundTruth.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { buildReportPack, reportDays } from '../../lambdas/core/reports/buildReportPack.ts';
import { toCsv } from '../../lambdas/core/reports/csv.ts';
import { sha256Hex } from '../../lambdas/core/archive/manifest.ts';

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

  it('builds a report pack whose CSVs match the ground truth byte for byte, with a manifest to re-perform it', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'pack-'));
    try {
      const queries = loadQueries();
      const { manifest } = await buildReportPack({
        quarter: '2025-Q2',
        queries,
        engine,
        sink: new FolderReportSink(out),
        archive: new LocalObjectStore(dir),
        workspaceIds: ['sim-acme'],
        now: () => new Date('2025-07-02T06:00:00Z'),
      });
      for (const query of queries) {
        const columns = (await engine.run(query.sql, bindValues(query, PERIOD))).columns;
        const csv = await fs.readFile(path.join(out, `${query.name}.csv`));
        expect(csv.equals(toCsv({ columns, rows: truth[query.name]! })), `${query.name}.csv`).toBe(true);
      }
      const written = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
      expect(written).toEqual(JSON.parse(JSON.stringify(manifest)));
      expect(written.period).toMatchObject({ start_date: '2025-04-01', end_date: '2025-06-30' });
      expect(written.engine).toMatch(/^duckdb/);
      expect(written.archive.manifest_heads).toEqual([
        expect.objectContaining({ workspaceId: 'sim-acme', seq: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      ]);
      for (const file of written.files as { name: string; sha256: string }[]) {
        expect(sha256Hex(await fs.readFile(path.join(out, file.name)))).toBe(file.sha256);
      }
      const exportsEntry = written.queries.find((q: { name: string }) => q.name === 'gdpr_data_exports');
      expect(exportsEntry).toMatchObject({
        rows: truth.gdpr_data_exports!.length,
        parameters: [
          { name: 'start_date', value: '2025-04-01' },
          { name: 'end_date', value: '2025-06-30' },
        ],
      });
      expect(exportsEntry.sql).toContain('FROM activity_logs');
      const html = await fs.readFile(path.join(out, 'summary.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/<script|https?:\/\/|<link /i);
      expect(html).toContain('Data exports per teammate');
      // A pack is evidence: writing it again into the same folder is refused.
      await expect(
        buildReportPack({
          quarter: '2025-Q2',
          queries,
          engine,
          sink: new FolderReportSink(out),
          archive: new LocalObjectStore(dir),
          workspaceIds: ['sim-acme'],
        }),
      ).rejects.toThrow(/already exists; a report pack is evidence/);
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });

  it('writes the summary in Japanese on request', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'pack-ja-'));
    try {
      await buildReportPack({
        quarter: '2025-Q2',
        queries: loadQueries(),
        engine,
        sink: new FolderReportSink(out),
        archive: new LocalObjectStore(dir),
        workspaceIds: ['sim-acme'],
        lang: 'ja',
      });
      const html = await fs.readFile(path.join(out, 'summary.html'), 'utf8');
      expect(html).toContain('<html lang="ja">');
      expect(html).toContain('コンプライアンスレポート');
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });

  it('answers the same with the report cache, inside and outside the cached days', async () => {
    const cached = await DuckDbEngine.open(dir, { cacheDays: reportDays('2025-Q2') });
    try {
      for (const query of loadQueries()) {
        for (const period of [PERIOD, { start_date: '2025-01-01', end_date: '2025-01-31' }]) {
          const [a, b] = await Promise.all([
            cached.run(query.sql, bindValues(query, period)),
            engine.run(query.sql, bindValues(query, period)),
          ]);
          expect(a, `${query.name} ${period.start_date}`).toEqual(b);
        }
      }
    } finally {
      await cached.close();
    }
  });

  it('returns the same columns as an empty archive would (the view has the Glue columns)', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'duck-empty-'));
    const blank = await DuckDbEngine.open(empty);
    try {
      for (const query of loadQueries()) {
        const [a, b] = await Promise.all([
          blank.run(query.sql, bindValues(query, PERIOD)),
          engine.run(query.sql, bindValues(query, PERIOD)),
        ]);
        expect(a.columns).toEqual(b.columns);
        expect(a.rows).toEqual([]);
      }
    } finally {
      await blank.close();
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});
