/** `npm run queries:generate`: writes the current activity-type groups into queries/*.sql. */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyGroups } from '../lambdas/core/queries/groups.ts';
import { QUERIES_DIR } from '../lambdas/adapters/local/loadQueries.ts';

let changed = 0;
for (const file of readdirSync(QUERIES_DIR).filter((f) => f.endsWith('.sql'))) {
  const full = path.join(QUERIES_DIR, file);
  const before = readFileSync(full, 'utf8');
  const after = applyGroups(before);
  if (after !== before) {
    writeFileSync(full, after);
    changed += 1;
    console.log(`updated ${file}`);
  }
}
console.log(changed ? `${changed} query files updated` : 'all query files are current');
