import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalObjectStore, ObjectNotFoundError } from '../../../../lambdas/adapters/local/LocalObjectStore.ts';
import { IntegrityError, ObjectLockedError, SymlinkError } from '../../../../lambdas/core/errors.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('LocalObjectStore', () => {
  it('creates an object once, read-only, with its retain-until date recorded', async () => {
    const store = new LocalObjectStore(dir, { now: () => new Date('2026-01-02T03:04:05Z') });
    const body = Buffer.from('hello');
    const result = await store.putIfAbsent('a/b/c.txt', body, sha(body));
    expect(result).toEqual({ key: 'a/b/c.txt', sha256: sha(body), bytes: 5, created: true, retainUntil: '2033-01-02T03:04:05.000Z' });
    expect(await store.get('a/b/c.txt')).toEqual(body);
    const mode = (await fs.stat(path.join(dir, 'a/b/c.txt'))).mode & 0o777;
    expect(mode & 0o222).toBe(0);
    expect(await store.head('a/b/c.txt')).toEqual({
      key: 'a/b/c.txt',
      bytes: 5,
      sha256: sha(body),
      retainUntil: '2033-01-02T03:04:05.000Z',
    });
  });

  it('treats a retried put of identical bytes as a no-op', async () => {
    const store = new LocalObjectStore(dir);
    const body = Buffer.from('same');
    await store.putIfAbsent('k', body, sha(body));
    await expect(store.putIfAbsent('k', body, sha(body))).resolves.toMatchObject({ created: false });
  });

  it('refuses to overwrite with different bytes, with an integrity error naming the key', async () => {
    const store = new LocalObjectStore(dir);
    await store.putIfAbsent('k', Buffer.from('one'), sha(Buffer.from('one')));
    const error = await store.putIfAbsent('k', Buffer.from('two'), sha(Buffer.from('two'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(/^k already exists with different content/);
    expect((await store.get('k')).toString()).toBe('one');
  });

  it('refuses a body whose hash is not the one given', async () => {
    const store = new LocalObjectStore(dir);
    await expect(store.putIfAbsent('k', Buffer.from('x'), sha(Buffer.from('y')))).rejects.toBeInstanceOf(IntegrityError);
    expect(await store.head('k')).toBeUndefined();
  });

  it('refuses delete', async () => {
    const store = new LocalObjectStore(dir);
    await store.putIfAbsent('k', Buffer.from('x'), sha(Buffer.from('x')));
    await expect(store.delete('k')).rejects.toBeInstanceOf(ObjectLockedError);
    await expect(store.delete('k')).rejects.toThrow(/retained until/);
    expect((await store.get('k')).toString()).toBe('x');
  });

  it('leaves no temporary files behind and never lists bookkeeping', async () => {
    const store = new LocalObjectStore(dir);
    for (const key of ['b/2', 'a/1', 'a/10', 'c']) await store.putIfAbsent(key, Buffer.from(key), sha(Buffer.from(key)));
    expect(await fs.readdir(path.join(dir, '.tmp'))).toEqual([]);
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    expect(keys).toEqual(['a/1', 'a/10', 'b/2', 'c']);
  });

  it('lists in key order under a prefix and after startAfter, like S3', async () => {
    const store = new LocalObjectStore(dir);
    for (const key of ['x/dt=2026-01-01/p1', 'x/dt=2026-01-02/p1', 'x/dt=2026-01-02/p2', 'x/dt=2026-01-03/p1', 'y/z']) {
      await store.putIfAbsent(key, Buffer.from(key), sha(Buffer.from(key)));
    }
    const keys: string[] = [];
    for await (const o of store.list('x/', { startAfter: 'x/dt=2026-01-02/' })) keys.push(o.key);
    expect(keys).toEqual(['x/dt=2026-01-02/p1', 'x/dt=2026-01-02/p2', 'x/dt=2026-01-03/p1']);
  });

  it('answers a missing object with ObjectNotFoundError, and head with undefined', async () => {
    const store = new LocalObjectStore(dir);
    await expect(store.get('nope')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store.head('nope')).toBeUndefined();
  });

  it('leaves nothing in .tmp/ when a write fails (disk full), and the object does not exist', async () => {
    const store = new LocalObjectStore(dir);
    const open = fs.open.bind(fs);
    const spy = vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await open(...args);
      handle.writeFile = async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
      return handle;
    });
    const body = Buffer.from('payload');
    try {
      await expect(store.putIfAbsent('a/full.txt', body, sha(body))).rejects.toThrow(/ENOSPC/);
    } finally {
      spy.mockRestore();
    }
    expect(await fs.readdir(path.join(dir, '.tmp'))).toEqual([]);
    expect(await store.head('a/full.txt')).toBeUndefined();
  });

  it('clears what failed writes left in .tmp/ (clearTemp, run at the start of each collect under the lock)', async () => {
    await fs.mkdir(path.join(dir, '.tmp'), { recursive: true });
    await fs.writeFile(path.join(dir, '.tmp', 'dead.tmp'), '');
    await fs.writeFile(path.join(dir, '.tmp', 'half.tmp'), 'half');
    const store = new LocalObjectStore(dir);
    expect(await store.clearTemp()).toBe(2);
    expect(await fs.readdir(path.join(dir, '.tmp'))).toEqual([]);
    expect(await new LocalObjectStore(path.join(dir, 'nothing-here')).clearTemp()).toBe(0);
  });

  it('rejects keys that would escape the archive folder', async () => {
    const store = new LocalObjectStore(dir);
    await expect(store.putIfAbsent('../evil', Buffer.from('x'), sha(Buffer.from('x')))).rejects.toThrow(/invalid object key/);
  });
});

