/**
 * A production install (`npm ci --omit=dev`) has only `dependencies`: every package the CLI, the
 * simulator it serves and the Lambdas import at run time must be one. `.ci/run` proves it end to
 * end on an install; this finds the same mistake in `npm test`, from the sources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

/** Package names a file loads at run time: import and export declarations that are not type-only, and import() calls. */
function runtimePackages(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      specifiers.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      specifiers.push(node.moduleSpecifier.text);
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      specifiers.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('package.json', () => {
  const files = [...sources('cli'), ...sources('lambdas'), ...sources('simulator')];

  it('declares every package the CLI, the simulator and the Lambdas import at run time as a runtime dependency', () => {
    expect(files.length).toBeGreaterThan(40);
    const missing = files.flatMap((file) =>
      runtimePackages(file)
        .filter((name) => !(name in pkg.dependencies))
        .map((name) => `${file}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('finds a runtime import declared as a devDependency (the check is live)', () => {
    expect(runtimePackages('lambdas/core/rules/ruleset.ts')).toContain('yaml');
    expect(pkg.dependencies).toHaveProperty('yaml');
    expect(runtimePackages('lambdas/handlers/collector.ts')).not.toContain('aws-lambda'); // `import type` only
  });

  it('keeps TypeScript tooling out of the runtime: tsx and typescript are devDependencies, @types/node stays at 20', () => {
    expect(pkg.dependencies).not.toHaveProperty('tsx');
    expect(pkg.dependencies).not.toHaveProperty('typescript');
    expect(pkg.devDependencies).toHaveProperty('tsx');
    expect(pkg.devDependencies['@types/node']).toMatch(/^\^?20\./);
  });

  it('points the bin at a script that runs the build in dist/, without a TypeScript loader', () => {
    const bin = readFileSync(path.join(ROOT, pkg.bin['audit-archive']!), 'utf8');
    expect(bin).toContain("import('../dist/cli/main.js')");
    expect(bin).not.toMatch(/tsx|\.ts['"]/);
  });
});
