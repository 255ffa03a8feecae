import type { StoredManifest } from '../archive/chain.ts';
import { readGzipLines } from '../archive/lines.ts';
import { sha256Hex } from '../archive/manifest.ts';
import type { ObjectStore } from '../ports.ts';
import type { AlertEntry } from './evaluate.ts';

/**
 * The entries each manifest lists, manifest by manifest, each sorted by (time, id) as backtests
 * order them; parts are read `concurrency` at a time ahead. A part whose bytes do not match its
 * manifest is skipped and named in `notes` (verify reports it too).
 */
export async function* manifestEntries(
  store: ObjectStore,
  manifests: readonly StoredManifest[],
  concurrency: number,
  notes: string[],
): AsyncGenerator<{ manifest: StoredManifest; entries: AlertEntry[] }> {
  // A manifest a later recovery manifest superseded carries no weight: its parts are not evaluated.
  const superseded = new Set(manifests.flatMap((m) => (m.manifest.supersedes ?? []).map((r) => r.seq)));
  const parts = manifests.flatMap((m, index) => (superseded.has(m.manifest.seq) ? [] : m.manifest.parts.map((part) => ({ index, part }))));
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (next < parts.length && pending.length < concurrency) {
      const p = store.get(parts[next]!.part.key);
      p.catch(() => undefined); // awaited in order below
      pending.push(p);
      next += 1;
    }
  };
  let cursor = 0;
  for (let index = 0; index < manifests.length; index += 1) {
    const entries: AlertEntry[] = [];
    while (cursor < parts.length && parts[cursor]!.index === index) {
      fill();
      const { part } = parts[cursor]!;
      const body = await pending.shift()!;
      cursor += 1;
      if (sha256Hex(body) !== part.sha256) {
        notes.push(`part ${part.key} does not match the SHA-256 its manifest lists: skipped for alerts; run verify`);
        continue;
      }
      for await (const line of readGzipLines(body)) entries.push(line as unknown as AlertEntry);
    }
    entries.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    yield { manifest: manifests[index]!, entries };
  }
}
