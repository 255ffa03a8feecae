/**
 * The CLI as a user (or a check script) drives it: real child processes, exit codes,
 * SIGKILL at exact write stages and at random instants, then a rerun.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { fingerprintKeyPaths } from '../../lambdas/adapters/local/Ed25519Signer.ts';
import { chainKey } from '../../lambdas/core/signing/chainKey.ts';
import { reportKeyPaths } from '../../lambdas/adapters/local/reportKey.ts';
import { verifyArchive } from '../../lambdas/core/verify/verify.ts';
import { COLLECTOR_VERSION } from '../../lambdas/core/version.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { archivedLines, duplicateIds } from '../helpers/archive.ts';
import { DAY, T0 } from '../helpers/collecting.ts';
import { KILL_POINTS, RANDOM_KILL_INSTANTS } from '../reliability/cases.ts';
import { type CliRun as Run, runCli } from '../helpers/cli.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UNTIL = T0 + 20 * DAY;
let sim: RunningSimulator;
let tmp: string;

beforeAll(async () => {
  sim = await startSimulator({ now: () => UNTIL + 3600, faults: { latencyMs: 3 } });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-'));
});
afterAll(async () => {
  await sim.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
  killAfterMs?: number,
  entry = ['--import', 'tsx', path.join(ROOT, 'cli/main.ts')],
): Promise<Run> {
  return runCli(args, { sim, keyDir: path.join(tmp, 'keys'), env, entry, ...(killAfterMs !== undefined && { killAfterMs }) });
}

/** The public key file of the key an archive's chain names (key files are named by fingerprint). */
async function publicKeyOf(archive: string, workspace = 'sim-acme'): Promise<string> {
  const key = await chainKey(new LocalObjectStore(archive), workspace);
  return fingerprintKeyPaths(path.join(tmp, 'keys'), key!.fingerprint!).publicKey;
}

const collectArgs = (archive: string, extra: string[] = []) => [
  'collect',
  '--archive',
  archive,
  '--since',
  String(T0),
  '--until',
  String(UNTIL),
  '--window',
  '2d',
  '--settle-lag',
  '0s',
  ...extra,
];

async function expectExactlyOnceAndVerified(archive: string) {
  const store = new LocalObjectStore(archive);
  const lines = await archivedLines(store);
  expect(duplicateIds(lines)).toEqual([]);
  expect(lines.map((l) => l.id as string).sort()).toEqual(
    sim.workspace
      .entriesBetween(T0, UNTIL - 1)
      .map((e) => e.id)
      .sort(),
  );
  const result = await verifyArchive(store);
  expect(result.problems).toEqual([]);
  const verify = await cli(['verify', '--archive', archive]);
  expect(verify.code).toBe(0);
  expect(verify.stdout).toContain('OK:');
}

