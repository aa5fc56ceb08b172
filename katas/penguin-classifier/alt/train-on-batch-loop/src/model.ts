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
const BATCH_SIZE = 25;

/** mulberry32: a tiny seeded PRNG, so the per-epoch shuffle is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(indices: number[], random: () => number): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
}

function statsOf(rows: readonly Measurements[]): NormalisationStats {
  const sums = FEATURES.map(() => ({ n: 0, sum: 0, sumSq: 0 }));
  for (const row of rows) {
    FEATURES.forEach((f, j) => {
      const v = row[f];
      if (v == null) return; // null (or an absent key)
      sums[j].n += 1;
      sums[j].sum += v;
    });
  }
  const mean = sums.map(({ n, sum }) => sum / n);
  for (const row of rows) {
    FEATURES.forEach((f, j) => {
      const v = row[f];
      if (v != null) sums[j].sumSq += (v - mean[j]) ** 2;
    });
  }
  return { mean, std: sums.map(({ n, sumSq }) => Math.sqrt(sumSq / n)) };
}

function featureRow(stats: NormalisationStats, row: Measurements): number[] {
  return FEATURES.map((f, j) => {
    const v = row[f];
    return v == null || stats.std[j] === 0 ? 0 : (v - stats.mean[j]) / stats.std[j];
  });
}

function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [FEATURES.length] });
  const hidden = tf.layers
    .dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.heUniform({ seed: 2024 }) })
    .apply(input) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ units: SPECIES.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2025 }) })
    .apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: PenguinRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const stats = statsOf(rows);
  const x = rows.map((row) => featureRow(stats, row));
  const y = rows.map((row) => SPECIES.map((s) => (s === row.Species ? 1 : 0)));
  const model = buildModel();
  const random = seededRandom(20240601);
  const order = rows.map((_, i) => i);
  const lossHistory: number[] = [];

  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    let weighted = 0;
    for (let start = 0; start < order.length; start += BATCH_SIZE) {
      const batch = order.slice(start, start + BATCH_SIZE);
      const xs = tf.tensor2d(batch.map((i) => x[i]), [batch.length, FEATURES.length]);
      const ys = tf.tensor2d(batch.map((i) => y[i]), [batch.length, SPECIES.length]);
      const loss = await model.trainOnBatch(xs, ys);
      tf.dispose([xs, ys]);
      weighted += (Array.isArray(loss) ? loss[0] : loss) * batch.length;
    }
    lossHistory.push(weighted / order.length); // the epoch's mean training loss, as fit reports it
  }
  return { model, stats, lossHistory };
}

export function predict(trained: Trained, rows: Measurements[]): Species[] {
  return tf.tidy(() => {
    if (rows.length === 0) return [];
    const xs = tf.tensor2d(rows.map((row) => featureRow(trained.stats, row)), [rows.length, FEATURES.length]);
    const classes = (trained.model.predict(xs) as tf.Tensor).argMax(1).arraySync() as number[];
    return classes.map((k) => SPECIES[k]);
  });
}
