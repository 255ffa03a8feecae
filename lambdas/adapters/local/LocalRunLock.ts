/**
 * One collector run at a time per local archive, and no dead run can hold the archive.
 *
 * Written by hand on purpose: proper-lockfile (the well-kept choice) judges a lock only by
 * its mtime, knows nothing of pids, zombies or boot ids, and its stale takeover is rmdir +
 * mkdir, which lets two contenders both own the lock (moxystudio/node-proper-lockfile#121,
 * open); npm's `lockfile` has the same race (npm/lockfile#4).
 *
 * The lock is a folder of generations, `.locks/<gen>.json`; the highest generation says who
 * holds the archive. Each file is written whole to a temporary name and hard-linked into
 * place, so a reader never sees half of one and `link(2)` is the compare-and-swap: of all
 * contenders that found generation N dead or released, exactly one creates N + 1. A winner
 * then checks that no higher generation exists (a contender with an old listing may have
 * created a lower number after clean-up) before it counts as the owner.
 *
 * The owner is judged dead when
 * - on Linux, on the same kernel and pid namespace: `/proc/<pid>/stat` is missing, a zombie,
 *   or has another start time (see processLiveness.ts) — a rerun right after `kill -9` goes
 *   ahead at once; a lock from an earlier boot of this host is dead too;
 * - anywhere else (another host, another container, another OS): its lease ran out, i.e. the
 *   owner's heartbeat (the file's mtime, renewed every `heartbeatMs`) did not change for
 *   `leaseMs` as timed by the waiter's own clock, so clock skew between hosts does not matter.
 *   The waiter prints a progress line and waits up to `waitMs`.
 * A live owner is never displaced. An owner that finds a higher generation on its heartbeat
 * has lost the lock (its lease ran out while it was stalled): `lost` turns true.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, LockedError } from '../../core/errors.ts';
import { type LivenessProbe, type ProcessIdentity, procLiveness } from './processLiveness.ts';
import { dropLegacyLock } from './legacyLock.ts';

/** @default 30 s: a lock whose heartbeat has not changed for this long is stale. */
export const DEFAULT_LEASE_MS = 30_000;
/** @default 10 s */
export const DEFAULT_HEARTBEAT_MS = 10_000;

const LOCK_DIR = '.locks';
const GENERATION = /^(\d{12})\.json$/;

interface LockBody extends ProcessIdentity {
  readonly format: 'intercom-audit-archive/lock/v1';
  readonly gen: number;
  readonly started_at: string;
  readonly lease_ms: number;
  /** A release marker: the owner of gen - 1 finished; the archive is free. */
  readonly released?: boolean;
}

interface Top {
  readonly gen: number;
  readonly body: LockBody | undefined;
  readonly mtimeMs: number;
}

