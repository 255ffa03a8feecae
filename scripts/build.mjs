#!/usr/bin/env node
// `npm run build`: compiles the CLI to dist/ with tsc and copies beside it every file the code
// reads at run time, at the same relative place as in the repository, so `import.meta.dirname`
// lookups resolve the same way from dist/ as from the sources.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');

/** Read at run time: the canned queries, the default rules, the DuckDB macros of the local engine. */
export const RUNTIME_FILES = ['queries', 'rules', 'lambdas/adapters/local/duckdbTrinoMacros.sql'];

rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
for (const file of RUNTIME_FILES) cpSync(path.join(ROOT, file), path.join(DIST, file), { recursive: true });

// The console page, bundled for the browser; `audit-archive console` serves it from dist/console-page/.
const { buildConsolePage } = await import('./buildConsole.mjs');
await buildConsolePage(path.join(DIST, 'console-page'));