describe('LocalObjectStore and symbolic links', () => {
  const body = Buffer.from('part');
  let outside: string;
  beforeEach(async () => {
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'outside-'));
  });
  afterEach(async () => {
    await fs.rm(outside, { recursive: true, force: true });
  });

  it.each([
    ['a folder of the key', 'activity_logs/workspace=w', 'activity_logs/workspace=w/dt=2026-01-01/p.jsonl.gz'],
    ['a deeper folder', 'activity_logs/workspace=w/dt=2026-01-01', 'activity_logs/workspace=w/dt=2026-01-01/p.jsonl.gz'],
    ['the top folder', 'manifests', 'manifests/workspace=w/000000000001.json'],
  ])('refuses to write through a symlink at %s, and writes nothing outside the archive', async (_name, link, key) => {
    await fs.mkdir(path.dirname(path.join(dir, link)), { recursive: true });
    await fs.symlink(outside, path.join(dir, link));
    const store = new LocalObjectStore(dir);
    await expect(store.putIfAbsent(key, body, sha(body))).rejects.toThrow(SymlinkError);
    await expect(store.putIfAbsent(key, body, sha(body))).rejects.toThrow(
      new RegExp(`${link.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} inside the archive is a symbolic link`),
    );
    expect(await fs.readdir(outside, { recursive: true })).toEqual([]);
  });

  it('refuses to read an object that is a symlink (the last component) or lies behind one', async () => {
    await fs.writeFile(path.join(outside, 'secret'), 'outside');
    await fs.mkdir(path.join(dir, 'manifests/workspace=w'), { recursive: true });
    await fs.symlink(path.join(outside, 'secret'), path.join(dir, 'manifests/workspace=w/000000000000.json'));
    await fs.symlink(outside, path.join(dir, 'signatures'));
    const store = new LocalObjectStore(dir);
    await expect(store.get('manifests/workspace=w/000000000000.json')).rejects.toThrow(SymlinkError);
    await expect(store.head('manifests/workspace=w/000000000000.json')).rejects.toThrow(SymlinkError);
    await expect(store.get('signatures/secret')).rejects.toThrow(SymlinkError);
  });

  it('refuses a symlinked bookkeeping folder (.tmp, .object-lock)', async () => {
    await fs.symlink(outside, path.join(dir, '.tmp'));
    await expect(new LocalObjectStore(dir).putIfAbsent('activity_logs/a', body, sha(body))).rejects.toThrow(
      /\.tmp inside the archive is a symbolic link/,
    );
    await fs.unlink(path.join(dir, '.tmp'));
    await fs.symlink(outside, path.join(dir, '.object-lock'));
    await expect(new LocalObjectStore(dir).putIfAbsent('activity_logs/a', body, sha(body))).rejects.toThrow(
      /\.object-lock inside the archive is a symbolic link/,
    );
    expect(await fs.readdir(outside)).toEqual([]);
  });

  it('lists a symlink as such, never following it, and survives a loop', async () => {
    const store = new LocalObjectStore(dir);
    await store.putIfAbsent('activity_logs/a', body, sha(body));
    await fs.symlink(outside, path.join(dir, 'activity_logs/b-dir'));
    await fs.symlink(path.join(dir, 'activity_logs/loop'), path.join(dir, 'activity_logs/loop'));
    await fs.writeFile(path.join(outside, 'x'), 'x');
    const listed = [];
    for await (const o of store.list('activity_logs/')) listed.push(o);
    expect(listed).toEqual([
      { key: 'activity_logs/a', bytes: 4 },
      { key: 'activity_logs/b-dir', bytes: 0, symlink: true },
      { key: 'activity_logs/loop', bytes: 0, symlink: true },
    ]);
  });

  it('says whether the folder has lock records at all', async () => {
    const store = new LocalObjectStore(dir);
    expect(await store.hasLockRecords()).toBe(false);
    await store.putIfAbsent('activity_logs/a', body, sha(body));
    expect(await store.hasLockRecords()).toBe(true);
  });
});
