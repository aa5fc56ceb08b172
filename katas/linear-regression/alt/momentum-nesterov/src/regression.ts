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

interface ColumnScale {
  mean: number;
  std: number;
}

export interface Model {
  lossHistory: number[];
  net: tf.Sequential;
  optimizer: tf.MomentumOptimizer;
  horsepowerMedian: number;
  scales: ColumnScale[];
}

function medianOf(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return 0;
  const half = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

function rawRow(row: CarRow, horsepowerMedian: number): number[] {
  const horsepower = row.Horsepower === null ? horsepowerMedian : row.Horsepower;
  return [
    row.Cylinders,
    row.Displacement,
    horsepower,
    row.Weight_in_lbs,
    row.Acceleration,
    Number(row.Year.split('-')[0]) - 1970,
    row.Origin === 'Europe' ? 1 : 0,
    row.Origin === 'Japan' ? 1 : 0,
  ];
}

function scalesOf(matrix: number[][]): ColumnScale[] {
  return matrix[0].map((_, j) => {
    const column = matrix.map((r) => r[j]);
    const mean = column.reduce((s, v) => s + v, 0) / column.length;
    const variance = column.reduce((s, v) => s + (v - mean) * (v - mean), 0) / column.length;
    return { mean, std: variance > 0 ? Math.sqrt(variance) : 1 };
  });
}

function scaled(rows: CarRow[], horsepowerMedian: number, scales: ColumnScale[]): number[][] {
  return rows.map((row) => rawRow(row, horsepowerMedian).map((v, j) => (v - scales[j].mean) / scales[j].std));
}

export async function train(rows: CarRow[]): Promise<Model> {
  const withLabel = rows.filter((row) => row.Miles_per_Gallon !== null);
  const horsepowerMedian = medianOf(withLabel.filter((r) => r.Horsepower !== null).map((r) => r.Horsepower as number));
  const scales = scalesOf(withLabel.map((row) => rawRow(row, horsepowerMedian)));
  const labels = withLabel.map((row) => row.Miles_per_Gallon as number);
  const labelMean = labels.reduce((s, v) => s + v, 0) / labels.length;

  const net = tf.sequential();
  net.add(
    tf.layers.dense({
      inputShape: [scales.length],
      units: 1,
      kernelInitializer: 'zeros',
      biasInitializer: tf.initializers.constant({ value: labelMean }),
    }),
  );
  const optimizer = tf.train.momentum(0.05, 0.9, true) as tf.MomentumOptimizer;
  net.compile({ optimizer, loss: 'meanSquaredError' });

  const xs = tf.tensor2d(scaled(withLabel, horsepowerMedian, scales), [withLabel.length, scales.length]);
  const ys = tf.tensor2d(labels.map((v) => [v]), [labels.length, 1]);
  let lossHistory: number[];
  try {
    const history = await net.fit(xs, ys, { epochs: 250, batchSize: withLabel.length, shuffle: false, verbose: 0 });
    lossHistory = history.history.loss.map(Number);
  } finally {
    xs.dispose();
    ys.dispose();
  }
  return { lossHistory, net, optimizer, horsepowerMedian, scales };
}

export function predict(model: Model, rows: CarRow[]): number[] {
  if (rows.length === 0) return [];
  const features = scaled(rows, model.horsepowerMedian, model.scales);
  const out = tf.tidy(() => {
    const y = model.net.predict(tf.tensor2d(features, [rows.length, model.scales.length])) as tf.Tensor2D;
    return y.arraySync();
  });
  return out.map((r) => r[0]);
}

export function dispose(model: Model): void {
  model.net.dispose();
  model.optimizer.dispose();
}
