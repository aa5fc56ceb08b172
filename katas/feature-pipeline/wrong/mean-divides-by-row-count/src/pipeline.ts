// A fit/transform preprocessing step that works column by column: fit extracts one column at a time,
// transform builds every output column for all rows and then assembles the rows.
import * as tf from '@tensorflow/tfjs';

export type Row = Record<string, unknown>;

export interface FeatureSpec {
  numeric: string[];
  categorical: string[];
}

export interface NumericStats {
  column: string;
  mean: number;
  std: number;
  median: number;
}

export interface CategoricalStats {
  column: string;
  categories: string[];
  mode: string;
}

export interface Pipeline {
  numeric: NumericStats[];
  categorical: CategoricalStats[];
}

type Missing = { missing: true };
const MISSING: Missing = { missing: true };

/** The numeric reading of a cell: a finite number, or MISSING for null, undefined, NaN, ±Infinity, strings… */
function numericCell(row: Row, column: string): number | Missing {
  const v = Object.prototype.hasOwnProperty.call(row, column) ? row[column] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : MISSING;
}

/** The categorical reading of a cell: any string (even "" or "."), or MISSING. */
function categoricalCell(row: Row, column: string): string | Missing {
  const v = Object.prototype.hasOwnProperty.call(row, column) ? row[column] : undefined;
  return typeof v === 'string' ? v : MISSING;
}

function numericStats(column: string, rows: Row[]): NumericStats {
  const present: number[] = [];
  for (const row of rows) {
    const cell = numericCell(row, column);
    if (cell !== MISSING) present.push(cell as number);
  }
  const n = present.length;
  if (n === 0) throw new Error(`Cannot fit numeric column ${column}: it has no finite value`);
  present.sort((a, b) => a - b);
  const lo = present[(n - 1) >> 1];
  const hi = present[n >> 1];
  const median = (lo + hi) / 2; // the same element twice for an odd count
  if (present[0] === present[n - 1]) return { column, mean: present[0], std: 0, median };
  // Kahan-compensated sums keep the mean and variance accurate on long columns.
  const kahan = (f: (x: number) => number): number => {
    let s = 0;
    let c = 0;
    for (const x of present) {
      const y = f(x) - c;
      const t = s + y;
      c = t - s - y;
      s = t;
    }
    return s;
  };
  const mean = kahan((x) => x) / rows.length;
  const std = Math.sqrt(kahan((x) => (x - mean) * (x - mean)) / n);
  return { column, mean, std, median };
}

function categoricalStats(column: string, rows: Row[]): CategoricalStats {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const cell = categoricalCell(row, column);
    if (cell !== MISSING) counts.set(cell as string, (counts.get(cell as string) ?? 0) + 1);
  }
  if (counts.size === 0) throw new Error(`Cannot fit categorical column ${column}: it has no string value`);
  const categories = [...counts.keys()].sort();
  const top = Math.max(...counts.values());
  const mode = categories.find((c) => counts.get(c) === top)!;
  return { column, categories, mode };
}

export function fit(rows: Row[], spec: FeatureSpec): Pipeline {
  return {
    numeric: spec.numeric.map((column) => numericStats(column, rows)),
    categorical: spec.categorical.map((column) => categoricalStats(column, rows)),
  };
}

export function featureNames(pipeline: Pipeline): string[] {
  const names = pipeline.numeric.map(({ column }) => column);
  for (const { column, categories } of pipeline.categorical) names.push(...categories.map((c) => column + '=' + c));
  return names;
}

/** The output columns, each as one value per row. */
function outputColumns(pipeline: Pipeline, rows: Row[]): number[][] {
  const columns: number[][] = [];
  for (const { column, mean, std, median } of pipeline.numeric) {
    columns.push(
      rows.map((row) => {
        if (std === 0) return 0;
        const cell = numericCell(row, column);
        return ((cell === MISSING ? median : (cell as number)) - mean) / std;
      }),
    );
  }
  for (const { column, categories, mode } of pipeline.categorical) {
    const values = rows.map((row) => {
      const cell = categoricalCell(row, column);
      return cell === MISSING ? mode : (cell as string);
    });
    for (const category of categories) columns.push(values.map((v) => (v === category ? 1 : 0)));
  }
  return columns;
}

export function transform(pipeline: Pipeline, rows: Row[]): number[][] {
  const columns = outputColumns(pipeline, rows);
  return rows.map((_, i) => columns.map((col) => col[i]));
}

export function toTensor(pipeline: Pipeline, rows: Row[]): tf.Tensor2D {
  const columns = outputColumns(pipeline, rows);
  const w = columns.length;
  const data = new Float32Array(rows.length * w);
  columns.forEach((col, j) => col.forEach((v, i) => (data[i * w + j] = v)));
  return tf.tensor2d(data, [rows.length, w], 'float32');
}
