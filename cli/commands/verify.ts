/** `audit-archive verify`: the core verifier over a local archive folder. */
import { promises as fs } from 'node:fs';
import { LocalObjectStore } from '../../lambdas/adapters/local/LocalObjectStore.ts';
import { iso } from '../../lambdas/core/archive/manifest.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { type VerifyResult, verifyArchive } from '../../lambdas/core/verify/verify.ts';
import type { Output } from '../output.ts';

export async function runVerify(archive: string, output: Output): Promise<VerifyResult> {
  const stat = await fs.stat(archive).catch(() => undefined);
  if (!stat?.isDirectory()) throw new ConfigurationError(`--archive: '${archive}' is not a folder (give the folder that collect wrote)`);
  const store = new LocalObjectStore(archive);
  let bar: ReturnType<Output['progress']> | undefined;
  const result = await verifyArchive(store, {
    onProgress: (done, total) => {
      bar ??= output.progress('verifying {bar} {value}/{total} objects | ETA {eta_formatted}', total, {});
      bar.update(done);
    },
  });
  bar?.stop();
  return result;
}

export function formatVerifyResult(result: VerifyResult): string {
  const lines: string[] = [];
  for (const ws of result.workspaces) {
    lines.push(
      `workspace ${ws.workspaceId}: ${ws.manifests} manifests (${ws.windows} windows, ${ws.lateManifests} late), ` +
        `${ws.origin !== null ? iso(ws.origin) : '?'} – ${ws.checkpoint !== null ? iso(ws.checkpoint) : '?'}, ${ws.parts} parts, ${ws.records} entries, ${ws.quarantined} quarantined`,
    );
  }
  if (result.workspaces.length === 0) lines.push('no manifest chain found: nothing has been collected into this archive');
  lines.push(`${result.objectsChecked} objects re-hashed (${(result.bytesChecked / 1e6).toFixed(1)} MB)`);
  if (result.ok) lines.push('OK: every chain is intact, every object matches its hash, nothing is outside the chain');
  else {
    lines.push(`FAILED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
    for (const p of result.problems) lines.push(`  [${p.code}] ${p.message}`);
  }
  return lines.join('\n');
}
