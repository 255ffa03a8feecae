/** Caches the chain head's sequence number in `<archive>/.cache/`; only a hint, losing it costs a few probes. */
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

  async get(workspaceId: string): Promise<number | undefined> {
    try {
      const { seq } = JSON.parse(await fs.readFile(this.file(workspaceId), 'utf8')) as { seq?: unknown };
      return typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 ? seq : undefined;
    } catch {
      return undefined;
    }
  }

  async set(workspaceId: string, seq: number): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = `${this.file(workspaceId)}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ seq }));
    await fs.rename(tmp, this.file(workspaceId));
  }
}
