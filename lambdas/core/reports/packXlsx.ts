/**
 * pack.xlsx: the query results for a spreadsheet, beside the CSVs (which stay the byte-exact
 * evidence). One sheet per query; every cell is a string or a number, never a formula, so a
 * teammate's name that starts with `=` stays text, and names in any script survive (xlsx is
 * UTF-8 inside). Built with exceljs (well kept; the SheetJS build on npm is a stale 0.18).
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Cell, QueryResult } from '../ports.ts';

/** Excel's limits: a sheet name of 31 characters without []:*?/\, a cell of 32,767 characters, 1,048,576 rows. */
const MAX_NAME = 31;
const MAX_CELL = 32_767;
const MAX_ROWS = 1_048_576;
export const CUT_MARK = '… [cut at the spreadsheet cell limit: see the CSV]';

export interface XlsxSheet {
  readonly name: string;
  readonly result: QueryResult;
}

/** The value a cell holds: numbers stay numbers, everything else is the text the CSV holds. */
export function xlsxCell(cell: Cell): string | number {
  if (typeof cell === 'number' && Number.isFinite(cell)) return cell;
  const text = cell === null ? '' : String(cell);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - CUT_MARK.length)}${CUT_MARK}` : text;
}

function sheetName(name: string, taken: Set<string>): string {
  const base = name.replace(/[[\]:*?/\\]/g, '_').slice(0, MAX_NAME) || 'query';
  let candidate = base;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${base.slice(0, MAX_NAME - String(i).length - 1)}~${i}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/**
 * The workbook, and the sheets cut at Excel's row limit (the manifest names them; the CSVs are whole).
 * Written with exceljs's streaming writer, row by row: the in-memory workbook took 19 s and 1.3 GB
 * for 200,000 rows (a year's `soc2_permission_changes` has about 500,000).
 */
export async function packXlsx(sheets: readonly XlsxSheet[], generatedAt: Date): Promise<{ body: Buffer; cut: string[] }> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  workbook.creator = 'intercom-audit-archive';
  workbook.created = generatedAt;
  workbook.modified = generatedAt;
  const taken = new Set<string>();
  const cut: string[] = [];
  for (const { name, result } of sheets) {
    if (result.rows.length > MAX_ROWS - 1) cut.push(name);
    const sheet = workbook.addWorksheet(sheetName(name, taken));
    const header = sheet.addRow(result.columns.map((c) => xlsxCell(c)));
    header.font = { bold: true };
    header.commit();
    for (const row of result.rows.slice(0, MAX_ROWS - 1)) sheet.addRow(row.map(xlsxCell)).commit();
    sheet.commit();
  }
  await workbook.commit();
  await ended;
  return { body: Buffer.concat(chunks), cut };
}
