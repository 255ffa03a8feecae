/**
 * The built page (`npm run build` bundles console/page/ into dist/console-page/), read into
 * memory once at start. Requests look files up by exact name in this map, so no URL can name
 * a file outside it (no path traversal, no symlink followed at request time).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../lambdas/core/errors.ts';

export type PageFiles = ReadonlyMap<string, { readonly body: Buffer; readonly type: string }>;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** From the sources (cli/console/) and from dist/cli/console/ alike. */
export function defaultPageDir(): string {
  const candidates = [
    path.resolve(import.meta.dirname, '../../dist/console-page'),
    path.resolve(import.meta.dirname, '../../console-page'),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

export function loadPage(dir: string = defaultPageDir()): PageFiles {
  if (!existsSync(path.join(dir, 'index.html')))
    throw new ConfigurationError(`the console page is not built (${dir}/index.html is missing): run \`npm run build\``);
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = TYPES[path.extname(entry.name)];
    if (entry.isFile() && type) files.set(entry.name, { body: readFileSync(path.join(dir, entry.name)), type });
  }
  return files;
}

/**
 * The built page; run from the TypeScript sources (`npm run cli`, `npm start`) before any
 * `npm run build`, the page is bundled into a temporary folder first (esbuild is a dev tool there).
 */
export async function defaultPage(): Promise<PageFiles> {
  const dir = defaultPageDir();
  const fromSources = import.meta.url.endsWith('.ts');
  if (existsSync(path.join(dir, 'index.html')) || !fromSources) return loadPage(dir);
  const out = mkdtempSync(path.join(os.tmpdir(), 'audit-console-page-'));
  const script = path.resolve(import.meta.dirname, '../../scripts/buildConsole.mjs');
  const { buildConsolePage } = (await import(script)) as { buildConsolePage: (outDir: string) => Promise<void> };
  await buildConsolePage(out);
  return loadPage(out);
}
