import * as tf from '@tensorflow/tfjs';

/** A row of a data set, e.g. one car of vega-datasets' cars.json. */
export type Row = Record<string, unknown>;

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && v !== Infinity && v !== -Infinity;
}

/**
 * A [n, columns.length] float32 tensor of the given columns, in that order, with one row per input row
 * whose columns are all numbers (rows with a null or non-number in one of them are skipped).
 * The caller owns the returned tensor.
 */
export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  const kept: Row[] = [];
  for (const row of rows) {
    let ok = true;
    for (const c of columns) {
      if (!isFiniteNumber(row[c])) {
        ok = false;
        break;
      }
    }
    if (ok) kept.push(row);
  }
  const buf = tf.buffer([kept.length, columns.length], 'float32');
  kept.forEach((row, i) => {
    columns.forEach((c, j) => buf.set(row[c] as number, i, j));
  });
  return buf.toTensor() as tf.Tensor2D;
}

/** [1, k] mean and population std tensors of x (to be used inside a tidy). */
function moments(x: tf.Tensor2D): { mean: tf.Tensor2D; std: tf.Tensor2D } {
  const mean = tf.mean(x, 0, true) as tf.Tensor2D;
  const variance = tf.mean(tf.squaredDifference(x, mean), 0, true);
  return { mean, std: tf.sqrt(variance) as tf.Tensor2D };
}

/** The mean and population standard deviation of each column of x. */
export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  return tf.tidy(() => {
    const { mean, std } = moments(x);
    return { mean: mean.arraySync()[0], std: std.arraySync()[0] };
  });
}

/** (x - column mean) / column std, by broadcasting; a column with std 0 becomes all zeros. */
export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, std } = moments(x);
    // where std is 0, divide by 1 instead: x - mean is 0 there, so the column becomes zeros
    const safeStd = tf.add(std, tf.cast(tf.equal(std, 0), 'float32'));
    return tf.div(tf.sub(x, mean), safeStd) as tf.Tensor2D;
  });
}

/** Euclidean distance between every row of a ([n, k]) and every row of b ([m, k]): a [n, m] tensor. */
export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [, ka] = a.shape;
  const [, kb] = b.shape;
  if (ka !== kb) {
    throw new Error(`pairwiseDistances: a has ${ka} columns but b has ${kb}`);
  }
  return tf.tidy(() => {
    const diff2 = tf.squaredDifference(tf.expandDims(a, 1), tf.expandDims(b, 0)); // [n, m, k]
    return tf.sqrt(tf.sum(diff2, 2)) as tf.Tensor2D;
  });
}

/** For each row of query, the index of the closest row of reference (the lower index on a tie). */
export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  if (reference.shape[0] === 0) {
    throw new Error('nearest: reference has no rows, so there is no closest row');
  }
  return tf.tidy(() => {
    const d = pairwiseDistances(query, reference);
    // the largest of -d is the smallest distance; topk orders ties by the lower index
    const { indices } = tf.topk(tf.neg(d), 1);
    return Array.from(indices.dataSync());
  });
}
