/**
 * `report reperform`: runs every query of a pack again with the pack's own SQL and parameter
 * values, on an engine that reads only what the pack's recorded heads list, and compares each
 * fresh CSV with the pack's (csvCompare.ts). The CSVs only: summary.html and pack.xlsx are
 * renderings of them.
 */
import type { QueryEngine } from '../ports.ts';
import { type CompareMode, type FileComparison, compareCsv } from './csvCompare.ts';
import { toCsv } from './csv.ts';
import { type PackManifest, engineKind } from './packManifest.ts';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface ReperformOptions {
  readonly manifest: PackManifest;
  /** A file of the pack, or undefined when it is absent. */
  readonly read: (name: string) => Promise<Buffer | undefined>;
  /** Reads only the parts listed up to the pack's heads. */
  readonly engine: QueryEngine;
  /** Rewrites a query so the engine reads only up to the heads (Athena); a file-list engine needs none. */
  readonly bind?: (sql: string, values: readonly string[]) => { sql: string; values: string[] };
  readonly onFile?: (comparison: FileComparison) => void;
}

export interface ReperformResult {
  readonly ok: boolean;
  readonly mode: CompareMode;
  readonly packEngine: string;
  readonly engine: string;
  readonly files: FileComparison[];
}

export async function reperformPack(options: ReperformOptions): Promise<ReperformResult> {
  const { manifest, engine } = options;
  const mode: CompareMode = engineKind(manifest.engine) === engineKind(engine.name) ? 'bytes' : 'rows';
  const files: FileComparison[] = [];
  for (const query of manifest.queries) {
    const values = query.parameters.map((p) => p.value);
    const bound = options.bind ? options.bind(query.sql, values) : { sql: query.sql, values };
    const csv = toCsv(await engine.run(bound.sql, bound.values));
    // The options that shaped the pack's bytes shape the fresh ones the same way.
    const fresh = manifest.options?.bom ? Buffer.concat([UTF8_BOM, csv]) : csv;
    const comparison = compareCsv(query.file, await options.read(query.file), fresh, mode);
    files.push(comparison);
    options.onFile?.(comparison);
  }
  return { ok: files.every((f) => f.status !== 'differs'), mode, packEngine: manifest.engine, engine: engine.name, files };
}
