/**
 * One collector run at a time per local archive: a lock file holding the owner's pid, host
 * and start time, created with O_EXCL. A lock whose process is gone (same host, pid not
 * running) is taken over; a live one is a LockedError naming the owner.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockedError } from '../../core/errors.ts';

interface LockBody {
  pid: number;
  host: string;
  started_at: string;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LocalRunLock {
  private readonly file: string;
  private held = false;

  constructor(archiveRoot: string) {
    this.file = path.join(path.resolve(archiveRoot), '.lock');
  }

  async acquire(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const body: LockBody = { pid: process.pid, host: os.hostname(), started_at: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.writeFile(this.file, JSON.stringify(body), { flag: 'wx' });
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let owner: LockBody | undefined;
      try {
        owner = JSON.parse(await fs.readFile(this.file, 'utf8')) as LockBody;
      } catch {
        owner = undefined; // unreadable or half-written: its writer died mid-write
      }
      if (owner && (owner.host !== os.hostname() || isRunning(owner.pid))) {
        throw new LockedError(
          `the archive is locked by collector pid ${owner.pid} on ${owner.host}, running since ${owner.started_at}. ` +
            `Only one run may write an archive at a time; wait for it to finish${owner.host !== os.hostname() ? `, or remove ${this.file} if that host is gone` : ''}.`,
        );
      }
      // The owner is gone: take the lock over.
      await fs.unlink(this.file).catch(() => undefined);
    }
    throw new LockedError(`could not take the archive lock ${this.file}; another run keeps taking it`);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await fs.unlink(this.file).catch(() => undefined);
  }
}
