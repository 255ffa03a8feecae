import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { sha256Hex } from '../../lambdas/core/archive/manifest.ts';
import { chainListedParts } from '../../lambdas/core/ocsf/chainListedParts.ts';
import { runExportOcsf } from '../../cli/commands/export.ts';
import { runCli } from '../../cli/program.ts';
import type { Output } from '../../cli/output.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { archivedLines } from '../helpers/archive.ts';
import { DAY, T0, runCollector } from '../helpers/collecting.ts';
import { OcsfSchema } from '../helpers/ocsfSchema.ts';

const quiet: Output = {
  tty: false,
  info: () => undefined,
  warn: () => undefined,
  progress: () => ({ update() {}, setTotal() {}, stop() {} }),
};
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

function files(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? files(root, full) : [path.relative(root, full).split(path.sep).join('/')];
  });
}

let sim: RunningSimulator;
let tmp: string;
let archive: string;
let publicKey: string;
let store: LocalObjectStore;

beforeAll(async () => {
  sim = await startSimulator({ now: () => T0 + 30 * DAY });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'export-ocsf-'));
  archive = path.join(tmp, 'archive');
  const keys = Ed25519Signer.forArchive(archive, path.join(tmp, 'keys'));
  publicKey = keys.publicKeyPath;
  store = new LocalObjectStore(archive);
  await runCollector(sim, store, { since: T0, until: T0 + 3 * DAY, windowSeconds: DAY, signer: keys.signer });
  // Someone with write access plants a part the chain does not list, inside the exported range.
  const planted = gzipSync(
    `${JSON.stringify({ id: 'planted-1', workspace_id: 'sim-acme', created_at: T0 + 3600, activity_type: 'app_data_export', source: '{}' })}\n`,
  );
  await store.putIfAbsent(
    `activity_logs/workspace=sim-acme/dt=${day(T0)}/${'20990101T000000Z'}-part-00001.jsonl.gz`,
    planted,
    sha256Hex(planted),
  );
});
afterAll(async () => {
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('export ocsf', () => {
  it('writes one class per object in the Security Lake custom-source layout, every chain-listed entry once, nothing planted', async () => {
    const out = path.join(tmp, 'out-jsonl');
    const result = await runExportOcsf(
      { archive, from: day(T0), to: day(T0 + 2 * DAY), out, format: 'jsonl', region: 'eu-west-1', accountId: '123456789012', publicKey },
      quiet,
    );
    const listed = (await archivedLines(store)).filter((l) => l.id !== 'planted-1');
    expect(result.events).toBe(listed.length);
    const schema = new OcsfSchema();
    const seen: string[] = [];
    for (const file of files(out)) {
      expect(file).toMatch(
        /^ext\/intercom_(auth|account|entity|access|webres)\/region=eu-west-1\/accountId=123456789012\/eventDay=\d{8}\/sim-acme-\d{8}-[0-9a-f]{16}\.jsonl$/,
      );
      const events = readFileSync(path.join(out, file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(new Set(events.map((e) => e.class_uid)).size).toBe(1);
      const eventDay = /eventDay=(\d{8})/.exec(file)![1];
      for (const event of events) {
        expect(schema.validate(event)).toEqual([]);
        expect(new Date(event.time).toISOString().slice(0, 10).replace(/-/g, '')).toBe(eventDay);
        seen.push(event.metadata.uid);
      }
    }
    expect(seen.sort()).toEqual(listed.map((l) => String(l.id)).sort());
    expect(seen).not.toContain('planted-1');
  });

  it('writes Parquet through DuckDB that reads back as the same events, and a rerun writes the same objects', async () => {
    const out = path.join(tmp, 'out-parquet');
    const options = {
      archive,
      from: day(T0),
      to: day(T0),
      out,
      format: 'parquet' as const,
      region: 'us-east-1',
      accountId: '000000000000',
      publicKey,
    };
    const first = await runExportOcsf(options, quiet);
    const again = await runExportOcsf(options, quiet);
    expect(again.objects.map((o) => o.key)).toEqual(first.objects.map((o) => o.key));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      let total = 0;
      for (const object of first.objects) {
        const file = path.join(out, object.key).replace(/'/g, "''");
        const rows = (
          await connection.runAndReadAll(`SELECT DISTINCT class_uid, metadata.version, count(*) OVER () FROM '${file}'`)
        ).getRows();
        expect(rows).toHaveLength(1);
        expect(rows[0]![1]).toBe('1.1.0');
        total += Number(rows[0]![2]);
        const unmapped = (await connection.runAndReadAll(`SELECT unmapped['archive'] FROM '${file}' LIMIT 1`)).getRows()[0]![0];
        expect(JSON.parse(String(unmapped))).toMatchObject({
          part_key: expect.stringMatching(/^activity_logs\//),
          manifest_seq: expect.any(Number),
        });
      }
      expect(total).toBe(first.events);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('reads only parts a signed chain lists: a forged head is refused', async () => {
    const { verifier } = Ed25519Signer.forArchive(path.join(tmp, 'other'), path.join(tmp, 'other-keys'));
    await expect(chainListedParts(store, { fromDay: day(T0), toDay: day(T0), verifier })).rejects.toThrow(/has no valid signature/);
  });

  it('is registered on the CLI and rejects a bad day with exit code 2', async () => {
    expect(
      await runCli(['export', 'ocsf', '--archive', archive, '--from', '2026-13-01', '--to', '2026-01-02', '--out', path.join(tmp, 'x')]),
    ).toBe(2);
    expect(
      await runCli([
        'export',
        'ocsf',
        '--archive',
        archive,
        '--from',
        '2026-01-01',
        '--to',
        '2026-01-02',
        '--out',
        path.join(tmp, 'x'),
        '--workspace',
        '../etc',
      ]),
    ).toBe(2);
    expect(
      await runCli([
        'export',
        'ocsf',
        '--archive',
        archive,
        '--from',
        '2026-01-01',
        '--to',
        '2026-01-02',
        '--out',
        path.join(tmp, 'x'),
        '--format',
        'csv',
      ]),
    ).toBe(2);
  });
});
