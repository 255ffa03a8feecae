/**
 * The attacks of issue 12 through the CLI, as a folder writer without the key and as an
 * assessor with a copy: head receipts printed by collect (also with --quiet and after a failed
 * run), verify --expect-head / --max-head-age / --require-locks, a copied folder, a moved
 * archive, a planted key, keys rotate, and symlinks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKeyPaths, keyPaths } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { manifestKey } from '../../lambdas/core/archive/keys.ts';
import type { Manifest } from '../../lambdas/core/archive/manifest.ts';
import { chainKey } from '../../lambdas/core/signing/chainKey.ts';
import { signatureKey } from '../../lambdas/core/signing/signatures.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { DAY, T0 } from '../helpers/collecting.ts';
import { type CliRun as Run, runCli } from '../helpers/cli.ts';

const UNTIL = T0 + 6 * DAY;
const RECEIPT = /^head receipt: workspace=sim-acme seq=(\d+) sha256=([0-9a-f]{64})$/m;
let sim: RunningSimulator;
let tmp: string;

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + 30 * DAY });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-anchor-'));
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return runCli(args, { sim, keyDir: path.join(tmp, 'keys'), env });
}

const collect = (archive: string, until = UNTIL, extra: string[] = []) =>
  cli(['collect', '--archive', archive, '--since', String(T0), '--until', String(until), '--window', '1d', '--settle-lag', '0s', ...extra]);
const keyDir = () => path.join(tmp, 'keys');
async function publicKeyOf(archive: string, dir = keyDir()): Promise<string> {
  const key = await chainKey(new LocalObjectStore(archive), 'sim-acme');
  return fingerprintKeyPaths(dir, key!.fingerprint!).publicKey;
}
const receiptIn = (text: string) => RECEIPT.exec(text)?.[0];
const manifestAt = async (archive: string, seq: number) =>
  JSON.parse(await fs.readFile(path.join(archive, manifestKey('sim-acme', seq)), 'utf8')) as Manifest;

/** Deletes the newest n manifests, their signatures, parts, indexes, rosters and lock records: all a folder writer needs. */
async function deleteTail(archive: string, n: number): Promise<void> {
  const names = (await fs.readdir(path.join(archive, 'manifests/workspace=sim-acme'))).sort();
  const last = names.length - 1;
  for (let seq = last - n + 1; seq <= last; seq++) {
    const m = await manifestAt(archive, seq);
    for (const key of [
      ...m.parts.map((p) => p.key),
      ...m.quarantine.map((p) => p.key),
      ...(m.index ? [m.index.key] : []),
      ...(m.roster ? [m.roster.key] : []),
      manifestKey('sim-acme', seq),
      signatureKey('sim-acme', seq),
    ]) {
      await fs.rm(path.join(archive, key), { force: true });
      await fs.rm(path.join(archive, '.object-lock', `${key}.retention.json`), { force: true });
    }
  }
  await fs.rm(path.join(archive, '.cache'), { recursive: true, force: true });
}

describe('collect prints a head receipt', () => {
  it('on stdout in the exact line format, the same one verify prints for the clean chain', async () => {
    const archive = path.join(tmp, 'receipt');
    const run = await collect(archive);
    expect(run.code).toBe(0);
    const receipt = receiptIn(run.stdout)!;
    expect(receipt).toBeDefined();
    const m = RECEIPT.exec(receipt)!;
    const names = await fs.readdir(path.join(archive, 'manifests/workspace=sim-acme'));
    expect(Number(m[1])).toBe(names.length - 1);
    const report = path.join(tmp, 'receipt-report.json');
    const verify = await cli(['verify', '--archive', archive, '--public-key', await publicKeyOf(archive), '--report', report]);
    expect(verify.code).toBe(0);
    expect(receiptIn(verify.stdout)).toBe(receipt);
    expect(JSON.parse(await fs.readFile(report, 'utf8')).head_receipts).toEqual([
      expect.objectContaining({ workspace_id: 'sim-acme', seq: Number(m[1]), sha256: m[2], line: receipt }),
    ]);
    expect(await fs.readFile(path.join(tmp, 'receipt-report.summary.md'), 'utf8')).toContain(receipt);
  });

  it('also with --quiet', async () => {
    const archive = path.join(tmp, 'quiet');
    const run = await collect(archive, UNTIL, ['--quiet']);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/window /);
    expect(receiptIn(run.stdout)).toBeDefined();
  });

  it('also after a run that failed after writing something', async () => {
    const archive = path.join(tmp, 'failed');
    // A symlink where day 4's parts would go: the run writes days 1–3, then stops with an error.
    const day4 = path.join(archive, 'activity_logs/workspace=sim-acme', `dt=${new Date((T0 + 3 * DAY) * 1000).toISOString().slice(0, 10)}`);
    await fs.mkdir(path.dirname(day4), { recursive: true });
    await fs.symlink(os.tmpdir(), day4);
    const run = await collect(archive);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/inside the archive is a symbolic link/);
    const m = RECEIPT.exec(run.stdout)!;
    expect(m).not.toBeNull();
    expect((await manifestAt(archive, Number(m[1]))).to).toBe(T0 + 3 * DAY);
  });
});

