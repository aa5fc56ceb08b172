// A fit/transform preprocessing step for tabular rows. README.md has the exact contract; the TODOs
// below walk you through it.
import * as tf from '@tensorflow/tfjs';

/** One data row, e.g. a car from cars.json or a penguin from penguins.json. */
export type Row = Record<string, unknown>;

/** Which columns to encode, and how. Output columns follow this order. */
export interface FeatureSpec {
  numeric: string[];
  categorical: string[];
}

/** What fit() learns about one numeric column, from the known (finite number) training values. */
export interface NumericStats {
  column: string;
  mean: number;
  /** Population standard deviation (divide by n, not n - 1). */
  std: number;
  /** Fills missing values; for an even count, the mean of the two middle values. */
  median: number;
}

/** What fit() learns about one categorical column, from the known (string) training values. */
export interface CategoricalStats {
  column: string;
  /** Distinct training values, sorted with the default string sort. */
  categories: string[];
  /** The most frequent training value (ties: the first in `categories`); fills missing values. */
  mode: string;
}

/** The fitted state: plain JSON, in spec order. */
export interface Pipeline {
  numeric: NumericStats[];
  categorical: CategoricalStats[];
}

export function fit(rows: Row[], spec: FeatureSpec): Pipeline {
  // TODO: for each numeric column: collect the values that are finite numbers (null, a missing key and
  //       NaN are missing), then compute mean, std and median. Throw an Error naming the column if none.
  // TODO: for each categorical column: count the string values; sort the distinct ones; pick the mode.
  //       Throw an Error naming the column if there are none.
  void rows;
  void spec;
  throw new Error('TODO: implement fit() in src/pipeline.ts');
}

export function featureNames(pipeline: Pipeline): string[] {
  // TODO: numeric columns as their name, then one "column=category" name per category.
  void pipeline;
  throw new Error('TODO: implement featureNames() in src/pipeline.ts');
}

export function transform(pipeline: Pipeline, rows: Row[]): number[][] {
  // TODO: one number[] per row, using only the statistics in `pipeline`:
  //       numeric → (value, or the median when missing − mean) / std, or 0 when std is 0;
  //       categorical → the value (or the mode when missing) one-hot over `categories`;
  //       a value that is not among the categories → all zeros.
  //       Never modify `rows`.
  void pipeline;
  void rows;
  throw new Error('TODO: implement transform() in src/pipeline.ts');
}

export function toTensor(pipeline: Pipeline, rows: Row[]): tf.Tensor2D {
  // TODO: the transform as a tf.Tensor2D of shape [rows.length, number of features] — also for 0 rows.
  void pipeline;
  void rows;
  throw new Error('TODO: implement toTensor() in src/pipeline.ts');
}
