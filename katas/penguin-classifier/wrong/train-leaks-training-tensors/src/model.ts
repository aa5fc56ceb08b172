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
const HIDDEN_UNITS = 16;
const SEED = 7;

function isPresent(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Mean and standard deviation of each feature over the rows that have it. */
export function fitStats(rows: Measurements[]): NormalisationStats {
  const mean: number[] = [];
  const std: number[] = [];
  for (const feature of FEATURES) {
    const values = rows.map((row) => row[feature]).filter(isPresent);
    if (values.length === 0) throw new Error(`no training row has a value for "${feature}"`);
    const m = values.reduce((sum, v) => sum + v, 0) / values.length;
    const variance = values.reduce((sum, v) => sum + (v - m) ** 2, 0) / values.length;
    mean.push(m);
    std.push(Math.sqrt(variance) || 1); // a constant column must not divide by zero
  }
  return { mean, std };
}

/**
 * Standardises rows with the training statistics. A missing value becomes the training mean, which is
 * 0 once standardised, so it pulls the prediction towards no class in particular.
 */
function toFeatureMatrix(rows: Measurements[], stats: NormalisationStats): number[][] {
  return rows.map((row) =>
    FEATURES.map((feature, j) => {
      const value = row[feature];
      return isPresent(value) ? (value - stats.mean[j]) / stats.std[j] : 0;
    }),
  );
}

function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [FEATURES.length],
      units: HIDDEN_UNITS,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: SPECIES.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

export async function train(rows: PenguinRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  // Rows without any measurement carry no information; the others keep their gaps, filled by the mean.
  const usable = rows.filter((row) => FEATURES.some((feature) => isPresent(row[feature])));
  const stats = fitStats(usable);

  const xs = tf.tensor2d(toFeatureMatrix(usable, stats), [usable.length, FEATURES.length]);
  const labels = usable.map((row) => {
    const index = SPECIES.indexOf(row.Species);
    if (index < 0) throw new Error(`unknown species ${JSON.stringify(row.Species)}`);
    return index;
  });
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), SPECIES.length).cast('float32'));
  const model = buildModel();
  // shuffle: false keeps training reproducible (fit's own shuffle uses Math.random); the training
  // file is already shuffled.
  const history = await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
  return { model, stats, lossHistory: history.history.loss.map(Number) };
}

export function predict(trained: Trained, rows: Measurements[]): Species[] {
  if (rows.length === 0) return [];
  const classIndices = tf.tidy(() => {
    const xs = tf.tensor2d(toFeatureMatrix(rows, trained.stats), [rows.length, FEATURES.length]);
    const probabilities = trained.model.predict(xs) as tf.Tensor;
    return probabilities.argMax(1).dataSync();
  });
  return Array.from(classIndices, (index) => SPECIES[index]);
}
