/**
 * Lambda bundle size and module-load time (a local proxy for cold-start init), for each
 * handler, bundled like the stack bundles it (esbuild, ESM, minified, AWS SDK v3 external
 * because the Node.js Lambda runtime provides it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Enough environment for both entry points to initialise (no request is sent while loading). */
const ENTRY_ENV = {
  ARCHIVE_BUCKET: 'bench-archive',
  WORKSPACES: JSON.stringify([{ id: 'bench', region: 'us', secretId: 'intercom/bench' }]),
  WORKSPACE_IDS: 'bench',
  ATHENA_WORKGROUP: 'bench',
  ATHENA_DATABASE: 'bench',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:bench',
  QUERIES_DIR: path.join(ROOT, 'queries'),
  POWERTOOLS_SERVICE_NAME: 'bench',
  SIGNING_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/bench',
  SECURITY_LAKE_BUCKET: 'aws-security-data-lake-eu-west-1-bench',
  SECURITY_LAKE_REGION: 'eu-west-1',
  SECURITY_LAKE_ACCOUNT_ID: '123456789012',
  SECURITY_LAKE_PROVIDER_ROLE_ARN: 'arn:aws:iam::123456789012:role/bench',
  SECURITY_LAKE_EXTERNAL_ID: 'bench',
  WEBHOOK_SECRET_ID: 'intercom-audit-archive/webhook/client-secret',
  WEBHOOK_APPS: '{"bench":"bench"}',
};

export async function lambdaFigures(): Promise<{ name: string; bytes: number; loadMs: number }[]> {
  // The entry points build their adapters at load (once per container), so loading one needs a
  // valid environment; the load time then includes that initialisation, as a cold start does.
  const handlers = readdirSync(path.join(ROOT, 'lambdas/handlers')).filter((f) => f.endsWith('Entry.ts'));
  const out: { name: string; bytes: number; loadMs: number }[] = [];
  for (const file of handlers) {
    // Inside the repository, so the externalised AWS SDK resolves from node_modules as the
    // Lambda runtime would provide it: the load time includes loading the SDK.
    mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
    const dir = mkdtempSync(path.join(ROOT, '.bench', 'bundle-'));
    const outfile = path.join(dir, 'index.mjs');
    await build({
      entryPoints: [path.join(ROOT, 'lambdas/handlers', file)],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      outfile,
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      // As NodejsFunction does for Node 18+ runtimes: the runtime ships AWS SDK v3.
      external: ['@aws-sdk/*'],
      logLevel: 'silent',
    });
    const probe = path.join(dir, 'probe.mjs');
    writeFileSync(probe, `const t = performance.now(); await import('./index.mjs'); console.log(performance.now() - t);`);
    const env = { ...process.env, AWS_REGION: 'eu-west-1', ...ENTRY_ENV };
    const runs = Array.from({ length: 5 }, () => Number(spawnSync(process.execPath, [probe], { encoding: 'utf8', env }).stdout.trim()));
    runs.sort((a, b) => a - b);
    out.push({ name: file.replace(/Entry\.ts$/, ''), bytes: statSync(outfile).size, loadMs: runs[Math.floor(runs.length / 2)]! });
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
