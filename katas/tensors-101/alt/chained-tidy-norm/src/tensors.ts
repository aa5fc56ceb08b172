import * as tf from '@tensorflow/tfjs';

export type Row = Record<string, unknown>;

const complete = (row: Row, columns: string[]): boolean =>
  columns.every((c) => Number.isFinite(row[c]));

export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  const kept = rows.filter((row) => complete(row, columns));
  const flat = kept.flatMap((row) => columns.map((c) => row[c] as number));
  return tf.tensor2d(flat, [kept.length, columns.length], 'float32');
}

export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return {
      mean: mean.arraySync() as number[],
      std: variance.sqrt().arraySync() as number[],
    };
  });
}

export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0, true);
    // divNoNan gives 0 wherever the divisor is 0: a constant column becomes zeros.
    return x.sub(mean).divNoNan(variance.sqrt()) as tf.Tensor2D;
  });
}

export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    if (a.shape[1] !== b.shape[1]) {
      throw new Error(`a is [${a.shape}] and b is [${b.shape}]: the number of columns must match`);
    }
    return a.expandDims(1).sub(b.expandDims(0)).norm('euclidean', 2) as tf.Tensor2D;
  });
}

export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  if (!reference.shape[0]) throw new Error('nearest: the reference is empty, so no row is closest');
  return tf.tidy(() => pairwiseDistances(query, reference).argMin(1).arraySync() as number[]);
}
