/** The single `.lock` file collectors used before lock generations (`LocalRunLock.ts`). */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import { LockedError } from '../../core/errors.ts';
import { parseProcStat } from './processLiveness.ts';

/** A `.lock` file from before generations: kept only while its process still runs on this host. */
export async function dropLegacyLock(legacyFile: string): Promise<void> {
  let owner: { pid?: unknown; host?: unknown } | undefined;
  try {
    owner = JSON.parse(await fs.readFile(legacyFile, 'utf8')) as { pid?: unknown; host?: unknown };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
  }
  if (owner && typeof owner.pid === 'number' && owner.host === os.hostname() && legacyRunning(owner.pid)) {
    throw new LockedError(`the archive is locked by an older collector (pid ${owner.pid}, ${legacyFile}); wait for it to finish`);
  }
  await fs.unlink(legacyFile).catch(() => undefined);
}

function legacyRunning(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZXx]$/.test(parseProcStat(state)?.state ?? 'Z');
  } catch {
    // no /proc (another OS), or no such process
  }
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return true;
}
