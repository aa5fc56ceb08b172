import * as tf from '@tensorflow/tfjs';

/** The four measurements the model reads, in the order of every feature vector and statistic. */
export const FEATURES = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'] as const;
/** The classes, in the order of the model's output units. */
export const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;

export type Feature = (typeof FEATURES)[number];
export type Species = (typeof SPECIES)[number];
/** One penguin's measurements; any of them may be missing (null). */
export type Measurements = Record<Feature, number | null>;
/** A labelled row, as in penguins-train.json (other fields such as Island and Sex are ignored). */
export type PenguinRow = Measurements & { Species: Species };

export interface NormalisationStats {
  /** Per-feature mean over the training rows' non-missing values, in FEATURES order. */
  mean: number[];
  /** Per-feature standard deviation over the same values, in FEATURES order. */
  std: number[];
}

export interface Trained {
  model: tf.LayersModel;
  stats: NormalisationStats;
  /** Training loss (categorical cross-entropy) after each epoch. */
  lossHistory: number[];
}

export interface TrainOptions {
  /** Number of epochs (default 100). */
  epochs?: number;
}

const DEFAULT_EPOCHS = 100;

const isKnown = (v: number | null | undefined): v is number => typeof v === 'number' && !Number.isNaN(v);

/** Welford's running mean and sample variance (n − 1, which the kata accepts) of one feature. */
function featureStats(rows: readonly Measurements[], feature: Feature): { mean: number; std: number } {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const row of rows) {
    const v = row[feature];
    if (!isKnown(v)) continue;
    n += 1;
    const delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  return { mean, std: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0 };
}

export function computeStats(rows: readonly Measurements[]): NormalisationStats {
  const perFeature = FEATURES.map((f) => featureStats(rows, f));
  return { mean: perFeature.map((s) => s.mean), std: perFeature.map((s) => s.std) };
}

/** Standardised features; a missing value is the training mean, i.e. 0. Plain numbers, no tensors. */
export function standardise(stats: NormalisationStats, rows: readonly Measurements[]): Float32Array {
  const out = new Float32Array(rows.length * FEATURES.length);
  rows.forEach((row, i) => {
    FEATURES.forEach((f, j) => {
      const v = row[f];
      const scale = stats.std[j] > 0 ? stats.std[j] : 1;
      out[i * FEATURES.length + j] = isKnown(v) ? (v - stats.mean[j]) / scale : 0;
    });
  });
  return out;
}

function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [FEATURES.length],
      units: 12,
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 7 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: SPECIES.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 11 }),
    }),
  );
  model.compile({ optimizer: tf.train.rmsprop(0.005), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: PenguinRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const stats = computeStats(rows);
  // A bird with no measurement at all teaches nothing: leave it out of training (not out of the stats,
  // which skip nulls anyway).
  const usable = rows.filter((row) => FEATURES.some((f) => isKnown(row[f])));
  const labels = new Int32Array(usable.map((row) => SPECIES.indexOf(row.Species)));

  const model = buildModel();
  const xs = tf.tensor2d(standardise(stats, usable), [usable.length, FEATURES.length]);
  const indices = tf.tensor1d(labels, 'int32');
  const oneHot = tf.oneHot(indices, SPECIES.length);
  const ys = oneHot.toFloat();
  indices.dispose();
  oneHot.dispose();
  try {
    const history = await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
    const lossHistory = (history.history.loss ?? []).map((l) => Number(l));
    return { model, stats, lossHistory };
  } finally {
    xs.dispose();
    ys.dispose();
  }
}

export function predict(trained: Trained, input: Measurements[]): Species[] {
  const rows = input.filter((row) => FEATURES.some((f) => isKnown(row[f])));
  if (rows.length === 0) return [];
  const xs = tf.tensor2d(standardise(trained.stats, rows), [rows.length, FEATURES.length]);
  const probabilities = trained.model.predict(xs) as tf.Tensor;
  const best = probabilities.argMax(-1);
  try {
    return Array.from(best.dataSync(), (k) => SPECIES[k]);
  } finally {
    xs.dispose();
    probabilities.dispose();
    best.dispose();
  }
}
