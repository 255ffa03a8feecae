/**
 * Compares a pack's CSV with the same query run again. On the engine kind the pack was built
 * with the bytes must be equal. Across engines (an Athena pack re-performed on DuckDB over a
 * downloaded copy) the engines format some values differently, so rows are compared after one
 * documented normalisation: a leading UTF-8 byte order mark is dropped, and two cells that both
 * read as decimal numbers are equal when their values are (`1` = `1.0` = `1e0`); every other
 * cell is compared as text, in order (every canned query ends with a total ORDER BY).
 */
import { parse } from 'csv-parse/sync';

export type CompareMode = 'bytes' | 'rows';

export interface FileComparison {
  readonly file: string;
  readonly status: 'match' | 'rows equal' | 'differs';
  /** Data rows in the fresh result. */
  readonly rows: number;
  /** The first record that differs: 0 is the header, 1 the first data row. */
  readonly first?: { readonly row: number; readonly pack: string[] | null; readonly now: string[] | null };
  readonly reason?: string;
  /** The fresh header row (names the columns of a differing row). */
  readonly columns?: string[];
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function records(body: Buffer): string[][] {
  const text = (body.subarray(0, 3).equals(BOM) ? body.subarray(3) : body).toString('utf8');
  return parse(text, { relax_column_count: true }) as string[][];
}

const sameCell = (a: string, b: string, mode: CompareMode) =>
  a === b || (mode === 'rows' && NUMBER.test(a) && NUMBER.test(b) && Number(a) === Number(b));

function firstDifference(pack: string[][], now: string[][], mode: CompareMode): FileComparison['first'] {
  for (let row = 0; row < Math.max(pack.length, now.length); row++) {
    const a = pack[row];
    const b = now[row];
    if (!a || !b || a.length !== b.length || a.some((cell, i) => !sameCell(cell, b[i]!, mode)))
      return { row, pack: a ?? null, now: b ?? null };
  }
  return undefined;
}

/** `pack` is undefined when the pack has no such file. */
export function compareCsv(file: string, pack: Buffer | undefined, now: Buffer, mode: CompareMode): FileComparison {
  const fresh = records(now);
  const rows = Math.max(0, fresh.length - 1);
  if (!pack) return { file, status: 'differs', rows, reason: `${file} is missing from the pack` };
  if (pack.equals(now)) return { file, status: 'match', rows };
  let old: string[][];
  try {
    old = records(pack);
  } catch {
    return { file, status: 'differs', rows, reason: `${file} in the pack is not a CSV file` };
  }
  const first = firstDifference(old, fresh, mode);
  if (first) return { file, status: 'differs', rows, first, columns: fresh[0] ?? [] };
  if (mode === 'rows') return { file, status: 'rows equal', rows };
  return {
    file,
    status: 'differs',
    rows,
    reason: 'every row reads the same, but the bytes differ (byte order mark, quoting or line ends)',
  };
}
