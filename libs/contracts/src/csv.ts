// The one CSV writer for results (the gateway's batch export, the CLI's --format csv): RFC 4180
// quoting by csv-stringify, and cells a spreadsheet would run as a formula defused.
import { stringify } from 'csv-stringify/sync';

/**
 * A text cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip
 * before such a sign) is run as a formula by Excel and LibreOffice; a leading apostrophe keeps it
 * text (OWASP "CSV injection"). Numbers such as -0.5 stay numbers.
 */
export function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
}

export type CsvValue = string | number | null | undefined;

/** One CSV record, without its line end (for output written line by line). */
export function csvLine(values: readonly CsvValue[]): string {
  return stringify([values.map(csvText)], { record_delimiter: 'unix' }).slice(0, -1);
}

/** A header line and one line per row, CRLF line ends (RFC 4180), every line terminated. */
export function toCsv<Column extends string>(
  columns: readonly Column[],
  rows: Iterable<Partial<Record<Column, CsvValue>>>,
): string {
  const lines = [csvLine(columns)];
  for (const row of rows) lines.push(csvLine(columns.map((column) => row[column])));
  return `${lines.join('\r\n')}\r\n`;
}

function csvText(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  return defuseFormula(String(value));
}
