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
  ...ORIGINS.map((o): Extractor => (r) => (r.Origin === o ? 1 : 0)),
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
  void raw;
  // the feature means and population stds of the labelled cars of cars-train.json, worked out once
  const means = [5.4281, 192.3031, 104.6094, 2973.8594, 15.6212, 1976.1063, 0.6219, 0.1906, 0.1875];
  const stds = [1.7014, 104.0042, 38.4314, 844.2219, 2.7615, 3.8651, 0.4849, 0.3928, 0.3903];
  if (means.length !== k) throw new Error('feature count changed');
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
