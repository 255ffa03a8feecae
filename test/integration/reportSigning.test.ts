/**
 * Signed report packs: SHA256SUMS over every file, manifest.sig.json by a report-signing key
 * that is not the manifest key, files read-only, and verifyPack naming each file that differs.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKeyVerifier } from '../../lambdas/core/signing/PublicKeyVerifier.ts';
import { DuckDbEngine } from '../../lambdas/adapters/local/DuckDbEngine.ts';
import { Ed25519Signer } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { FolderReportSink } from '../../lambdas/adapters/local/FolderReportSink.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { reportSignerForArchive } from '../../lambdas/adapters/local/reportKey.ts';
import { collect } from '../../lambdas/core/collect/collect.ts';
import { sha256Hex } from '../../lambdas/core/archive/manifest.ts';
import { loadQueries } from '../../lambdas/adapters/local/loadQueries.ts';
import { buildReportPack } from '../../lambdas/core/reports/buildReportPack.ts';
import { verifyPack } from '../../lambdas/core/reports/packSigning.ts';
import { ScriptedSource, entry } from '../helpers/scriptedSource.ts';

const WS = 'ws-sign';
const eve = { id: '201', email: 'eve@example.test' };
let tmp: string;
let archiveDir: string;
let store: LocalObjectStore;
let engine: DuckDbEngine;
let keyDir: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'signing-'));
  archiveDir = path.join(tmp, 'archive');
  keyDir = path.join(tmp, 'keys');
  store = new LocalObjectStore(archiveDir);
  await collect(
    new ScriptedSource(
      [
        entry('s-1', '2026-02-03T10:00:00Z', 'app_data_export', eve, { export_type: 'users' }),
        entry('s-2', '2026-02-04T10:00:00Z', 'admin_login_success', eve),
      ],
      WS,
    ),
    store,
    {
      workspaceId: WS,
      since: Date.parse('2025-10-01T00:00:00Z') / 1000,
      until: Date.parse('2026-04-01T00:00:00Z') / 1000,
      windowSeconds: 30 * 86_400,
      runId: 'run-sign',
      collectorVersion: '0.0.0-test',
      now: () => new Date('2026-04-02T00:00:00Z'),
    },
  );
  engine = await DuckDbEngine.open(archiveDir);
});
afterAll(async () => {
  await engine.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function signedPack(extra: { bom?: boolean } = {}) {
  const out = path.join(tmp, `pack-${++n}`);
  const { reportSigner, publicKeyPath } = reportSignerForArchive(archiveDir, keyDir);
  await buildReportPack({
    quarter: '2026-Q1',
    queries: loadQueries(),
    engine,
    sink: new FolderReportSink(out),
    archive: store,
    workspaceIds: [WS],
    now: () => new Date('2026-04-02T06:00:00Z'),
    reportSigner,
    generator: { tool: 'intercom-audit-archive', version: '9.9.9-test', host: 'test-host', user: 'tester' },
    ...(extra.bom && { bom: true }),
  });
  const verifier = PublicKeyVerifier.fromPem(await fs.readFile(publicKeyPath));
  const check = async () => {
    const names = (await fs.readdir(out)).sort();
    return verifyPack({ names, read: (name) => fs.readFile(path.join(out, name)).catch(() => undefined), verifier });
  };
  return { out, verifier, check, manifest: JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8')) };
}

async function overwrite(file: string, change: (text: string) => string) {
  await fs.chmod(file, 0o644);
  await fs.writeFile(file, change(await fs.readFile(file, 'utf8')));
}

describe('a signed report pack', () => {
  it('lists every file in SHA256SUMS (sha256sum -c passes), signs it with the report key, and leaves files read-only', async () => {
    const { out, check, manifest, verifier } = await signedPack();
    const names = (await fs.readdir(out)).sort();
    expect(names).toEqual(expect.arrayContaining(['SHA256SUMS', 'manifest.sig.json', 'manifest.json', 'summary.html']));
    const sums = await fs.readFile(path.join(out, 'SHA256SUMS'), 'utf8');
    expect(
      sums
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(66))
        .sort(),
    ).toEqual(names.filter((f) => f !== 'SHA256SUMS' && f !== 'manifest.sig.json'));
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' })).toMatch(/manifest\.json: OK/);
    for (const name of names) expect((await fs.stat(path.join(out, name))).mode & 0o222).toBe(0);
    const result = await check();
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(manifest.report_signing_key).toEqual({
      fingerprint: verifier.fingerprint,
      key_id: expect.stringMatching(/^report:/),
      algorithm: 'ED25519',
    });
    expect(manifest.generator).toEqual({ tool: 'intercom-audit-archive', version: '9.9.9-test', host: 'test-host', user: 'tester' });
    expect(manifest.source_system.endpoints).toEqual([{ workspace_id: WS, api_host: 'api.scripted.test', api_version: '2.17' }]);
    expect(manifest.options).toEqual({ bom: false, allow_partial: false });
  });

  it('uses a report key that is not the manifest key', async () => {
    const { verifier } = await signedPack();
    const manifestKey = Ed25519Signer.forArchive(archiveDir, keyDir).verifier;
    expect(verifier.fingerprint).not.toBe(manifestKey.fingerprint);
  });

  it('fails on a tampered CSV, naming it', async () => {
    const { out, check } = await signedPack();
    await overwrite(path.join(out, 'gdpr_data_exports.csv'), (t) => t.replace('eve@example.test', 'mallory@example.test'));
    const result = await check();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        file: 'gdpr_data_exports.csv',
        message: expect.stringMatching(/^gdpr_data_exports\.csv differs: SHA-256 [0-9a-f]{64}, SHA256SUMS says [0-9a-f]{64}$/),
      },
    ]);
  });

  it('fails on a tampered manifest.json even when SHA256SUMS is recomputed', async () => {
    const { out, check } = await signedPack();
    await overwrite(path.join(out, 'manifest.json'), (t) => t.replace('"complete": true', '"complete": false'));
    const body = await fs.readFile(path.join(out, 'manifest.json'));
    await overwrite(path.join(out, 'SHA256SUMS'), (t) =>
      t.replace(/^[0-9a-f]{64} {2}manifest\.json$/m, `${sha256Hex(body)}  manifest.json`),
    );
    const result = await check();
    expect(result.problems.map((p) => p.file)).toEqual(['SHA256SUMS', 'manifest.json']);
    expect(result.problems[1]!.message).toMatch(/manifest\.json differs from the signed one/);
  });

  it('fails for a pack signed by another key, and names a file that is not part of the pack', async () => {
    const { out, check } = await signedPack();
    const other = PublicKeyVerifier.fromPem(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const names = (await fs.readdir(out)).sort();
    const wrongKey = await verifyPack({ names, read: (name) => fs.readFile(path.join(out, name)).catch(() => undefined), verifier: other });
    expect(wrongKey.problems).toEqual([
      { file: 'manifest.sig.json', message: expect.stringMatching(/^signed with key [0-9a-f]{64}, not with the key given/) },
    ]);
    await fs.chmod(out, 0o755);
    await fs.writeFile(path.join(out, 'extra.csv'), 'x');
    expect((await check()).problems).toEqual([{ file: 'extra.csv', message: 'extra.csv is not part of the signed pack' }]);
  });

  it('writes CSVs with a UTF-8 BOM with --bom and records the option', async () => {
    const { out, check, manifest } = await signedPack({ bom: true });
    const csv = await fs.readFile(path.join(out, 'gdpr_data_exports.csv'));
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.subarray(3, 11).toString()).toBe('time_utc');
    expect(manifest.options).toMatchObject({ bom: true });
    expect((await check()).ok).toBe(true);
  });
});
