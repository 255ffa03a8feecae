/** Reads every archived line back, for exactly-once assertions. */
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { readGzipLines } from '../../lambdas/core/archive/lines.ts';
import { archiveScope } from '../../lambdas/core/archive/scope.ts';

export async function archivedLines(store: ObjectStore, root = 'activity_logs/'): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for await (const object of store.list(root)) {
    for await (const line of readGzipLines(await store.get(object.key))) lines.push(line);
  }
  return lines;
}

/** Ids archived more than once (should always be empty). */
export function duplicateIds(lines: Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const line of lines) {
    const id = String(line.id);
    if (seen.has(id)) dups.push(id);
    seen.add(id);
  }
  return dups;
}

/** Every line of the data parts the manifest chains list (what queries read). */
export async function listedLines(store: ObjectStore): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  for (const part of (await archiveScope(store)).parts) {
    for await (const line of readGzipLines(await store.get(part.key))) lines.push(line);
  }
  return lines;
}
