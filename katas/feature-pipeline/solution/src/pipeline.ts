// A fit/transform preprocessing step: numeric columns are imputed with the training median and
// standardised with the training mean and standard deviation; categorical columns are imputed with
// the training mode and one-hot encoded over the training categories. Every statistic comes from the
// rows passed to fit(), and the fitted state is plain JSON, so it can be saved next to a model.
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

const isPresentNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPresentCategory = (value: unknown): value is string => typeof value === 'string';

function fitNumeric(rows: Row[], column: string): NumericStats {
  const values = rows.map((row) => row[column]).filter(isPresentNumber);
  if (values.length === 0) throw new Error(`fit: numeric column "${column}" has no values in the training rows`);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  // A constant column has std exactly 0: the two-pass formula would leave rounding noise (about 1.4e-17
  // for [0.1, 0.1, 0.1]), and dividing by that would turn the column into ±1.
  const constant = values.every((v) => v === values[0]);
  const std = constant ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { column, mean, std, median };
}

function fitCategorical(rows: Row[], column: string): CategoricalStats {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const value = row[column];
    if (isPresentCategory(value)) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  if (counts.size === 0) throw new Error(`fit: categorical column "${column}" has no values in the training rows`);
  const categories = [...counts.keys()].sort();
  // The most frequent category; on a tie, the first in sorted order (reduce keeps the earlier one).
  const mode = categories.reduce((best, c) => (counts.get(c)! > counts.get(best)! ? c : best));
  return { column, categories, mode };
}

export function fit(rows: Row[], spec: FeatureSpec): Pipeline {
  return {
    numeric: spec.numeric.map((column) => fitNumeric(rows, column)),
    categorical: spec.categorical.map((column) => fitCategorical(rows, column)),
  };
}

export function featureNames(pipeline: Pipeline): string[] {
  return [
    ...pipeline.numeric.map((s) => s.column),
    ...pipeline.categorical.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`)),
  ];
}

function transformRow(pipeline: Pipeline, row: Row): number[] {
  const out: number[] = [];
  for (const { column, mean, std, median } of pipeline.numeric) {
    const raw = row[column];
    const value = isPresentNumber(raw) ? raw : median;
    // A column that was constant in training carries no information: encode it as 0, not NaN.
    out.push(std === 0 ? 0 : (value - mean) / std);
  }
  for (const { column, categories, mode } of pipeline.categorical) {
    const raw = row[column];
    const value = isPresentCategory(raw) ? raw : mode;
    // An unseen category matches none of the training categories: all zeros.
    for (const category of categories) out.push(value === category ? 1 : 0);
  }
  return out;
}

export function transform(pipeline: Pipeline, rows: Row[]): number[][] {
  return rows.map((row) => transformRow(pipeline, row));
}

export function toTensor(pipeline: Pipeline, rows: Row[]): tf.Tensor2D {
  return tf.tensor2d(transform(pipeline, rows).flat(), [rows.length, featureNames(pipeline).length]);
}
