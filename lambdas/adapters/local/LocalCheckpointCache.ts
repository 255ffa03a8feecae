/**
 * Caches the chain head's sequence number in `<archive>/.cache/`; only a hint, losing it costs a
 * few probes. A `.cache` that is a symbolic link is never read or written through.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CheckpointCache } from '../../core/ports.ts';

export class LocalCheckpointCache implements CheckpointCache {
  private readonly dir: string;

  constructor(archiveRoot: string) {
    this.dir = path.join(path.resolve(archiveRoot), '.cache');
  }

  private file(workspaceId: string): string {
    return path.join(this.dir, `checkpoint-${workspaceId}.json`);
  }

  private async isLink(): Promise<boolean> {
    return (await fs.lstat(this.dir).catch(() => undefined))?.isSymbolicLink() ?? false;
  }

  async get(workspaceId: string): Promise<number | undefined> {
    if (await this.isLink()) return undefined;
    try {
      const { seq } = JSON.parse(await fs.readFile(this.file(workspaceId), 'utf8')) as { seq?: unknown };
      return typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? seq : undefined;
    } catch {
      return undefined;
    }
  }

  async set(workspaceId: string, seq: number): Promise<void> {
    if (await this.isLink()) throw new Error(`${this.dir} is a symbolic link: the checkpoint hint is not written through it`);
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = `${this.file(workspaceId)}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ seq }));
    await fs.rename(tmp, this.file(workspaceId));
  }
}
