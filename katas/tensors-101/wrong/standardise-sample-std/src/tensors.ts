import * as tf from '@tensorflow/tfjs';

export type Row = Record<string, unknown>;

export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  const values: number[][] = [];
  for (const row of rows) {
    const vals = columns.map((c) => row[c]);
    if (vals.every((v) => typeof v === 'number' && Number.isFinite(v))) values.push(vals as number[]);
  }
  return tf.tensor2d(values, [values.length, columns.length], 'float32');
}

export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return { mean: Array.from(mean.dataSync()), std: Array.from(variance.sqrt().dataSync()) };
  });
}

export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0, true);
    const n = x.shape[0];
    const std = variance.mul(n / (n - 1)).sqrt();
    const safe = tf.where(std.greater(0), std, tf.onesLike(std));
    return x.sub(mean).div(safe) as tf.Tensor2D;
  });
}

export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] !== b.shape[1]) {
    throw new Error(`pairwiseDistances: a has ${a.shape[1]} columns but b has ${b.shape[1]}`);
  }
  return tf.tidy(() => {
    const diff = a.expandDims(1).sub(b.expandDims(0));
    return diff.square().sum(2).sqrt() as tf.Tensor2D;
  });
}

export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  return tf.tidy(() => Array.from(pairwiseDistances(query, reference).argMin(1).dataSync()));
}