export interface LocalRunLockOptions {
  /** @default 30000 */
  readonly leaseMs?: number;
  /** @default 10000 */
  readonly heartbeatMs?: number;
  /** How long to wait for a lock whose owner cannot be judged. @default twice the lease */
  readonly waitMs?: number;
  /** Progress while waiting (one line every few seconds). */
  readonly onWait?: (line: string) => void;
  /** Called once when a heartbeat finds the lock taken over. */
  readonly onLost?: () => void;
  /** Injected for tests. */
  readonly probe?: LivenessProbe;
  readonly pollMs?: number;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
const pad = (gen: number) => String(gen).padStart(12, '0');
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LocalRunLock {
  private readonly dir: string;
  private readonly legacyFile: string;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly waitMs: number;
  private readonly probe: LivenessProbe;
  private readonly pollMs: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private gen: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  /** true once a heartbeat found that another run took the lock over. */
  lost = false;

  constructor(
    archiveRoot: string,
    private readonly options: LocalRunLockOptions = {},
  ) {
    this.dir = path.join(path.resolve(archiveRoot), LOCK_DIR);
    this.legacyFile = path.join(path.resolve(archiveRoot), '.lock');
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.waitMs = options.waitMs ?? 2 * this.leaseMs;
    this.probe = options.probe ?? procLiveness();
    this.pollMs = options.pollMs ?? Math.min(1000, Math.max(10, Math.floor(this.heartbeatMs / 4)));
    this.clock = options.clock ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The generation this lock holds, while held. */
  get generation(): number | undefined {
    return this.gen;
  }

  async acquire(): Promise<void> {
    if (this.gen !== undefined) throw new Error('LocalRunLock.acquire called twice');
    await fs.mkdir(this.dir, { recursive: true });
    // mkdir and every write below follow a link: a planted `.locks` link must not put lock files outside the archive.
    const stat = await fs.lstat(this.dir);
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw new ConfigurationError(
        `refusing to lock the archive: ${this.dir} is not a plain folder (a symbolic link?), which could point outside the archive. Remove it (no collector run can be using it) and run again; \`audit-archive verify\` lists every symlink in the archive.`,
      );
    }
    await dropLegacyLock(this.legacyFile);
    const deadline = this.clock() + this.waitMs;
    let watched: { gen: number; mtimeMs: number; since: number } | undefined;
    let lastProgress = Number.NEGATIVE_INFINITY;
    for (;;) {
      const top = await this.top();
      if (top && !top.body?.released) {
        const verdict = top.body ? this.probe.check(top.body) : 'unknown';
        if (verdict === 'alive')
          throw new LockedError(`${this.describe(top)}. Only one run may write an archive at a time; wait for it to finish.`);
        if (verdict === 'unknown') {
          const now = this.clock();
          if (!watched || watched.gen !== top.gen || watched.mtimeMs !== top.mtimeMs)
            watched = { gen: top.gen, mtimeMs: top.mtimeMs, since: now };
          if (now - watched.since < this.leaseMs) {
            if (now >= deadline) {
              throw new LockedError(
                `${this.describe(top)}, which this host cannot check, and it renewed its lease within the last ${seconds(this.leaseMs)}. ` +
                  `Only one run may write an archive at a time; wait for it to finish, or give --lock-wait longer than the lease (${seconds(this.leaseMs)}) to take over once its heartbeat stops.`,
              );
            }
            if (now - lastProgress >= 5000) {
              lastProgress = now;
              this.options.onWait?.(
                `waiting for the archive lock: ${this.describe(top)}, which this host cannot check; taking it over if its heartbeat stays silent for ${seconds(this.leaseMs)} ` +
                  `(silent for ${seconds(now - watched.since)} so far; giving up after ${seconds(this.waitMs)})`,
              );
            }
            await this.sleep(Math.min(this.pollMs, Math.max(1, deadline - now)));
            continue;
          }
          // Its heartbeat stayed silent for a whole lease: the owner is gone.
        }
      }
      const next = (top?.gen ?? 0) + 1;
      if (!(await this.create(next))) continue; // another contender took generation `next`
      const after = await this.top();
      if (after && after.gen > next) {
        // Created from an old listing, below the real owner's generation: not ours.
        await fs.unlink(this.file(next)).catch(() => undefined);
        continue;
      }
      this.gen = next;
      await this.cleanUp(next);
      this.startHeartbeat();
      return;
    }
  }

  async release(): Promise<void> {
    const gen = this.gen;
    if (gen === undefined) return;
    this.gen = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating?.catch(() => undefined);
    if (this.lost) return;
    // The release marker is the next generation; if it exists, another run took over and owns it.
    if (await this.create(gen + 1, true)) await fs.unlink(this.file(gen)).catch(() => undefined);
  }

  /** Stops the heartbeat without releasing, as a killed process would (tests). */
  abandon(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.gen = undefined;
  }

  private file(gen: number): string {
    return path.join(this.dir, `${pad(gen)}.json`);
  }

  private describe(top: Top): string {
    const b = top.body;
    return b
      ? `the archive is locked by collector pid ${b.pid} on ${b.host}, running since ${b.started_at}`
      : `the archive is locked (${this.file(top.gen)} is unreadable)`;
  }

  /** The highest generation, read; undefined when there is none. */
  private async top(): Promise<Top | undefined> {
    for (;;) {
      const gens = (await fs.readdir(this.dir))
        .map((name) => GENERATION.exec(name)?.[1])
        .filter((g): g is string => g !== undefined)
        .map(Number)
        .sort((a, b) => b - a);
      const gen = gens[0];
      if (gen === undefined) return undefined;
      try {
        // Open, then fstat and read the same file: on NFS, opening revalidates its attributes
        // (close-to-open), so the heartbeat (mtime) is not a cached one.
        const handle = await fs.open(this.file(gen), 'r');
        let text: string;
        let stat: Awaited<ReturnType<typeof handle.stat>>;
        try {
          stat = await handle.stat();
          text = await handle.readFile('utf8');
        } finally {
          await handle.close();
        }
        let body: LockBody | undefined;
        try {
          const parsed = JSON.parse(text) as LockBody;
          body = parsed && typeof parsed === 'object' && typeof parsed.pid === 'number' ? parsed : undefined;
        } catch {
          body = undefined; // not written by us (files are linked in whole): judged by its lease
        }
        return { gen, body, mtimeMs: stat.mtimeMs };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // cleaned up meanwhile: list again
        throw error;
      }
    }
  }

  /** Creates generation `gen` whole, or returns false when it exists. */
  private async create(gen: number, released = false): Promise<boolean> {
    const body: LockBody = {
      format: 'intercom-audit-archive/lock/v1',
      gen,
      ...this.probe.self(),
      started_at: new Date().toISOString(),
      lease_ms: this.leaseMs,
      ...(released && { released: true }),
    };
    const tmp = path.join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    await fs.writeFile(tmp, JSON.stringify(body), { flag: 'wx' });
    try {
      await fs.link(tmp, this.file(gen));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  }

  /** Removes generations below ours and temporary files a killed contender left. */
  private async cleanUp(gen: number): Promise<void> {
    const now = Date.now();
    for (const name of await fs.readdir(this.dir)) {
      const match = GENERATION.exec(name);
      if (match && Number(match[1]) < gen) await fs.unlink(path.join(this.dir, name)).catch(() => undefined);
      if (name.startsWith('.tmp-')) {
        const stat = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
        if (stat && now - stat.mtimeMs > 60_000) await fs.unlink(path.join(this.dir, name)).catch(() => undefined);
      }
    }
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const gen = this.gen;
    if (gen === undefined || this.lost) return;
    try {
      const top = await this.top();
      if (!top || top.gen !== gen) throw new Error('taken over');
      const now = new Date();
      await fs.utimes(this.file(gen), now, now);
    } catch {
      this.lost = true;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.options.onLost?.();
    }
  }
}
