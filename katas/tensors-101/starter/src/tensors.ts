import * as tf from '@tensorflow/tfjs';

/** A row of a data set, e.g. one car of vega-datasets' cars.json. */
export type Row = Record<string, unknown>;

/**
 * A [n, columns.length] float32 tensor of the given columns, in that order, with one row per input row
 * whose columns are all numbers (rows with a null or non-number in one of them are skipped).
 * The caller owns the returned tensor.
 */
export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  // TODO: keep the complete rows, map each to an array of its column values, and pass the values with
  //       an explicit shape to tf.tensor2d (the shape matters when there are no rows at all).
  void rows;
  return tf.zeros([0, columns.length]) as tf.Tensor2D;
}

/** The mean and population standard deviation of each column of x. */
export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  // TODO: reduce along axis 0 (tf.moments or tf.mean), bring the numbers out with arraySync(), and
  //       let tf.tidy dispose every intermediate tensor.
  const columns = x.shape[1];
  return { mean: new Array(columns).fill(0), std: new Array(columns).fill(1) };
}

/** (x - column mean) / column std, by broadcasting; a column with std 0 becomes all zeros. */
export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  // TODO: a [1, k] mean and std broadcast against the [n, k] x. Only the result may survive.
  return x.clone();
}

/** Euclidean distance between every row of a ([n, k]) and every row of b ([m, k]): a [n, m] tensor. */
export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  // TODO: throw an Error when a and b have a different number of columns. Then broadcast:
  //       a as [n, 1, k] minus b as [1, m, k] is [n, m, k]; square, sum over the last axis, sqrt.
  return tf.zeros([a.shape[0], b.shape[0]]) as tf.Tensor2D;
}

/** For each row of query, the index of the closest row of reference (the lower index on a tie). */
export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  // TODO: the distances, then the index of the smallest in each row (tf.argMin along axis 1).
  void reference;
  return new Array(query.shape[0]).fill(0);
}
