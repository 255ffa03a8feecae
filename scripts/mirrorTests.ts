/**
 * `npx tsx scripts/mirrorTests.ts`: moves each unit test under test/unit/ to the folder that mirrors
 * the source it tests (`lambdas/core/collect/x.ts` → `test/unit/core/collect/`, `cli/x.ts` →
 * `test/unit/cli/`, `simulator/x.ts` → `test/unit/simulator/`), rewrites the relative paths in the
 * moved file (imports, `vi.mock`, `import.meta` URLs and folders that exist) and the references to
 * its old path in the repository's text files. Idempotent: a test already in its place is left
 * alone, so it can run again after every merge. `--check` lists the moves without making them.
 *
 * The source a test tests: the imported source whose name the test carries (`lines.test.ts` →
 * `archive/lines.ts`, `collectorHandler.test.ts` → `handlers/collector.ts`, the longest such name
 * first), else its first imported source. A test that imports no source (lint rules, packaging)
 * stays at the top of test/unit/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const UNIT = 'test/unit';
/** Source roots and the folder under test/unit/ that mirrors each. */
const MIRRORS: readonly (readonly [string, string])[] = [
  ['lambdas/', ''],
  ['cli/', 'cli/'],
  ['simulator/', 'simulator/'],
  ['infra/', 'infra/'],
];

export interface Move {
  readonly from: string;
  readonly to: string;
}

const posix = (p: string) => p.split(path.sep).join('/');

function unitTests(root: string, dir = UNIT): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? unitTests(root, `${dir}/${e.name}`) : e.name.endsWith('.test.ts') ? [`${dir}/${e.name}`] : []))
    .sort();
}

/** The repository paths of the sources a test imports, in the order it imports them. */
export function importedSources(testFile: string, text: string): string[] {
  const dir = path.posix.dirname(testFile);
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.\.?\/[^']+\.(?:ts|mjs))'/g)) {
    const target = path.posix.normalize(path.posix.join(dir, m[1]!));
    if (MIRRORS.some(([prefix]) => target.startsWith(prefix)) && !found.includes(target)) found.push(target);
  }
  return found;
}

/**
 * Tests whose subject their name and imports do not tell (they test a behaviour across modules):
 * the file name → the source whose folder they belong in (null: the top of test/unit/).
 */
const SUBJECTS: Readonly<Record<string, string | null>> = {
  // Tests of this script: the sources named in its fixture strings are not its subject.
  'testMirror.test.ts': null,
  'collect.test.ts': 'lambdas/core/collect/collect.ts',
  'parts.test.ts': 'lambdas/core/collect/collect.ts',
  'roster.test.ts': 'lambdas/core/collect/roster.ts',
  'reobserve.test.ts': 'lambdas/core/collect/phases.ts',
  'rules.test.ts': 'lambdas/core/rules/evaluate.ts',
  'handlerEntries.test.ts': 'lambdas/handlers/collectorEntry.ts',
  'simulator.test.ts': 'simulator/server.ts',
  'siemFeed.test.ts': 'lambdas/core/siem/feed.ts',
  'heavyWindows.test.ts': 'lambdas/core/collect/WindowPlanner.ts',
  'queueRuns.test.ts': 'lambdas/handlers/collectorQueue.ts',
};

/** The source a test tests (see the file comment), or undefined for a test of the repository itself. */
export function subjectOf(testFile: string, text: string): string | undefined {
  const fixed = SUBJECTS[path.posix.basename(testFile)];
  if (fixed !== undefined) return fixed ?? undefined;
  const sources = importedSources(testFile, text);
  const name = path.posix.basename(testFile, '.test.ts').toLowerCase();
  const base = (s: string) =>
    path.posix
      .basename(s)
      .replace(/\.(ts|mjs)$/, '')
      .toLowerCase();
  const exact = sources.find((s) => base(s) === name);
  if (exact) return exact;
  const named = sources.filter((s) => name.includes(base(s))).sort((a, b) => base(b).length - base(a).length);
  if (named[0]) return named[0];
  // A folder the test is named after (`verifyCopies` → core/verify/, `collectorPuts` → handlers/collector.ts above).
  const folder = sources.find((s) =>
    path.posix
      .dirname(s)
      .split('/')
      .slice(1)
      .some((seg) => name.includes(seg.replace(/s$/, ''))),
  );
  return folder ?? sources[0];
}

