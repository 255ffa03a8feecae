import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMoves, planMoves } from '../../scripts/mirrorTests.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the unit-test tree mirrors the source tree', () => {
  it('has every test under test/unit/ in the folder of the source it tests (run `npx tsx scripts/mirrorTests.ts` to fix)', () => {
    expect(planMoves(ROOT)).toEqual([]);
  });
});

describe('scripts/mirrorTests.ts', () => {
  let dir: string;
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  const TEST = [
    "import { store } from '../../lambdas/adapters/local/store.ts';",
    "import { lines } from '../../lambdas/core/archive/lines.ts';",
    "import { fake } from '../helpers/fake.ts';",
    "vi.mock('../../lambdas/core/archive/lines.ts', async (load) => load<typeof import('../../lambdas/core/archive/lines.ts')>());",
    "const ROOT = path.resolve(import.meta.dirname, '../..');",
    'const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);',
    "const key = '../evil';",
    "const up = path.join(tmp, '..');",
    '',
  ].join('\n');

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mirror-'));
    write('lambdas/core/archive/lines.ts', 'export const lines = 1;\n');
    write('lambdas/adapters/local/store.ts', 'export const store = 1;\n');
    write('test/helpers/fake.ts', 'export const fake = 1;\n');
    write('test/fixtures/a.json', '{}\n');
    write('test/unit/lines.test.ts', TEST);
    write('test/unit/lintRules.test.ts', "const ROOT = path.resolve(import.meta.dirname, '../..');\n");
    write('README.md', 'See `test/unit/lines.test.ts`.\n');
    execFileSync('git', ['init', '-q'], { cwd: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves a test beside its source, rewrites its relative paths and the mentions of its old path, and then has nothing left to do', () => {
    const moves = planMoves(dir);
    expect(moves).toEqual([{ from: 'test/unit/lines.test.ts', to: 'test/unit/core/archive/lines.test.ts' }]);
    applyMoves(dir, moves);
    expect(read('test/unit/core/archive/lines.test.ts')).toBe(
      [
        "import { store } from '../../../../lambdas/adapters/local/store.ts';",
        "import { lines } from '../../../../lambdas/core/archive/lines.ts';",
        "import { fake } from '../../../helpers/fake.ts';",
        "vi.mock('../../../../lambdas/core/archive/lines.ts', async (load) => load<typeof import('../../../../lambdas/core/archive/lines.ts')>());",
        "const ROOT = path.resolve(import.meta.dirname, '../../../..');",
        'const fixture = (name: string) => new URL(`../../../fixtures/${name}`, import.meta.url);',
        "const key = '../evil';",
        "const up = path.join(tmp, '..');",
        '',
      ].join('\n'),
    );
    expect(read('README.md')).toBe('See `test/unit/core/archive/lines.test.ts`.\n');
    // A test of the repository itself (it imports no source) stays where it is.
    expect(read('test/unit/lintRules.test.ts')).toContain("'../..'");
    expect(planMoves(dir)).toEqual([]);
  });

  it('places a new test added later without touching the ones already in place', () => {
    write('test/unit/store.test.ts', "import { store } from '../../lambdas/adapters/local/store.ts';\n");
    const moves = planMoves(dir);
    expect(moves).toEqual([{ from: 'test/unit/store.test.ts', to: 'test/unit/adapters/local/store.test.ts' }]);
    applyMoves(dir, moves);
    expect(read('test/unit/adapters/local/store.test.ts')).toBe("import { store } from '../../../../lambdas/adapters/local/store.ts';\n");
    expect(planMoves(dir)).toEqual([]);
  });
});
