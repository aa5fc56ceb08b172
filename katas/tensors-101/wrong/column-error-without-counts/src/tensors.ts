import * as tf from '@tensorflow/tfjs';

/** A row of a data set, e.g. one car of vega-datasets' cars.json. */
export type Row = Record<string, unknown>;

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A [n, columns.length] float32 tensor of the given columns, in that order, with one row per input row
 * whose columns are all numbers (rows with a null or non-number in one of them are skipped).
 * The caller owns the returned tensor.
 */
export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  const complete = rows.filter((row) => columns.every((column) => isNumber(row[column])));
  const values = complete.map((row) => columns.map((column) => row[column] as number));
  return tf.tensor2d(values, [complete.length, columns.length], 'float32');
}

/** The mean and population standard deviation of each column of x. */
export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  const [mean, std] = tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return [mean.arraySync() as number[], tf.sqrt(variance).arraySync() as number[]];
  });
  return { mean, std };
}

/** (x - column mean) / column std, by broadcasting; a column with std 0 becomes all zeros. */
export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0, true); // [1, k]: broadcasts against [n, k]
    const std = tf.sqrt(variance);
    const safeStd = tf.where(std.greater(0), std, tf.onesLike(std));
    return x.sub(mean).div(safeStd) as tf.Tensor2D;
  });
}

/** Euclidean distance between every row of a ([n, k]) and every row of b ([m, k]): a [n, m] tensor. */
export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] !== b.shape[1]) {
    throw new Error('pairwiseDistances: the column counts differ');
  }
  return tf.tidy(() => {
    // [n, 1, k] - [1, m, k] broadcasts to [n, m, k]; summing the squares over k gives [n, m].
    const differences = a.expandDims(1).sub(b.expandDims(0));
    return differences.square().sum(2).sqrt() as tf.Tensor2D;
  });
}

/** For each row of query, the index of the closest row of reference (the lower index on a tie). */
export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  if (reference.shape[0] === 0) throw new Error('reference has no rows');
  const indices = tf.tidy(() => pairwiseDistances(query, reference).argMin(1).dataSync());
  return Array.from(indices);
}
