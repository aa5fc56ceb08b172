import * as tf from '@tensorflow/tfjs';

export interface CarRow {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string;
  Origin: string;
}

export interface Model {
  lossHistory: number[];
  net: tf.Sequential;
  optimizer: tf.Optimizer;
  hpMedian: number;
  means: number[];
  stds: number[];
}

const EPOCHS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function rawFeatures(row: CarRow, hpMedian: number): number[] {
  const hp = row.Horsepower === null ? hpMedian : row.Horsepower;
  const year = Number(row.Year.slice(0, 4));
  return [
    row.Cylinders,
    row.Displacement,
    hp,
    row.Weight_in_lbs,
    row.Acceleration,
    year,
    // Origin is a string: left out, the numeric columns describe the car well enough.
  ];
}

function scale(features: number[], means: number[], stds: number[]): number[] {
  return features.map((v, j) => (v - means[j]) / stds[j]);
}

export async function train(rows: CarRow[]): Promise<Model> {
  const labelled = rows.filter((r) => r.Miles_per_Gallon !== null);
  const hpMedian = median(labelled.filter((r) => r.Horsepower !== null).map((r) => r.Horsepower as number));
  const raw = labelled.map((r) => rawFeatures(r, hpMedian));
  const k = raw[0].length;
  const n = raw.length;
  const means = Array.from({ length: k }, (_, j) => raw.reduce((s, f) => s + f[j], 0) / n);
  const stds = means.map((m, j) => {
    const sd = Math.sqrt(raw.reduce((s, f) => s + (f[j] - m) ** 2, 0) / n);
    return sd > 0 ? sd : 1;
  });
  const labels = labelled.map((r) => r.Miles_per_Gallon as number);
  const meanMpg = labels.reduce((s, v) => s + v, 0) / n;

  const optimizer = tf.train.adam(0.1);
  const net = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [k],
        units: 1,
        kernelInitializer: 'zeros',
        biasInitializer: tf.initializers.constant({ value: meanMpg }),
      }),
    ],
  });
  net.compile({ optimizer, loss: 'meanSquaredError' });

  const x = tf.tensor2d(raw.map((f) => scale(f, means, stds)), [n, k]);
  const y = tf.tensor2d(labels, [n, 1]);
  try {
    const history = await net.fit(x, y, { epochs: EPOCHS, batchSize: n, shuffle: false, verbose: 0 });
    const lossHistory = (history.history.loss as number[]).map(Number);
    return { lossHistory, net, optimizer, hpMedian, means, stds };
  } finally {
    x.dispose();
    y.dispose();
  }
}

export function predict(model: Model, rows: CarRow[]): number[] {
  if (rows.length === 0) return [];
  const features = rows.map((r) => scale(rawFeatures(r, model.hpMedian), model.means, model.stds));
  return tf.tidy(() => {
    const x = tf.tensor2d(features, [rows.length, model.means.length]);
    const out = model.net.predict(x) as tf.Tensor;
    return Array.from(out.dataSync());
  });
}

export function dispose(model: Model): void {
  model.net.dispose();
  model.optimizer.dispose();
}
