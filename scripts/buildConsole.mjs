// The console page: console/page/ bundled by esbuild (Chart.js included, nothing from a CDN)
// into one folder the server reads at start: index.html, app.js, app.css.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const PAGE = path.resolve(import.meta.dirname, '../console/page');

/** Builds the page into `outDir` (created). */
export async function buildConsolePage(outDir) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(PAGE, 'main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  copyFileSync(path.join(PAGE, 'index.html'), path.join(outDir, 'index.html'));
  copyFileSync(path.join(PAGE, 'style.css'), path.join(outDir, 'app.css'));
}
