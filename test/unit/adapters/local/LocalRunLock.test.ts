import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalRunLock } from '../../../../lambdas/adapters/local/LocalRunLock.ts';
import {
  type LivenessProbe,
  type ProcessIdentity,
  parseProcStat,
  procLiveness,
} from '../../../../lambdas/adapters/local/processLiveness.ts';
import { LockedError } from '../../../../lambdas/core/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lock-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const self = procLiveness();
const linux = self.self().proc_start !== null;

/** Writes a lock generation as a run with `identity` would have. */
async function writeLock(identity: ProcessIdentity, gen = 1): Promise<void> {
  await fs.mkdir(path.join(dir, '.locks'), { recursive: true });
  const body = { format: 'intercom-audit-archive/lock/v1', gen, ...identity, started_at: '2026-01-01T00:00:00.000Z', lease_ms: 30_000 };
  await fs.writeFile(path.join(dir, '.locks', `${String(gen).padStart(12, '0')}.json`), JSON.stringify(body));
}

async function owner(): Promise<ProcessIdentity | undefined> {
  const names = (await fs.readdir(path.join(dir, '.locks'))).filter((n) => /^\d{12}\.json$/.test(n)).sort();
  const top = names.at(-1);
  if (!top) return undefined;
  const body = JSON.parse(await fs.readFile(path.join(dir, '.locks', top), 'utf8')) as ProcessIdentity & { released?: boolean };
  return body.released ? undefined : body;
}

/** A probe for in-process contenders: each is its own "process"; the test decides who is dead. */
function fakeProbe(pid: number, dead: ReadonlySet<number>, verdict?: () => 'unknown'): LivenessProbe {
  return {
    self: () => ({ pid, host: 'test-host', boot_id: 'boot', pid_ns: 'ns', proc_start: '1' }),
    check: (o) => verdict?.() ?? (dead.has(o.pid) ? 'dead' : 'alive'),
  };
}