describe('audit-archive CLI', () => {
  it('collects, reports a summary, and verifies with exit code 0', async () => {
    const archive = path.join(tmp, 'plain');
    const run = await cli(collectArgs(archive));
    expect(run.stderr).toMatch(/new archive .* workspace sim-acme/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/this run: \d+ entries in 10 windows/);
    await expectExactlyOnceAndVerified(archive);
    // Every line has id, activity_type and created_at in UNIX seconds.
    for (const line of (await archivedLines(new LocalObjectStore(archive))).slice(0, 100)) {
      expect(line).toMatchObject({ id: expect.any(String), activity_type: expect.any(String), created_at: expect.any(Number) });
    }
  });

  it('exits 1 from verify when the archive was tampered with, naming the object', async () => {
    const archive = path.join(tmp, 'tampered');
    expect((await cli(collectArgs(archive, ['--until', String(T0 + 2 * DAY)]))).code).toBe(0);
    const store = new LocalObjectStore(archive);
    let victim = '';
    for await (const o of store.list('activity_logs/')) victim ||= o.key;
    const file = path.join(archive, victim);
    await fs.chmod(file, 0o644);
    await fs.appendFile(file, 'x');
    const run = await cli(['verify', '--archive', archive]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[part-altered] ${victim} is grown to`);
  });

  it.each([
    ['an unknown flag', ['collect', '--archive', 'x', '--bogus'], /unknown option '--bogus'/],
    ['a missing required flag', ['collect'], /required option '--archive <dir>' not specified/],
    ['a bad --since', ['collect', '--archive', 'x', '--since', 'last tuesday'], /--since: 'last tuesday' is not a time/],
    [
      'a bad --window',
      ['collect', '--archive', 'x', '--since', '2025-01-01', '--window', 'forever'],
      /--window: 'forever' is not a duration/,
    ],
    ['a bad --region', ['collect', '--archive', 'x', '--region', 'mars'], /Allowed choices are us, eu, au/],
    [
      'a bad --request-timeout',
      ['collect', '--archive', 'x', '--since', '2025-01-01', '--request-timeout', '0s'],
      /--request-timeout: '0s' is not a duration from 1s to 600s/,
    ],
    [
      'a bad --budget-share',
      ['collect', '--archive', 'x', '--since', '2025-01-01', '--budget-share', '2'],
      /--budget-share: '2' is not a number from 0.01 to 1/,
    ],
    [
      'a bad --lock-wait',
      ['collect', '--archive', 'x', '--since', '2025-01-01', '--lock-wait', 'forever'],
      /--lock-wait: 'forever' is not a duration from 0s to 86400s/,
    ],
    [
      'a bad --max-page-mb',
      ['collect', '--archive', 'x', '--since', '2025-01-01', '--max-page-mb', '0'],
      /--max-page-mb: '0' is not a number from 0.001 to 1024/,
    ],
    [
      'verify of a folder that does not exist',
      ['verify', '--archive', '/nonexistent/archive'],
      /--archive: '\/nonexistent\/archive' is not a folder/,
    ],
  ])('exits 2 for %s, saying what is wrong', async (_name, args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 when the token is missing, naming the variable', async () => {
    const run = await cli(collectArgs(path.join(tmp, 'no-token')), { INTERCOM_ACCESS_TOKEN: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('INTERCOM_ACCESS_TOKEN is not set');
  });

  it('exits 2 for a token with a line break in it, and never prints it', async () => {
    const run = await cli(collectArgs(path.join(tmp, 'newline-token')), { INTERCOM_ACCESS_TOKEN: 'SECRET-PART-ONE\nSECRET-PART-TWO' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/INTERCOM_ACCESS_TOKEN: the access token contains whitespace, a line break/);
    expect(run.stdout + run.stderr).not.toContain('SECRET');
  });

  it('exits 2 with --lock-wait 0s when another host holds the lock, naming it, and takes a dead one over at once', async () => {
    const archive = path.join(tmp, 'foreign-lock');
    await fs.mkdir(path.join(archive, '.locks'), { recursive: true });
    const foreign = {
      format: 'intercom-audit-archive/lock/v1',
      gen: 7,
      pid: 4242,
      host: 'other-host',
      boot_id: 'another-kernel',
      pid_ns: 'pid:[1]',
      proc_start: '1',
      started_at: '2026-01-01T00:00:00.000Z',
      lease_ms: 30_000,
    };
    await fs.writeFile(path.join(archive, '.locks', '000000000007.json'), JSON.stringify(foreign));
    const run = await cli(collectArgs(archive, ['--lock-wait', '0s', '--until', String(T0 + DAY)]));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /the archive is locked by collector pid 4242 on other-host, running since 2026-01-01T00:00:00.000Z, which this host cannot check/,
    );
    if (process.platform !== 'linux') return;
    // The same lock written on this host before a reboot is dead at once (Linux: another boot id).
    await fs.writeFile(path.join(archive, '.locks', '000000000008.json'), JSON.stringify({ ...foreign, gen: 8, host: os.hostname() }));
    expect((await cli(collectArgs(archive, ['--lock-wait', '0s', '--until', String(T0 + DAY)]))).code).toBe(0);
  });

  it('exits 2 when Intercom rejects the token, and never prints it', async () => {
    const secret = 'dG9rOnNlY3JldC12YWx1ZS0xMjM0NQ==';
    const run = await cli(collectArgs(path.join(tmp, 'bad-token'), ['--workspace', 'sim-acme']), { INTERCOM_ACCESS_TOKEN: secret });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("lacks the 'Read admin activity logs' permission");
    expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('exits 1 when Intercom cannot be reached', async () => {
    const archive = path.join(tmp, 'unreachable');
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const run = await cli(collectArgs(archive, ['--workspace', 'sim-acme', '--max-retries', '1']), {
      INTERCOM_API_URL: `http://127.0.0.1:${closed}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Intercom kept failing after 2 attempts \(network: ECONNREFUSED\)/);
  });

  it('never writes the token into the archive or its output', async () => {
    const archive = path.join(tmp, 'plain');
    const files = await fs.readdir(archive, { recursive: true });
    for (const file of files) {
      const full = path.join(archive, file);
      if ((await fs.stat(full)).isFile()) expect(readFileSync(full).includes(sim.token)).toBe(false);
    }
  });

  it('runs as the package bin audit-archive', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/audit-archive.mjs'), '--version'], { cwd: ROOT });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))));
    });
    expect(out.trim()).toBe(COLLECTOR_VERSION);
  });

  it('serves the simulator with simulate and prints its URL and token', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli/main.ts'), 'simulate', '--faults', 'latency=1'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let text = '';
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => {
          text += d;
          if (text.includes('press Ctrl-C')) resolve();
        });
      });
      const url = /INTERCOM_API_URL=(\S+)/.exec(text)![1]!;
      const token = /INTERCOM_ACCESS_TOKEN=(\S+)/.exec(text)![1]!;
      const me = await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${token}` } });
      expect(((await me.json()) as { app: { id_code: string } }).app.id_code).toBe('sim-acme');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('prints its version', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(COLLECTOR_VERSION);
  });
});

describe('audit-archive verify, report, query and rules', () => {
  const archive = () => path.join(tmp, 'plain');

  it('verifies with a public key from the records and writes a JSON report with a one-page summary', async () => {
    const pub = await publicKeyOf(archive());
    const reportFile = path.join(tmp, 'verify-report.json');
    const run = await cli(['verify', '--archive', archive(), '--public-key', pub, '--report', reportFile]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/key fingerprint \(SHA-256 of the public key\): [0-9a-f]{64}/);
    const report = JSON.parse(await fs.readFile(reportFile, 'utf8'));
    expect(report).toMatchObject({
      ok: true,
      key: { fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) },
      summary: { signatures_checked: expect.any(Number) },
    });
    expect(report.workspaces[0]).toMatchObject({ workspace_id: 'sim-acme', chain_length: 11, first_signed_manifest: 0 });
    expect(await fs.readFile(path.join(tmp, 'verify-report.summary.md'), 'utf8')).toMatch(/# Archive verification — PASSED/);
  });

  it("exits 1 when the public key is not the archive's", async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const other = path.join(tmp, 'other.pub.pem');
    await fs.writeFile(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const run = await cli(['verify', '--archive', archive(), '--public-key', other]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[signature-invalid]');
  });

  it('prints a canned query as a table', async () => {
    const run = await cli([
      'query',
      '--archive',
      archive(),
      '--file',
      'queries/gdpr_data_exports.sql',
      '--from',
      '2025-03-03',
      '--to',
      '2025-03-22',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^time_utc\s+workspace\s+teammate_id/);
    expect(run.stdout).toMatch(/\(\d+ rows\)/);
  });

  it('builds a report pack, and refuses to overwrite it', async () => {
    const out = path.join(tmp, 'pack');
    // The archive holds 2025-03-03 – 2025-03-23 only: the quarter is partial, so --allow-partial.
    const run = await cli(['report', '--archive', archive(), '--quarter', '2025-Q1', '--out', out, '--allow-partial']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      'NOT COMPLETE: sim-acme does not hold 2025-01-01T00:00:00Z – 2025-03-03T00:00:00Z, 2025-03-23T00:00:00Z – 2025-04-01T00:00:00Z (results for this period are partial)',
    );
    expect((await fs.readdir(out)).sort()).toEqual(
      expect.arrayContaining([
        'manifest.json',
        'summary.html',
        'gdpr_data_exports.csv',
        'activity_summary_by_type.csv',
        'activity_summary_by_actor.csv',
      ]),
    );
    const again = await cli(['report', '--archive', archive(), '--quarter', '2025-Q1', '--out', out, '--allow-partial']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; a report pack is evidence/);
  });

  it('runs a report pack from the build (dist/) as the package bin, with the same queries and DuckDB macros as the sources', async () => {
    const fromSources = path.join(tmp, 'pack-sources');
    const fromBuild = path.join(tmp, 'pack-build');
    expect((await cli(['report', '--archive', archive(), '--quarter', '2025-Q1', '--allow-partial', '--out', fromSources])).code).toBe(0);
    const run = await cli(
      ['report', '--archive', archive(), '--quarter', '2025-Q1', '--allow-partial', '--out', fromBuild],
      {},
      undefined,
      [path.join(ROOT, 'bin/audit-archive.mjs')],
    );
    expect(run.code).toBe(0);
    const csvs = (await fs.readdir(fromSources)).filter((f) => f.endsWith('.csv')).sort();
    expect(csvs.length).toBeGreaterThan(5);
    expect((await fs.readdir(fromBuild)).filter((f) => f.endsWith('.csv')).sort()).toEqual(csvs);
    for (const file of csvs)
      expect(await fs.readFile(path.join(fromBuild, file), 'utf8'), file).toBe(await fs.readFile(path.join(fromSources, file), 'utf8'));
  });

  it('checks a pack with report verify and the report-signing public key, naming a tampered file', async () => {
    const out = path.join(tmp, 'pack');
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const pub = reportKeyPaths(path.join(tmp, 'keys'), manifest.report_signing_key.fingerprint).publicKey;
    // Re-performed before the CSV below is changed: every CSV matches, one line each.
    const reperform = await cli(['report', 'reperform', out, '--archive', archive(), '--public-key', pub]);
    expect(reperform.stderr).toBe('');
    expect(reperform.code).toBe(0);
    expect(reperform.stdout.split('\n').filter((l) => l.startsWith('match '))).toHaveLength(manifest.queries.length);
    expect(reperform.stdout).toContain(`OK: all ${manifest.queries.length} CSVs match`);
    const ok = await cli(['report', 'verify', out, '--public-key', pub]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: the pack in .* is signed by key [0-9a-f]{64} and all \d+ files match their SHA-256/);
    const csv = path.join(out, 'gdpr_data_exports.csv');
    await fs.chmod(csv, 0o644);
    await fs.appendFile(csv, 'x');
    const bad = await cli(['report', 'verify', out, '--public-key', pub]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAILED: 1 problem in');
    expect(bad.stdout).toMatch(/ {2}gdpr_data_exports\.csv: gdpr_data_exports\.csv differs: SHA-256/);
    const differs = await cli(['report', 'reperform', out, '--archive', archive()]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toMatch(/^DIFFERS {5}gdpr_data_exports\.csv: first difference at row \d+: pack .*, now \(no such row\)$/m);
    const noKey = await cli(['report', 'verify', out]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('report verify needs the report-signing public key');
  });

  it('exits 1 for a partial quarter without --allow-partial, printing the completeness line first and writing nothing', async () => {
    const out = path.join(tmp, 'pack-partial');
    const run = await cli(['report', '--archive', archive(), '--quarter', '2025-Q1', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toMatch(/^NOT COMPLETE: sim-acme does not hold 2025-01-01T00:00:00Z – 2025-03-03T00:00:00Z/);
    expect(run.stderr).toMatch(/No pack was written: collect the missing range first, or pass --allow-partial/);
    await expect(fs.readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    ['a quarter that has not begun', ['--quarter', '2099-Q1'], /the period starting 2099-01-01 has not begun yet/],
    [
      'an unknown time zone',
      ['--quarter', '2025-Q1', '--timezone', 'Mars/Olympus'],
      /--timezone: 'Mars\/Olympus' is not an IANA time zone/,
    ],
  ])('exits 2 from report for %s', async (_name, args, message) => {
    const run = await cli(['report', '--archive', archive(), '--out', path.join(tmp, 'never'), ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a non-empty --out folder before any query', async () => {
    const out = path.join(tmp, 'not-empty');
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(path.join(out, 'holiday.jpg'), 'x');
    const run = await cli(['report', '--archive', archive(), '--quarter', '2025-Q1', '--out', out, '--allow-partial']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out: .*not-empty is not empty \(it holds 1 entries, e\.g\. 'holiday\.jpg'\)/);
    expect(await fs.readdir(out)).toEqual(['holiday.jpg']);
  });

  it('prints the coverage of a query range to stderr, and warns when the archive does not hold it', async () => {
    const covered = await cli([
      'query',
      '--archive',
      archive(),
      '--file',
      'queries/gdpr_data_exports.sql',
      '--from',
      '2025-03-03',
      '--to',
      '2025-03-22',
    ]);
    expect(covered.stderr).toMatch(/^coverage: The archive covers the whole period: windows \d+–\d+, no gaps$/m);
    expect(covered.stderr).not.toContain('warning');
    const before = await cli([
      'query',
      '--archive',
      archive(),
      '--file',
      'queries/sign_in_anomalies.sql',
      '--from',
      '2025-02-01',
      '--to',
      '2025-03-10',
    ]);
    expect(before.code).toBe(0);
    expect(before.stderr).toContain('coverage: NOT COMPLETE: sim-acme does not hold 2025-02-01T00:00:00Z – 2025-03-03T00:00:00Z');
    expect(before.stderr).toContain(
      'warning: the archive does not hold all of 2025-02-01 – 2025-03-10; an empty or small answer does not mean nothing happened there',
    );
    expect(before.stderr).toContain("warning: this query looks back 90 days, before sim-acme's archive starts (2025-03-03T00:00:00Z)");
  });

  it('ends quietly when the reader closes the pipe', async () => {
    const command = `"${process.execPath}" --import tsx cli/main.ts query --archive "${archive()}" --file queries/soc2_permission_changes.sql --from 2025-03-03 --to 2025-03-22 --csv | true; echo "exit=\${PIPESTATUS[0]}" >&2`;
    const run = await new Promise<{ stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', command], {
        cwd: ROOT,
        env: { ...process.env, AUDIT_ARCHIVE_KEY_DIR: path.join(tmp, 'keys') },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('error', reject);
      child.on('close', () => resolve({ stderr }));
    });
    expect(run.stderr).toContain('exit=0');
    expect(run.stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it.each([
    [['report', '--archive', 'x', '--quarter', '2025-5', '--out', 'y'], /--quarter: '2025-5' is not a quarter/],
    [['query', '--archive', 'x', '--file', 'q.sql', '--from', 'yesterday', '--to', '2025-01-01'], /--from: 'yesterday' is not a date/],
    [
      ['query', '--archive', 'x', '--file', 'q.sql', '--from', '2026-02-30', '--to', '2026-03-01'],
      /--from: '2026-02-30' is not a date like 2026-01-31 \(a real calendar day\)/,
    ],
    [['collect', '--archive', 'x', '--since', '2026-02-30'], /--since: '2026-02-30' is not a time/],
    [
      ['rules', 'backtest', '--archive', 'x', '--rules', 'nope.yaml', '--from', '2025-01-01', '--to', '2025-01-02'],
      /--rules: cannot read 'nope.yaml'|--archive: 'x' is not a folder/,
    ],
  ])('exits 2 for %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('traces an entry to its part, manifest and signature, and the proof verifies offline until a byte changes', async () => {
    const id = sim.workspace.entriesBetween(T0 + 3 * DAY, T0 + 4 * DAY)[0]!.id;
    const proofFile = path.join(tmp, 'proof.json');
    const run = await cli(['trace', id, '--archive', archive(), '--out', proofFile]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^entry ${id} \\(workspace sim-acme\\)\n  part {6}activity_logs/workspace=sim-acme/dt=2025-03-0\\d/\\S+ {2}sha256 [0-9a-f]{64}`,
      ),
    );
    expect(run.stdout).toMatch(/ {2}signature ED25519 by \S+ {2}key fingerprint [0-9a-f]{64}/);
    const pub = await publicKeyOf(archive());
    const ok = await cli(['trace', 'verify', proofFile, '--public-key', pub]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^OK: entry ${id} is in activity_logs/`));
    const proof = JSON.parse(await fs.readFile(proofFile, 'utf8'));
    const forged = path.join(tmp, 'proof-forged.json');
    await fs.writeFile(
      forged,
      JSON.stringify({
        ...proof,
        entry_line: proof.entry_line.replace(/"performed_by_email":"[^"]*"/, '"performed_by_email":"someone@else.example"'),
      }),
    );
    const bad = await cli(['trace', 'verify', forged, '--public-key', pub]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('entry: the entry line is not in the part');
  });

  it('backtests the default rules and shows per-rule counts', async () => {
    const run = await cli([
      'rules',
      'backtest',
      '--archive',
      archive(),
      '--rules',
      'rules/default-rules.yaml',
      '--from',
      '2025-03-03',
      '--to',
      '2025-03-22',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/security-setting-changed \[medium\]: \d+ alerts/);
  });
});

describe('kill -9 and rerun', () => {
  it.each(KILL_POINTS)('loses nothing and duplicates nothing when killed %s', async (name, failpoint) => {
    const archive = path.join(tmp, `kill-${name.replace(/\W+/g, '-')}`);
    const killed = await cli(collectArgs(archive, ['--part-max-mb', '0.05']), { AUDIT_ARCHIVE_FAILPOINT: failpoint });
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await cli(collectArgs(archive, ['--part-max-mb', '0.05']));
    // The killed run's lock file is still there: the rerun takes it over because its pid is gone.
    expect(rerun.code).toBe(0);
    await expectExactlyOnceAndVerified(archive);
  });

  it.runIf(process.platform === 'linux')(
    'takes the lock at once on a rerun right after kill -9, ten times in a row, though each killed run is still a zombie',
    async () => {
      const archive = path.join(tmp, 'kill-zombie');
      const parents: ChildProcess[] = [];
      const procState = (pid: number) =>
        readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2)[0];
      const lockOwner = async () => {
        const names = (await fs.readdir(path.join(archive, '.locks')).catch(() => [] as string[]))
          .filter((n) => /^\d{12}\.json$/.test(n))
          .sort();
        const body = names.length
          ? (JSON.parse(await fs.readFile(path.join(archive, '.locks', names.at(-1)!), 'utf8').catch(() => '{}')) as {
              pid?: number;
              released?: boolean;
            })
          : {};
        return body.released ? undefined : body.pid;
      };
      let previous: number | undefined;
      try {
        for (let i = 0; i < 10; i++) {
          // sh starts the collector in the background and execs `sleep`, which never reaps it: the
          // killed collector stays a zombie, as under a container PID 1 that does not reap.
          const log = path.join(tmp, `kill-zombie-${i}.log`);
          const parent = spawn(
            'sh',
            [
              '-c',
              '"$0" --import tsx cli/main.ts "$@" >/dev/null 2>"$RUN_LOG" & echo $!; exec sleep 600',
              process.execPath,
              ...collectArgs(archive, ['--part-max-mb', '0.05']),
            ],
            {
              cwd: ROOT,
              env: {
                ...process.env,
                INTERCOM_ACCESS_TOKEN: sim.token,
                INTERCOM_API_URL: sim.url,
                CI: 'true',
                AUDIT_ARCHIVE_KEY_DIR: path.join(tmp, 'keys'),
                RUN_LOG: log,
              },
              stdio: ['ignore', 'pipe', 'ignore'],
            },
          );
          parents.push(parent);
          const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
          await vi.waitFor(
            async () => {
              const stderr = await fs.readFile(log, 'utf8').catch(() => '');
              expect(stderr, `run ${i}`).not.toMatch(/error:/);
              expect(await lockOwner()).toBe(pid);
            },
            { timeout: 60_000, interval: 20 },
          );
          // This run took the lock while the run killed before it was still a zombie.
          if (previous) expect(procState(previous)).toBe('Z');
          process.kill(pid, 'SIGKILL');
          await vi.waitFor(() => expect(procState(pid)).toBe('Z'));
          previous = pid;
        }
        // A failed write (a disk that filled up) left a 0-byte file behind: the next run clears it.
        await fs.mkdir(path.join(archive, '.tmp'), { recursive: true });
        await fs.writeFile(path.join(archive, '.tmp', 'deadbeef.tmp'), '');
        const last = await cli(collectArgs(archive, ['--part-max-mb', '0.05']));
        expect(last.code).toBe(0);
        expect(last.stderr).toContain('removed 1 temporary file a failed or killed write left in .tmp/');
        expect(await fs.readdir(path.join(archive, '.tmp'))).toEqual([]);
        await expectExactlyOnceAndVerified(archive);
      } finally {
        for (const parent of parents) parent.kill('SIGKILL');
      }
    },
  );

  it('loses nothing and duplicates nothing when killed at random instants, again and again', async () => {
    const archive = path.join(tmp, 'kill-random');
    // Deterministic "random" instants spread over a run of a couple of seconds.
    const instants = RANDOM_KILL_INSTANTS;
    let killedAtLeastOnce = false;
    for (const ms of instants) {
      const run = await cli(collectArgs(archive, ['--part-max-mb', '0.05']), {}, ms);
      killedAtLeastOnce ||= run.signal === 'SIGKILL';
    }
    const last = await cli(collectArgs(archive, ['--part-max-mb', '0.05']));
    expect(last.code).toBe(0);
    expect(killedAtLeastOnce).toBe(true);
    await expectExactlyOnceAndVerified(archive);
  });
});
