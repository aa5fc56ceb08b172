import * as tf from '@tensorflow/tfjs';

export type Row = Record<string, unknown>;

export function toTensor(rows: Row[], columns: string[]): tf.Tensor2D {
  const out: number[][] = [];
  outer: for (const row of rows) {
    const values: number[] = [];
    for (const column of columns) {
      const v = row[column];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue outer;
      values.push(v);
    }
    out.push(values);
  }
  return tf.tensor2d(out, [out.length, columns.length], 'float32');
}

function statsOf(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  const [n, k] = x.shape;
  const data = x.dataSync(); // a copy-free read: creates no tensor
  const mean = new Array<number>(k).fill(0);
  const std = new Array<number>(k).fill(0);
  if (n === 0) return { mean: mean.map(() => NaN), std: std.map(() => NaN) };
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j] += data[i * k + j];
  for (let j = 0; j < k; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) std[j] += (data[i * k + j] - mean[j]) ** 2;
  for (let j = 0; j < k; j++) std[j] = Math.sqrt(std[j] / n);
  return { mean, std };
}

export function columnStats(x: tf.Tensor2D): { mean: number[]; std: number[] } {
  return statsOf(x);
}

export function standardise(x: tf.Tensor2D): tf.Tensor2D {
  const k = x.shape[1];
  const { mean, std } = statsOf(x);
  const divisor = std.map((s) => (s > 0 ? s : 1));
  return tf.tidy(() => {
    const m = tf.tensor2d(mean.map((v) => (Number.isNaN(v) ? 0 : v)), [1, k]);
    const s = tf.tensor2d(divisor.map((v) => (Number.isNaN(v) ? 1 : v)), [1, k]);
    return tf.div(tf.sub(x, m), s) as tf.Tensor2D;
  });
}

export function pairwiseDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] !== b.shape[1]) {
    throw new Error(`pairwiseDistances needs the same number of columns, got [${a.shape}] and [${b.shape}]`);
  }
  return tf.tidy(() => {
    const diff = tf.sub(tf.reshape(a, [a.shape[0], 1, a.shape[1]]), tf.reshape(b, [1, b.shape[0], b.shape[1]]));
    return tf.sqrt(tf.sum(tf.mul(diff, diff), -1)) as tf.Tensor2D;
  });
}

export function nearest(query: tf.Tensor2D, reference: tf.Tensor2D): number[] {
  if (reference.shape[0] < 1) throw new Error(`nearest needs at least one reference row, got [${reference.shape}]`);
  const d = pairwiseDistances(query, reference);
  const [n, m] = d.shape;
  const values = d.dataSync();
  d.dispose();
  const result: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j];
      if (v < bestDistance) {
        bestDistance = v;
        best = j;
      }
    }
    result.push(best);
  }
  return result;
}
