/**
 * The commit of the tool that builds a pack, when known: AUDIT_ARCHIVE_COMMIT (set by a release
 * or CI), else the git checkout of this project the CLI runs from (sources or dist/); undefined
 * for an installed package — never the commit of some other repository it is installed inside.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

let cached: string | null | undefined;

function projectRoot(): string | undefined {
  let dir = import.meta.dirname;
  for (let i = 0; i < 3; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'intercom-audit-archive') return dir;
  }
  return undefined;
}

function gitCommit(): string | null {
  const root = projectRoot();
  if (!root) return null;
  try {
    const [top, head] = execFileSync('git', ['rev-parse', '--show-toplevel', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    })
      .trim()
      .split('\n');
    return top && realpathSync(top) === realpathSync(root) && /^[0-9a-f]{40}$/.test(head ?? '') ? head! : null;
  } catch {
    return null;
  }
}

export function toolCommit(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AUDIT_ARCHIVE_COMMIT) return env.AUDIT_ARCHIVE_COMMIT;
  cached ??= gitCommit();
  return cached ?? undefined;
}
