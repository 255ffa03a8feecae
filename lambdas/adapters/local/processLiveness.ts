/**
 * Is the process that wrote a lock still the one running under its pid? On Linux this is
 * decidable on the same kernel and in the same pid namespace: `/proc/<pid>/stat` gives the
 * state (a zombie, `Z`, or dead task, `X`, counts as dead: `kill(pid, 0)` succeeds on a zombie)
 * and the start time in clock ticks since boot (a different one means the pid was reused), and
 * the boot id changes on every reboot (a lock from an earlier boot of this host is dead). A lock
 * from another kernel (another host, or a container after its node rebooted) or another pid
 * namespace (another container) cannot be judged here. Anywhere else the answer is "unknown" and the lock
 * falls back to its lease.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** Who wrote a lock, as far as the host can tell. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  /** Kernel boot id (/proc/sys/kernel/random/boot_id); null off Linux. */
  readonly boot_id: string | null;
  /** Pid namespace (readlink /proc/self/ns/pid); a pid means something only inside its namespace. */
  readonly pid_ns: string | null;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks after boot. */
  readonly proc_start: string | null;
}

export type Liveness = 'alive' | 'dead' | 'unknown';

function readOrNull(read: () => string): string | null {
  try {
    return read().trim() || null;
  } catch {
    return null;
  }
}

/** State and start time from /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): { state: string; start: string } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // After the name: field 3 (state) is fields[0], so field 22 (starttime) is fields[19].
  const state = fields[0];
  const start = fields[19];
  return state && start && /^\d+$/.test(start) ? { state, start } : undefined;
}

export interface LivenessProbe {
  /** This process's identity, recorded in the lock it takes. */
  self(): ProcessIdentity;
  /** Whether the process a lock names is still running. */
  check(owner: ProcessIdentity): Liveness;
}

/** The Linux /proc probe; with `procRoot` pointed elsewhere for tests. */
export function procLiveness(procRoot = '/proc', host = os.hostname()): LivenessProbe {
  const bootId = readOrNull(() => readFileSync(`${procRoot}/sys/kernel/random/boot_id`, 'utf8'));
  const pidNs = readOrNull(() => readlinkSync(`${procRoot}/self/ns/pid`));
  const startOf = (pid: number) => {
    const stat = readOrNull(() => readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
    return stat === null ? undefined : parseProcStat(stat);
  };
  const own = startOf(process.pid);
  return {
    self: () => ({ pid: process.pid, host, boot_id: bootId, pid_ns: pidNs, proc_start: own?.start ?? null }),
    check(owner) {
      // Decidable only for a lock written on this kernel, since this boot, in this pid namespace.
      if (!bootId || !pidNs || !own || !owner.boot_id || !owner.pid_ns || !owner.proc_start) return 'unknown';
      // Another boot id: this host before a reboot (that process is gone), or another host.
      if (owner.boot_id !== bootId) return owner.host === host ? 'dead' : 'unknown';
      if (owner.pid_ns !== pidNs) return 'unknown'; // another container on the same kernel
      if (!Number.isInteger(owner.pid) || owner.pid <= 0) return 'dead';
      const now = startOf(owner.pid);
      if (!now) return 'dead'; // no such process
      if (now.state === 'Z' || now.state === 'X' || now.state === 'x') return 'dead';
      return now.start === owner.proc_start ? 'alive' : 'dead'; // another start time: the pid was reused
    },
  };
}
