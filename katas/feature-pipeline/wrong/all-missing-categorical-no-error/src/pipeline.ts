// A fit/transform preprocessing step for tabular rows, written as small pure functions.
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

// The one definition of "present", shared by fit and transform.
const isPresentNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPresentString = (value: unknown): value is string => typeof value === 'string';

const sum = (values: readonly number[]): number => values.reduce((total, v) => total + v, 0);

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function fitNumeric(rows: readonly Row[], column: string): NumericStats {
  const values = rows.map((row) => row[column]).filter(isPresentNumber);
  if (values.length === 0) throw new Error(`fit: numeric column "${column}" has no finite number in the training rows`);
  const allEqual = values.every((v) => v === values[0]);
  const mean = allEqual ? values[0] : sum(values) / values.length;
  const std = allEqual ? 0 : Math.sqrt(sum(values.map((v) => (v - mean) ** 2)) / values.length);
  return { column, mean, std, median: medianOf(values) };
}

function fitCategorical(rows: readonly Row[], column: string): CategoricalStats {
  const values = rows.map((row) => row[column]).filter(isPresentString);
  const categories = [...new Set(values)].sort();
  const counts = values.reduce<Record<string, number>>((acc, v) => {
    acc[v] = (acc[v] ?? 0) + 1;
    return acc;
  }, Object.create(null) as Record<string, number>);
  // categories is sorted, so keeping the first strictly larger count resolves ties to the first category.
  const mode = categories.reduce((best, c) => (counts[c] > counts[best] ? c : best), categories[0]);
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

const encodeNumeric = (s: NumericStats, raw: unknown): number => {
  const value = isPresentNumber(raw) ? raw : s.median;
  return s.std === 0 ? 0 : (value - s.mean) / s.std;
};

const encodeCategorical = (s: CategoricalStats, raw: unknown): number[] => {
  const value = isPresentString(raw) ? raw : s.mode;
  return s.categories.map((c) => (c === value ? 1 : 0));
};

const encodeRow = (pipeline: Pipeline, row: Row): number[] => [
  ...pipeline.numeric.map((s) => encodeNumeric(s, row[s.column])),
  ...pipeline.categorical.flatMap((s) => encodeCategorical(s, row[s.column])),
];

export function transform(pipeline: Pipeline, rows: Row[]): number[][] {
  return rows.map((row) => encodeRow(pipeline, row));
}

export function toTensor(pipeline: Pipeline, rows: Row[]): tf.Tensor2D {
  const width = featureNames(pipeline).length;
  return tf.tensor2d(transform(pipeline, rows).flat(), [rows.length, width], 'float32');
}
