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

/**
 * Builds the network: 4 inputs → a dense hidden layer → 3 softmax outputs.
 * TODO: add a hidden layer (about 16 relu units) before the output layer, and give every layer's
 * kernelInitializer a fixed seed (tf.initializers.glorotUniform({ seed })) so training is reproducible.
 */
function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [FEATURES.length], units: SPECIES.length, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: PenguinRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const model = buildModel();
  // TODO 1: compute the mean and standard deviation of each feature over `rows`, skipping nulls.
  const stats: NormalisationStats = { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] };
  // TODO 2: turn the rows into a [n, 4] tensor of standardised features, (value - mean) / std, and a
  //         [n, 3] one-hot tensor of species. Decide what a missing (null) value becomes.
  // TODO 3: model.fit(xs, ys, { epochs, shuffle: false, ... }) and keep history.history.loss.
  // TODO 4: dispose xs and ys once training is done.
  void epochs;
  return { model, stats, lossHistory: [] };
}

export function predict(trained: Trained, rows: Measurements[]): Species[] {
  // TODO 5: standardise the rows with trained.stats (never with statistics of `rows` itself), run
  //         trained.model.predict, take the argMax of each row, and map it to a SPECIES name.
  //         Every tensor you create here must be disposed: tf.tidy does it for you.
  void trained;
  return rows.map(() => 'Adelie'); // the most common species: a baseline, not a model
}
