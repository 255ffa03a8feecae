/**
 * Reads the canned queries from a folder of `.sql` files (the repository's `queries/`, or the copy
 * bundled beside a Lambda handler). The core only parses and binds them (`core/queries/catalog.ts`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type CannedQuery, parseQuery } from '../../core/queries/catalog.ts';

/** The repository's queries/ folder (beside lambdas/). */
export const QUERIES_DIR = path.resolve(import.meta.dirname, '../../../queries');

/** Every `*.sql` file of a folder, in name order. */
export function loadQueries(dir: string = QUERIES_DIR): CannedQuery[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseQuery(f, readFileSync(path.join(dir, f), 'utf8')));
}
