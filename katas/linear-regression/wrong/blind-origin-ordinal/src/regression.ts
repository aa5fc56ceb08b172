// Predict a car's fuel economy (miles per gallon) from its specs with a linear model trained with
// @tensorflow/tfjs: a table of feature extractors, mini-batch Adam.
import * as tf from '@tensorflow/tfjs';

/** One row of cars-train.json / cars-holdout.json, exactly as vega-datasets ships it. */
export interface CarRow {
  Name: string;
  /** The label. null for a few cars: there is nothing to learn from those. */
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  /** null for a few cars: fill it with the median Horsepower of the labelled training rows. */
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  /** The model year as a date string, e.g. "1970-01-01". */
  Year: string;
  /** "USA", "Europe" or "Japan". */
  Origin: string;
}

/** What predict needs to turn a row into the network's input. */
interface Prep {
  horsepowerMedian: number;
  means: number[];
  stds: number[];
}

export interface Model {
  /** The training loss after each epoch, first to last. */
  lossHistory: number[];
  net: tf.Sequential;
  optimizer: tf.Optimizer;
  prep: Prep;
}

const ORIGINS = ['USA', 'Europe', 'Japan'] as const;

/** One extractor per feature column; Horsepower is filled with the training median. */
type Extractor = (row: CarRow, horsepowerMedian: number) => number;
const FEATURES: Extractor[] = [
  (r) => r.Cylinders,
  (r) => r.Displacement,
  (r, hpMedian) => (typeof r.Horsepower === 'number' ? r.Horsepower : hpMedian),
  (r) => r.Weight_in_lbs,
  (r) => r.Acceleration,
  (r) => Number(/^(\d{4})/.exec(String(r.Year))?.[1] ?? NaN),
  (r) => ORIGINS.indexOf(r.Origin as (typeof ORIGINS)[number]), // 0 = USA, 1 = Europe, 2 = Japan
];

function hasLabel(row: CarRow): boolean {
  return typeof row.Miles_per_Gallon === 'number' && Number.isFinite(row.Miles_per_Gallon);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const hi = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[hi] : (sorted[hi - 1] + sorted[hi]) / 2;
}

function rawFeatures(row: CarRow, horsepowerMedian: number): number[] {
  return FEATURES.map((f) => f(row, horsepowerMedian));
}

function scaled(row: CarRow, prep: Prep): number[] {
  return rawFeatures(row, prep.horsepowerMedian).map((v, j) => (v - prep.means[j]) / prep.stds[j]);
}

export async function train(rows: CarRow[]): Promise<Model> {
  const labelled = rows.filter(hasLabel);
  const horsepowerMedian = median(
    labelled.map((r) => r.Horsepower).filter((hp): hp is number => typeof hp === 'number'),
  );
  const raw = labelled.map((r) => rawFeatures(r, horsepowerMedian));
  const n = raw.length;
  const k = FEATURES.length;
  const means = new Array<number>(k).fill(0);
  const stds = new Array<number>(k).fill(0);
  for (let j = 0; j < k; j++) {
    let sum = 0;
    for (const x of raw) sum += x[j];
    means[j] = sum / n;
    let sq = 0;
    for (const x of raw) sq += (x[j] - means[j]) ** 2;
    const std = Math.sqrt(sq / n);
    stds[j] = std > 0 ? std : 1; // a constant column stays 0 after centring
  }
  const prep: Prep = { horsepowerMedian, means, stds };
  const labels = labelled.map((r) => r.Miles_per_Gallon as number);
  const meanMpg = labels.reduce((a, b) => a + b, 0) / n;

  const optimizer = tf.train.adam(0.05);
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

  const x = tf.tensor2d(labelled.map((r) => scaled(r, prep)), [n, k]);
  const y = tf.tensor2d(labels, [n, 1]);
  let lossHistory: number[];
  try {
    const history = await net.fit(x, y, { epochs: 80, batchSize: 32, shuffle: false, verbose: 0 });
    lossHistory = (history.history.loss as (number | tf.Tensor)[]).map((l) =>
      typeof l === 'number' ? l : l.dataSync()[0],
    );
  } finally {
    x.dispose();
    y.dispose();
  }
  return { lossHistory, net, optimizer, prep };
}

export function predict(model: Model, rows: CarRow[]): number[] {
  if (rows.length === 0) return [];
  const k = FEATURES.length;
  return tf.tidy(() => {
    const x = tf.tensor2d(rows.map((r) => scaled(r, model.prep)), [rows.length, k]);
    const out = model.net.predict(x) as tf.Tensor;
    return Array.from(out.dataSync());
  });
}

export function dispose(model: Model): void {
  model.net.dispose();
  model.optimizer.dispose();
}
