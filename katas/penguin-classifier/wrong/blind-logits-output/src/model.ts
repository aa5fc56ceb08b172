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

/** A [n, 4] float32 tensor of the raw measurements, NaN marking a missing one. */
function rawTensor(rows: Measurements[]): tf.Tensor2D {
  const values = new Float32Array(rows.length * FEATURES.length);
  rows.forEach((row, i) => {
    FEATURES.forEach((f, j) => {
      const v = row[f];
      values[i * FEATURES.length + j] = v === null ? NaN : v;
    });
  });
  return tf.tensor2d(values, [rows.length, FEATURES.length]);
}

/** Mean and population std of each column over its non-NaN cells, by masked reductions. */
function maskedStats(raw: tf.Tensor2D): NormalisationStats {
  return tf.tidy(() => {
    const present = tf.logicalNot(tf.isNaN(raw));
    const mask = tf.cast(present, 'float32');
    const filled = tf.where(present, raw, tf.zerosLike(raw));
    const count = tf.sum(mask, 0, true);
    const mean = tf.div(tf.sum(filled, 0, true), count);
    const dev = tf.mul(tf.sub(filled, mean), mask);
    const std = tf.sqrt(tf.div(tf.sum(tf.square(dev), 0, true), count));
    return { mean: Array.from(mean.dataSync()), std: Array.from(std.dataSync()) };
  });
}

/** (raw - mean) / std with a missing value as 0, the standardised training mean. */
function standardised(raw: tf.Tensor2D, stats: NormalisationStats): tf.Tensor2D {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(raw, tf.tensor2d([stats.mean])), tf.tensor2d([stats.std]));
    return tf.where(tf.isNaN(raw), tf.zerosLike(z), z) as tf.Tensor2D;
  });
}

function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [FEATURES.length],
      units: 16,
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 11 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: SPECIES.length,
      activation: 'linear', // logits: the softmax is folded into the loss for numerical stability
      kernelInitializer: tf.initializers.glorotNormal({ seed: 12 }),
    }),
  );
  model.compile({
    optimizer: tf.train.adam(0.02),
    loss: (yTrue: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, logits),
  });
  return model;
}

export async function train(rows: PenguinRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  // a bird with no measurement at all teaches nothing: leave it out of the fit (not of the stats: it has no values)
  const usable = rows.filter((row) => FEATURES.some((f) => row[f] !== null));
  const raw = rawTensor(usable);
  const stats = maskedStats(raw);
  const xs = standardised(raw, stats);
  raw.dispose();
  const ys = tf.tidy(() =>
    tf.oneHot(tf.tensor1d(usable.map((r) => SPECIES.indexOf(r.Species)), 'int32'), SPECIES.length).toFloat(),
  ) as tf.Tensor2D;
  const model = buildModel();
  try {
    const history = await model.fit(xs, ys, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
    const lossHistory = (history.history.loss as (number | tf.Tensor)[]).map((l) =>
      typeof l === 'number' ? l : l.dataSync()[0],
    );
    return { model, stats, lossHistory };
  } finally {
    xs.dispose();
    ys.dispose();
  }
}

export function predict(trained: Trained, rows: Measurements[]): Species[] {
  if (rows.length === 0) return [];
  return tf.tidy(() => {
    const raw = rawTensor(rows);
    const probs = trained.model.predict(standardised(raw, trained.stats)) as tf.Tensor2D;
    return Array.from(tf.argMax(probs, 1).dataSync(), (k) => SPECIES[k]);
  });
}
