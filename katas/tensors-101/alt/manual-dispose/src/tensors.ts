import * as tf from '@tensorflow/tfjs';

export type Row = Record<string, unknown>;

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  const k = columns.length;
  const complete = rows.filter((row) => columns.every((c) => isNum(row[c])));
  const flat = new Float32Array(complete.length * k);
  complete.forEach((row, i) => {
    columns.forEach((c, j) => {
      flat[i * k + j] = row[c] as number;
    });
  });
  return tf.tensor2d(flat, [complete.length, k], 'float32');
}

/** [1, k] mean and std of x; the caller disposes both. */
function meanStd(x: tf.Tensor2D): { mean: tf.Tensor; std: tf.Tensor } {
  const mean = tf.mean(x, 0, true);
  let sq: tf.Tensor | undefined;
  let variance: tf.Tensor | undefined;
  try {
    sq = tf.squaredDifference(x, mean);
    variance = tf.mean(sq, 0, true);
    const std = tf.sqrt(variance);
    return { mean, std };
  } catch (e) {
    mean.dispose();
    throw e;
  } finally {
    sq?.dispose();
    variance?.dispose();
  }
}

export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  const { mean, std } = meanStd(x);
  try {
    return { mean: Array.from(mean.dataSync()), std: Array.from(std.dataSync()) };
  } finally {
    mean.dispose();
    std.dispose();
  }
}

export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  const { mean, std } = meanStd(x);
  const owned: tf.Tensor[] = [mean, std];
  try {
    const positive = tf.greater(std, 0);
    owned.push(positive);
    const ones = tf.onesLike(std);
    owned.push(ones);
    const divisor = tf.where(positive, std, ones);
    owned.push(divisor);
    const centred = tf.sub(x, mean);
    owned.push(centred);
    return tf.div(centred, divisor) as tf.Tensor2D;
  } finally {
    tf.dispose(owned);
  }
}

export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [, ka] = a.shape;
  const [, kb] = b.shape;
  if (ka !== kb) throw new Error(`column counts differ: ${ka} vs ${kb}`);
  const owned: tf.Tensor[] = [];
  try {
    const a3 = tf.expandDims(a, 1);
    owned.push(a3);
    const b3 = tf.expandDims(b, 0);
    owned.push(b3);
    const sq = tf.squaredDifference(a3, b3);
    owned.push(sq);
    const summed = tf.sum(sq, 2);
    owned.push(summed);
    return tf.sqrt(summed) as tf.Tensor2D;
  } finally {
    tf.dispose(owned);
  }
}

export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  const [rows] = reference.shape;
  if (rows === 0) throw new Error('reference must have at least one row');
  const d = pairwiseDistances(query, reference);
  let idx: tf.Tensor | undefined;
  try {
    idx = tf.argMin(d, 1);
    return Array.from(idx.dataSync());
  } finally {
    d.dispose();
    idx?.dispose();
  }
}
