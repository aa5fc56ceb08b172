// A fit/transform preprocessing step built from one accumulator object per column: fit streams every
// row through the accumulators once, then each accumulator reports its statistics as plain JSON.
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

class NumericAccumulator {
  private n = 0;
  private mean = 0;
  private m2 = 0; // sum of squared deviations from the running mean (Welford)
  private readonly values: number[] = [];

  constructor(readonly column: string) {}

  static isPresent(value: unknown): value is number {
    return typeof value === 'number' && Number.isFinite(value);
  }

  add(value: unknown): void {
    if (!NumericAccumulator.isPresent(value)) return;
    this.n += 1;
    const delta = value - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (value - this.mean);
    this.values.push(value);
  }

  result(): NumericStats {
    if (this.n === 0) throw new Error(`column "${this.column}": no present (finite number) value to fit`);
    this.values.sort((a, b) => a - b); // our own copy, never the caller's data
    const half = this.n >> 1;
    const median = this.n & 1 ? this.values[half] : (this.values[half - 1] + this.values[half]) / 2;
    const variance = Math.max(0, this.m2 / this.n);
    return { column: this.column, mean: this.mean, std: Math.sqrt(variance), median };
  }
}

class CategoricalAccumulator {
  private readonly counts = new Map<string, number>();

  constructor(readonly column: string) {}

  static isPresent(value: unknown): value is string {
    return typeof value === 'string';
  }

  add(value: unknown): void {
    if (!CategoricalAccumulator.isPresent(value)) return;
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  result(): CategoricalStats {
    if (this.counts.size === 0) throw new Error(`column "${this.column}": no present (string) value to fit`);
    const categories = Array.from(this.counts.keys()).sort();
    let mode = categories[0];
    for (const category of categories) {
      if (this.counts.get(category)! > this.counts.get(mode)!) mode = category;
    }
    return { column: this.column, categories, mode };
  }
}

export function fit(rows: Row[], spec: FeatureSpec): Pipeline {
  const numeric = spec.numeric.map((column) => new NumericAccumulator(column));
  const categorical = spec.categorical.map((column) => new CategoricalAccumulator(column));
  for (const row of rows) {
    for (const acc of numeric) acc.add(row[acc.column]);
    for (const acc of categorical) acc.add(row[acc.column]);
  }
  return { numeric: numeric.map((acc) => acc.result()), categorical: categorical.map((acc) => acc.result()) };
}

export function featureNames(pipeline: Pipeline): string[] {
  const names: string[] = [];
  for (const { column } of pipeline.numeric) names.push(column);
  for (const { column, categories } of pipeline.categorical) {
    for (const category of categories) names.push(`${column}=${category}`);
  }
  return names;
}

function width(pipeline: Pipeline): number {
  let w = pipeline.numeric.length;
  for (const { categories } of pipeline.categorical) w += categories.length;
  return w;
}

/** Writes one encoded row into `out` starting at `offset`. */
function encodeInto(pipeline: Pipeline, row: Row, out: { [i: number]: number }, offset: number): void {
  let k = offset;
  for (const { column, mean, std, median } of pipeline.numeric) {
    const raw = row[column];
    const value = NumericAccumulator.isPresent(raw) ? raw : median;
    out[k++] = std === 0 ? 0 : (value - mean) / std;
  }
  for (const { column, categories, mode } of pipeline.categorical) {
    const raw = row[column];
    const hit = categories.indexOf(raw as string); // -1 for a category never seen in training: all zeros
    for (let c = 0; c < categories.length; c++) out[k++] = c === hit ? 1 : 0;
  }
}

export function transform(pipeline: Pipeline, rows: Row[]): number[][] {
  const w = width(pipeline);
  const result: number[][] = [];
  for (const row of rows) {
    const out = new Array<number>(w);
    encodeInto(pipeline, row, out, 0);
    result.push(out);
  }
  return result;
}

export function toTensor(pipeline: Pipeline, rows: Row[]): tf.Tensor2D {
  const w = width(pipeline);
  const data = new Float32Array(rows.length * w);
  rows.forEach((row, i) => encodeInto(pipeline, row, data, i * w));
  return tf.tensor2d(data, [rows.length, w]);
}
