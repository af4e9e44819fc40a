// Rows of `heartbeat classify` in the three output formats. jsonl is one JSON object per line with
// fixed field names; a failed file has file, code and error and no label.
// The CSV writer's own entry: the package's index loads zod (~100 ms of CPU) for schemas the CLI does not use.
import type { PredictionLabel } from '@heartbeat/contracts';
import { csvLine } from '@heartbeat/contracts/csv';

export type OutputFormat = 'table' | 'jsonl' | 'csv';

export interface ClassifiedRow {
  file: string;
  label: PredictionLabel;
  probability: number;
  quality: number;
  windows: number;
}

export interface FailedRow {
  file: string;
  code: string;
  error: string;
}

export type ResultRow = ClassifiedRow | FailedRow;

export const isFailed = (row: ResultRow): row is FailedRow => 'code' in row;

const CSV_COLUMNS = ['file', 'label', 'probability', 'quality', 'windows', 'code', 'error'] as const;

export function formatJsonLine(row: ResultRow): string {
  if (isFailed(row)) return JSON.stringify({ file: row.file, code: row.code, error: row.error });
  return JSON.stringify({
    file: row.file,
    label: row.label,
    probability: round(row.probability, 4),
    quality: round(row.quality, 3),
    windows: row.windows,
  });
}

export function csvHeader(): string {
  return csvLine(CSV_COLUMNS);
}

export function formatCsvLine(row: ResultRow): string {
  const values: Record<(typeof CSV_COLUMNS)[number], string> = isFailed(row)
    ? {
        file: row.file,
        label: '',
        probability: '',
        quality: '',
        windows: '',
        code: row.code,
        error: row.error,
      }
    : {
        file: row.file,
        label: row.label,
        probability: String(round(row.probability, 4)),
        quality: String(round(row.quality, 3)),
        windows: String(row.windows),
        code: '',
        error: '',
      };
  return csvLine(CSV_COLUMNS.map((column) => values[column]));
}

export function formatTable(rows: ResultRow[]): string {
  const header = ['FILE', 'LABEL', 'P(ABNORMAL)', 'QUALITY', 'WINDOWS'];
  const body = rows.map((row) =>
    isFailed(row)
      ? [row.file, `error ${row.code}`, '', '', row.error]
      : [row.file, row.label, row.probability.toFixed(3), row.quality.toFixed(2), String(row.windows)],
  );
  const widths = header.map((h, i) =>
    Math.max(
      h.length,
      ...body.filter((r) => r[1].startsWith('error') === false || i < 2).map((r) => r[i].length),
    ),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
