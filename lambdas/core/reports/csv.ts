/**
 * RFC 4180 CSV of a query result: a header row of column names, then one row per result row,
 * CRLF line ends, null as an empty field. Values are written as they are (evidence is not
 * rewritten), so a cell starting with `=` stays a formula to a spreadsheet: open with care.
 */
import { stringify } from 'csv-stringify/sync';
import type { QueryResult } from '../ports.ts';

export function toCsv(result: QueryResult): Buffer {
  const text = stringify([result.columns, ...result.rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell))))], {
    record_delimiter: '\r\n',
    // csv-stringify quotes on CRLF; a lone LF or CR must be quoted too.
    quoted_match: /[\r\n]/,
  });
  return Buffer.from(text, 'utf8');
}
