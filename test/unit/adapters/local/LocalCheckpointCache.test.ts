import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalCheckpointCache } from '../../../../lambdas/adapters/local/LocalCheckpointCache.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('LocalCheckpointCache', () => {
  it('remembers a sequence number and forgets gracefully', async () => {
    const cache = new LocalCheckpointCache(dir);
    expect(await cache.get('ws')).toBeUndefined();
    await cache.set('ws', 42);
    expect(await cache.get('ws')).toBe(42);
    await fs.writeFile(path.join(dir, '.cache', 'checkpoint-ws.json'), 'garbage');
    expect(await cache.get('ws')).toBeUndefined();
  });
});

describe('LocalCheckpointCache and symbolic links', () => {
  let outside: string;
  beforeEach(async () => {
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'outside-'));
  });
  afterEach(async () => {
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('never writes the checkpoint hint through a symlinked .cache', async () => {
    await fs.symlink(outside, path.join(dir, '.cache'));
    const cache = new LocalCheckpointCache(dir);
    await expect(cache.set('w', 3)).rejects.toThrow(/is a symbolic link/);
    expect(await cache.get('w')).toBeUndefined();
    expect(await fs.readdir(outside)).toEqual([]);
  });
});