describe('verify anchored outside the archive', () => {
  let archive: string;
  let receipt: string;
  let publicKey: string;
  beforeAll(async () => {
    archive = path.join(tmp, 'truncated');
    const run = await collect(archive);
    receipt = receiptIn(run.stdout)!;
    publicKey = await publicKeyOf(archive);
    await deleteTail(archive, 3);
  });

  it('reproduces the attack: without a receipt, the truncated archive verifies (exit 0)', async () => {
    const run = await cli(['verify', '--archive', archive, '--public-key', publicKey]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('OK:');
  });

  it.each([
    ['the printed line', () => receipt],
    ['<workspace>:<seq>:<sha256>', () => receipt.replace(RECEIPT, 'sim-acme:$1:$2')],
  ])('exits 1 with --expect-head given as %s', async (_name, form) => {
    const run = await cli(['verify', '--archive', archive, '--public-key', publicKey, '--expect-head', form()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /\[head-missing\] the chain of workspace sim-acme ends at seq \d+, but a head receipt says it reached seq \d+/,
    );
    expect(receiptIn(run.stdout)).toBeUndefined();
  });

  it('takes --expect-head more than once', async () => {
    const run = await cli([
      'verify',
      '--archive',
      archive,
      '--public-key',
      publicKey,
      '--expect-head',
      'sim-acme:0:' + 'ab'.repeat(32),
      '--expect-head',
      receipt,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[head-mismatch]');
    expect(run.stdout).toContain('[head-missing]');
  });

  it('exits 1 with --max-head-age when the newest window is older than allowed', async () => {
    const run = await cli(['verify', '--archive', archive, '--public-key', publicKey, '--max-head-age', '1d']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\[head-stale\] the newest window of workspace sim-acme ends at/);
  });

  it('exits 2 for a receipt it cannot read, saying which forms it takes', async () => {
    const run = await cli(['verify', '--archive', archive, '--public-key', publicKey, '--expect-head', 'yesterday']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--expect-head: 'yesterday' is not a head receipt; give <workspace>:<seq>:<sha256>/);
  });
});

describe('verify a copy anywhere', () => {
  it('verifies a copied folder (exit 0) with one note, and fails it with --require-locks', async () => {
    const archive = path.join(tmp, 'receipt');
    const copy = path.join(tmp, 'copy-of-receipt');
    for (const area of ['activity_logs', 'quarantine', 'manifests', 'signatures']) {
      await fs.cp(path.join(archive, area), path.join(copy, area), { recursive: true }).catch(() => undefined);
    }
    const publicKey = await publicKeyOf(archive);
    const run = await cli(['verify', '--archive', copy, '--public-key', publicKey]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('[not-locked]');
    expect(run.stdout.match(/not checked: this folder has no lock records \(a copy\?\)/g)).toHaveLength(1);
    const strict = await cli(['verify', '--archive', copy, '--public-key', publicKey, '--require-locks']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('[lock-records-missing]');
  });
});

describe('one key per chain', () => {
  it('keeps the key of a moved archive: the next collect signs with it, without creating another', async () => {
    const archive = path.join(tmp, 'to-move');
    expect((await collect(archive, T0 + 3 * DAY)).code).toBe(0);
    const publicKey = await publicKeyOf(archive);
    const moved = path.join(tmp, 'elsewhere', 'moved');
    await fs.mkdir(path.dirname(moved), { recursive: true });
    await fs.rename(archive, moved);
    const run = await collect(moved);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/created this archive's signing key pair/);
    expect((await cli(['verify', '--archive', moved, '--public-key', publicKey])).code).toBe(0);
  });

  it('migrates a key under its old path-hash name once, after the archive was moved', async () => {
    const dir = path.join(tmp, 'legacy-keys');
    await fs.mkdir(dir, { mode: 0o700 });
    const archive = path.join(tmp, 'legacy');
    const env = { AUDIT_ARCHIVE_KEY_DIR: dir };
    expect(
      (
        await cli(
          ['collect', '--archive', archive, '--since', String(T0), '--until', String(T0 + 2 * DAY), '--window', '1d', '--settle-lag', '0s'],
          env,
        )
      ).code,
    ).toBe(0);
    // Make the key folder look like an older version's: the pair under a hash of the archive's path only.
    const fp = (await chainKey(new LocalObjectStore(archive), 'sim-acme'))!.fingerprint!;
    const legacy = keyPaths(archive, dir);
    await fs.rename(fingerprintKeyPaths(dir, fp).privateKey, legacy.privateKey);
    await fs.rename(fingerprintKeyPaths(dir, fp).publicKey, legacy.publicKey);
    const moved = path.join(tmp, 'legacy-moved');
    await fs.rename(archive, moved);
    const run = await cli(['collect', '--archive', moved, '--until', String(T0 + 3 * DAY), '--window', '1d', '--settle-lag', '0s'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`found this archive's signing key under its old name ${legacy.privateKey}`);
    const again = await cli(['collect', '--archive', moved, '--until', String(T0 + 4 * DAY), '--window', '1d', '--settle-lag', '0s'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('old name');
    expect((await cli(['verify', '--archive', moved, '--public-key', legacy.publicKey], env)).code).toBe(0);
  });

  it('refuses a planted private key that others can read (0644), with exit 2 and how to fix it', async () => {
    const dir = path.join(tmp, 'planted-keys');
    await fs.mkdir(dir, { mode: 0o700 });
    const archive = path.join(tmp, 'planted');
    const legacy = keyPaths(archive, dir);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await fs.writeFile(legacy.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await fs.chmod(legacy.privateKey, 0o644);
    await fs.writeFile(legacy.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
    const run = await cli(
      ['collect', '--archive', archive, '--since', String(T0), '--until', String(T0 + DAY), '--window', '1d', '--settle-lag', '0s'],
      { AUDIT_ARCHIVE_KEY_DIR: dir },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing the private key .*\(mode 644\).*chmod 600/);
    await expect(fs.stat(path.join(archive, 'signatures'))).rejects.toThrow();
  });

  it('refuses a world-writable key folder, with exit 2 and how to fix it', async () => {
    const dir = path.join(tmp, 'open-keys');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o777);
    const run = await cli(
      [
        'collect',
        '--archive',
        path.join(tmp, 'open'),
        '--since',
        String(T0),
        '--until',
        String(T0 + DAY),
        '--window',
        '1d',
        '--settle-lag',
        '0s',
      ],
      { AUDIT_ARCHIVE_KEY_DIR: dir },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing the signing key folder .*writable by group and others \(mode 777\).*chmod 700/);
  });

  it('refuses to continue a chain whose key is not in the key folder (exit 2), rather than start a second key', async () => {
    const archive = path.join(tmp, 'receipt');
    const empty = path.join(tmp, 'empty-keys');
    await fs.mkdir(empty, { mode: 0o700 });
    const run = await cli(['collect', '--archive', archive, '--until', String(UNTIL + DAY), '--window', '1d', '--settle-lag', '0s'], {
      AUDIT_ARCHIVE_KEY_DIR: empty,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/this archive's chain is signed with key [0-9a-f]{64}, which is not in the key folder/);
    expect(await fs.readdir(empty)).toEqual([]);
  });

  it('never creates a new key for a chain whose signatures were deleted (exit 2), so no fresh key signs a forged head', async () => {
    const archive = path.join(tmp, 'unsigned');
    const dir = path.join(tmp, 'unsigned-keys');
    await fs.mkdir(dir, { mode: 0o700 });
    const env = { AUDIT_ARCHIVE_KEY_DIR: dir };
    expect(
      (
        await cli(
          ['collect', '--archive', archive, '--since', String(T0), '--until', String(T0 + 2 * DAY), '--window', '1d', '--settle-lag', '0s'],
          env,
        )
      ).code,
    ).toBe(0);
    const before = (await fs.readdir(dir)).sort();
    await fs.rm(path.join(archive, 'signatures'), { recursive: true, force: true });
    await fs.rm(path.join(archive, '.object-lock', 'signatures'), { recursive: true, force: true });
    // The archive's key is still in the folder, but nothing in the archive names it any more.
    const run = await cli(['collect', '--archive', archive, '--until', String(T0 + 3 * DAY), '--window', '1d', '--settle-lag', '0s'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/chain holds 3 manifests but not one signature.*A new key is never created for an existing chain/);
    expect((await fs.readdir(dir)).sort()).toEqual(before);
    await expect(fs.stat(path.join(archive, 'signatures'))).rejects.toThrow();
  });

  it('rotates on purpose with keys rotate: the record is followed by verify with the old key and with the new', async () => {
    const archive = path.join(tmp, 'rotate');
    expect((await collect(archive, T0 + 3 * DAY)).code).toBe(0);
    const oldKey = await publicKeyOf(archive);
    const rotate = await cli(['keys', 'rotate', '--archive', archive]);
    expect(rotate.code).toBe(0);
    const m =
      /signing key rotated from ([0-9a-f]{64}) to ([0-9a-f]{64}); the new key signs from manifest (\d+) on \((keys\/workspace=sim-acme\/\d{12}\.json)\)/.exec(
        rotate.stdout,
      )!;
    expect(m).not.toBeNull();
    await fs.access(path.join(archive, m[4]!));
    expect((await collect(archive)).code).toBe(0);
    const newKey = fingerprintKeyPaths(keyDir(), m[2]!).publicKey;
    expect(await publicKeyOf(archive)).toBe(newKey);
    const withOld = await cli(['verify', '--archive', archive, '--public-key', oldKey]);
    expect(withOld.code).toBe(0);
    expect((await cli(['verify', '--archive', archive, '--public-key', newKey])).code).toBe(0);
    // Deleting the rotation record breaks the chain for the old key.
    await fs.chmod(path.join(archive, m[4]!), 0o644);
    await fs.rm(path.join(archive, m[4]!));
    const broken = await cli(['verify', '--archive', archive, '--public-key', oldKey]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('[signature-invalid]');
  });
});