describe('a planted .locks link', () => {
  it('is refused, and no lock file lands where it points', async () => {
    const archive = await fs.mkdtemp(path.join(os.tmpdir(), 'lock-link-'));
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'lock-outside-'));
    try {
      await fs.symlink(outside, path.join(archive, '.locks'));
      await expect(new LocalRunLock(archive).acquire()).rejects.toThrow(/\.locks is not a plain folder \(a symbolic link\?\)/);
      expect(await fs.readdir(outside)).toEqual([]);
    } finally {
      await fs.rm(archive, { recursive: true, force: true });
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});

describe('LocalRunLock', () => {
  it('has exactly one owner in each of 10,000 contended takeover rounds', async () => {
    const dead = new Set<number>();
    let nextPid = 100;
    let doubleOwners = 0;
    let rounds = 0;
    const ROUNDS = 10_000;
    for (let round = 0; round < ROUNDS; round++) {
      const contenders = [0, 1, 2].map(() => {
        const pid = nextPid++;
        return { pid, lock: new LocalRunLock(dir, { probe: fakeProbe(pid, dead), heartbeatMs: 3_600_000 }) };
      });
      const outcomes = await Promise.allSettled(contenders.map((c) => c.lock.acquire()));
      const winners = contenders.filter((_, i) => outcomes[i]!.status === 'fulfilled');
      for (const [i, o] of outcomes.entries())
        if (o.status === 'rejected') expect(o.reason, `round ${round} contender ${i}`).toBeInstanceOf(LockedError);
      if (winners.length !== 1) doubleOwners += 1;
      expect((await owner())?.pid).toBe(winners[0]?.pid);
      // The winner dies without a word (kill -9) in odd rounds, and finishes cleanly in even ones.
      if (round % 2 === 1) {
        winners[0]!.lock.abandon();
        dead.add(winners[0]!.pid);
      } else {
        await winners[0]!.lock.release();
      }
      rounds += 1;
    }
    expect(rounds).toBe(ROUNDS);
    expect(doubleOwners).toBe(0);
    // Clean-up keeps the folder small however many runs there were.
    expect((await fs.readdir(path.join(dir, '.locks'))).length).toBeLessThanOrEqual(2);
  }, 600_000);

  it.runIf(linux)('treats a zombie owner as dead, though kill(pid, 0) still succeeds on it', async () => {
    // The child exits after the shell has exec'd `sleep`, which never reaps it: a parent that does not reap.
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
      await vi.waitFor(() => expect(parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state).toBe('Z'), { timeout: 10_000 });
      expect(() => process.kill(pid, 0)).not.toThrow();
      const start = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.start;
      await writeLock({ ...self.self(), pid, proc_start: start });
      const lock = new LocalRunLock(dir);
      await lock.acquire();
      expect((await owner())?.pid).toBe(process.pid);
      await lock.release();
    } finally {
      kill(parent);
    }
  });

  it.runIf(linux)('treats a reused pid (same pid, another start time) as dead', async () => {
    await writeLock({ ...self.self(), proc_start: '1' });
    const lock = new LocalRunLock(dir);
    await lock.acquire();
    await lock.release();
  });

  it.runIf(linux)('judges a lock by pid and start time even when the host name changed (a new pod on the same kernel)', async () => {
    await writeLock({ ...self.self(), host: 'collector-7d9f-old-pod', pid: 2 ** 22 + 12345 });
    const lock = new LocalRunLock(dir, { waitMs: 0 });
    await lock.acquire();
    await lock.release();
  });

  it.runIf(linux)('treats a lock from an earlier boot of this host as dead, whatever runs under its pid now', async () => {
    await writeLock({ ...self.self(), boot_id: '00000000-0000-0000-0000-000000000000' });
    const lock = new LocalRunLock(dir);
    await lock.acquire();
    await lock.release();
  });

  it.runIf(linux)('never displaces a live owner on this host', async () => {
    const first = new LocalRunLock(dir);
    await first.acquire();
    const error = await new LocalRunLock(dir).acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toContain(`pid ${process.pid} on ${os.hostname()}`);
    await first.release();
  });

  it('waits for the lease of an owner it cannot check (another host), with a progress line, then takes over', async () => {
    await writeLock({ pid: 4242, host: 'other-host', boot_id: 'another-kernel', pid_ns: 'pid:[1]', proc_start: '99' });
    const lines: string[] = [];
    const lock = new LocalRunLock(dir, { leaseMs: 300, heartbeatMs: 100, pollMs: 20, onWait: (l) => lines.push(l) });
    await lock.acquire();
    expect(lines[0]).toMatch(
      /^waiting for the archive lock: the archive is locked by collector pid 4242 on other-host, .*cannot check; taking it over if its heartbeat stays silent for 0.3 s/,
    );
    expect((await owner())?.pid).toBe(process.pid);
    await lock.release();
  });

  it('does not take over an owner it cannot check while that owner keeps renewing its lease', async () => {
    const unknown = () => 'unknown' as const;
    const live = new LocalRunLock(dir, { probe: fakeProbe(1, new Set()), heartbeatMs: 20 });
    await live.acquire();
    const waiter = new LocalRunLock(dir, { probe: fakeProbe(2, new Set(), unknown), leaseMs: 400, waitMs: 800, pollMs: 10 });
    const error = await waiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toMatch(/cannot check, and it renewed its lease .*--lock-wait/);
    expect(live.lost).toBe(false);
    expect((await owner())?.pid).toBe(1);
    await live.release();
  });

  it('fails at once with --lock-wait 0 when the owner cannot be checked', async () => {
    await writeLock({ pid: 4242, host: 'other-host', boot_id: null, pid_ns: null, proc_start: null });
    await expect(new LocalRunLock(dir, { waitMs: 0 }).acquire()).rejects.toThrow(/pid 4242 on other-host.*cannot check/);
  });

  it('tells an owner whose lock was taken over that it lost it', async () => {
    const onLost = vi.fn();
    const lock = new LocalRunLock(dir, { probe: fakeProbe(1, new Set()), heartbeatMs: 20, onLost });
    await lock.acquire();
    await writeLock({ pid: 2, host: 'h', boot_id: null, pid_ns: null, proc_start: null }, lock.generation! + 1);
    await vi.waitFor(() => expect(lock.lost).toBe(true));
    expect(onLost).toHaveBeenCalledTimes(1);
    await lock.release();
    expect((await owner())?.pid).toBe(2);
  });

  it('takes over a lock file of the previous format whose process is gone', async () => {
    await fs.writeFile(
      path.join(dir, '.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), started_at: '2026-01-01T00:00:00Z' }),
    );
    const lock = new LocalRunLock(dir);
    await lock.acquire();
    await expect(fs.access(path.join(dir, '.lock'))).rejects.toThrow();
    await lock.release();
  });
});

function kill(child: ChildProcess): void {
  if (child.pid) process.kill(child.pid, 'SIGKILL');
}

describe('LocalRunLock: owner and takeover', () => {
  it('lets one run in and names the owner to a second', async () => {
    const first = new LocalRunLock(dir);
    await first.acquire();
    const error = await new LocalRunLock(dir).acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    await first.release();
    const again = new LocalRunLock(dir);
    await again.acquire();
    await again.release();
  });

  it('takes over a lock whose process is gone', async () => {
    await fs.writeFile(
      path.join(dir, '.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), started_at: '2026-01-01T00:00:00Z' }),
    );
    const lock = new LocalRunLock(dir);
    await expect(lock.acquire()).resolves.toBeUndefined();
    await lock.release();
  });
});
