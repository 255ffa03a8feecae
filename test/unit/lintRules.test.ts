/**
 * The guard rails in biome.jsonc do what they say: probe files, laid out like the repository in a
 * temporary folder with a copy of the configuration, linted once with Biome's JSON reporter.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIOME = path.join(ROOT, 'node_modules/.bin/biome');

const longFunction = `export function long(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(80)}  return n;\n}\n`;
const PROBES: Record<string, string> = {
  'lambdas/core/sdk.ts': "import { S3Client } from '@aws-sdk/client-s3';\n\nexport const x = S3Client;\n",
  'lambdas/core/cdk.ts':
    "import { Stack } from 'aws-cdk-lib';\nimport { Bucket } from 'aws-cdk-lib/aws-s3';\nimport { Construct } from 'constructs';\n\nexport const x = [Stack, Bucket, Construct];\n",
  'lambdas/core/files.ts':
    "import { readFileSync } from 'node:fs';\nimport { readFile } from 'node:fs/promises';\nimport { writeFileSync } from 'fs';\n\nexport const x = [readFileSync, readFile, writeFileSync];\n",
  'lambdas/core/network.ts': "import { createServer } from 'node:http';\n\nexport const x = createServer;\n",
  'lambdas/core/dynamic.ts': "export const load = () => import('node:fs');\n",
  'lambdas/core/env.ts': 'export const region = () => process.env.AWS_REGION;\n',
  'lambdas/core/fine.ts':
    "import { createHash } from 'node:crypto';\nimport path from 'node:path';\nimport { z } from 'zod';\n\nexport const x = [createHash, path, z];\n",
  'lambdas/core/queries/catalog.ts': "import { readFileSync } from 'node:fs';\n\nexport const x = readFileSync;\n",
  'lambdas/core/queries/other.ts': "import { readFileSync } from 'node:fs';\n\nexport const x = readFileSync;\n",
  'lambdas/adapters/aws/adapter.ts':
    "import { readFileSync } from 'node:fs';\nimport { S3Client } from '@aws-sdk/client-s3';\n\nexport const x = [readFileSync, S3Client, process.env.AWS_REGION];\n",
  'cli/unused.ts': "import { readFileSync } from 'node:fs';\nimport path from 'node:path';\n\nexport const x = path;\n",
  'lambdas/handlers/long.ts': longFunction,
  'infra/long.ts': longFunction,
  'cli/long.ts': longFunction,
};

interface Diagnostic {
  severity: string;
  category: string;
  location: { path: string };
}
let dir: string;
let diagnostics: Diagnostic[];
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lint-probes-'));
  cpSync(path.join(ROOT, 'biome.jsonc'), path.join(dir, 'biome.jsonc'));
  if (existsSync(path.join(ROOT, 'biome-plugins')))
    cpSync(path.join(ROOT, 'biome-plugins'), path.join(dir, 'biome-plugins'), { recursive: true });
  for (const [file, text] of Object.entries(PROBES)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const run = spawnSync(BIOME, ['lint', '--vcs-enabled=false', '--reporter=json', '--max-diagnostics=none', '.'], {
    cwd: dir,
    encoding: 'utf8',
  });
  diagnostics = (JSON.parse(run.stdout) as { diagnostics: Diagnostic[] }).diagnostics;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const found = (file: string) =>
  diagnostics
    .filter((d) => d.location.path === file && d.severity !== 'info')
    .map((d) => `${d.severity} ${d.category}`)
    .sort();

describe('biome.jsonc guard rails', () => {
  it.each([
    ['the AWS SDK', 'lambdas/core/sdk.ts', ['error lint/style/noRestrictedImports']],
    ['aws-cdk-lib and constructs', 'lambdas/core/cdk.ts', Array(3).fill('error lint/style/noRestrictedImports')],
    ['node:fs in any spelling', 'lambdas/core/files.ts', Array(3).fill('error lint/style/noRestrictedImports')],
    ['node:http', 'lambdas/core/network.ts', ['error lint/style/noRestrictedImports']],
    ['node:fs through a dynamic import', 'lambdas/core/dynamic.ts', ['error lint/style/noRestrictedImports']],
    ['process.env', 'lambdas/core/env.ts', ['error lint/style/noProcessEnv']],
  ])('keeps %s out of lambdas/core (an error)', (_what, file, expected) => {
    expect(found(file)).toEqual(expected);
  });

  it('lets the core use node:crypto, node:path and zod', () => {
    expect(found('lambdas/core/fine.ts')).toEqual([]);
  });

  it('keeps node:fs out of core/queries/catalog.ts too: the query files are read by an adapter', () => {
    expect(found('lambdas/core/queries/catalog.ts')).toEqual(['error lint/style/noRestrictedImports']);
    expect(found('lambdas/core/queries/other.ts')).toEqual(['error lint/style/noRestrictedImports']);
  });

  it('lets adapters use the AWS SDK, node:fs and the environment', () => {
    expect(found('lambdas/adapters/aws/adapter.ts')).toEqual([]);
  });

  it('fails on an unused import', () => {
    expect(found('cli/unused.ts')).toEqual(['error lint/correctness/noUnusedImports']);
  });

  it('warns on a function longer than 80 lines in lambdas/ and infra/ only', () => {
    expect(found('lambdas/handlers/long.ts')).toEqual(['warning lint/complexity/noExcessiveLinesPerFunction']);
    expect(found('infra/long.ts')).toEqual(['warning lint/complexity/noExcessiveLinesPerFunction']);
    expect(found('cli/long.ts')).toEqual([]);
  });

  it('checks the format: single quotes, semicolons, 2-space indent, trailing commas', () => {
    const check = (text: string) => {
      writeFileSync(path.join(dir, 'cli/format.ts'), text);
      return spawnSync(BIOME, ['format', '--vcs-enabled=false', 'cli/format.ts'], { cwd: dir, encoding: 'utf8' }).status;
    };
    expect(check("export const x = { a: 'a', b: [1, 2] };\n")).toBe(0);
    expect(check('export const x = { a: "a", b: [1, 2] };\n')).not.toBe(0);
    expect(check("export const x = { a: 'a', b: [1, 2] }\n")).not.toBe(0);
    expect(check('export function f() {\n    return 1;\n}\n')).not.toBe(0);
  });
});