/** Where a test of `source` belongs. */
export function mirrorDir(source: string): string {
  const [prefix, mirror] = MIRRORS.find(([p]) => source.startsWith(p))!;
  const dir = path.posix.dirname(source.slice(prefix.length));
  return path.posix.join(UNIT, mirror, dir === '.' ? '' : dir);
}

/** Every move that would put a unit test in its mirrored place. */
export function planMoves(root: string): Move[] {
  const moves: Move[] = [];
  for (const from of unitTests(root)) {
    const subject = subjectOf(from, readFileSync(path.join(root, from), 'utf8'));
    const dir = subject ? mirrorDir(subject) : UNIT;
    const to = path.posix.join(dir, path.posix.basename(from));
    if (to !== from) moves.push({ from, to });
  }
  return moves;
}

/** Where a quoted path is relative to the test file: a module specifier or an `import.meta` base. */
const BEFORE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bvi\.mock\(\s*|importActual(?:<[^>]*>)?\(\s*|import\.meta\.dirname\s*,\s*)$/;
const AFTER = /^\s*,\s*import\.meta\.url/;

/**
 * Rewrites each relative path in a moved test that is relative to the file itself (an import, a
 * `vi.mock`, `new URL(…, import.meta.url)`, `path.resolve(import.meta.dirname, …)`) and names
 * something that exists, so it names the same thing from the new folder. For a template string
 * only the part before the first `${` counts, up to its last `/`. Other strings are left alone.
 */
export function rewritePaths(root: string, text: string, fromDir: string, toDir: string): string {
  return text.replace(/(['"`])(\.\.?(?:\/[^'"`$\n]*)?)(?=['"`$])/g, (whole, quote: string, spec: string, offset: number) => {
    const end = offset + whole.length;
    const closing = text.indexOf(text[end] === '$' ? '`' : quote, end);
    if (!BEFORE.test(text.slice(Math.max(0, offset - 80), offset)) && !AFTER.test(text.slice(closing + 1, closing + 40))) return whole;
    const template = text[end] === '$';
    const head = template ? spec.slice(0, spec.lastIndexOf('/') + 1) : spec;
    if (!head) return whole;
    const target = path.posix.normalize(path.posix.join(fromDir, head));
    if (!existsSync(path.join(root, target))) return whole;
    let moved = path.posix.relative(toDir, target) || '.';
    if (!moved.startsWith('.')) moved = `./${moved}`;
    if (head.endsWith('/') && !moved.endsWith('/')) moved += '/';
    return `${quote}${moved}${spec.slice(head.length)}`;
  });
}

function trackedTextFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\n');
  return listed.filter((f) => f && !f.startsWith('test/fixtures/') && /\.(ts|mjs|js|json|jsonc|md|yaml|yml)$|^\.ci\//.test(f));
}

/** Makes the moves: the file, its relative paths, and every mention of its old path elsewhere. */
export function applyMoves(root: string, moves: readonly Move[]): void {
  for (const { from, to } of moves) {
    const text = readFileSync(path.join(root, from), 'utf8');
    mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    // Rewrite before the rename, so paths are checked against the tree as it is.
    const rewritten = rewritePaths(root, text, path.posix.dirname(from), path.posix.dirname(to));
    renameSync(path.join(root, from), path.join(root, to));
    writeFileSync(path.join(root, to), rewritten);
    const left = path.join(root, path.dirname(from));
    if (path.posix.dirname(from) !== UNIT && readdirSync(left).length === 0) rmdirSync(left);
  }
  if (moves.length === 0) return;
  for (const file of trackedTextFiles(root)) {
    if (!existsSync(path.join(root, file))) continue;
    const text = readFileSync(path.join(root, file), 'utf8');
    let next = text;
    for (const { from, to } of moves) next = next.split(from).join(to);
    if (next !== text) writeFileSync(path.join(root, file), next);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = posix(path.resolve(import.meta.dirname, '..'));
  const moves = planMoves(root);
  for (const m of moves) process.stdout.write(`${m.from} -> ${m.to}\n`);
  if (process.argv.includes('--check')) process.exitCode = moves.length ? 1 : 0;
  else applyMoves(root, moves);
  process.stdout.write(`${moves.length} test file(s) ${process.argv.includes('--check') ? 'out of place' : 'moved'}\n`);
}
