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

/** Learns per-feature statistics once, then maps any measurements to standardised vectors. */
class Standardiser {
  private constructor(readonly stats: NormalisationStats) {}

  /** Population mean and std (divide by n) of each feature's non-null values. */
  static fit(rows: readonly Measurements[]): Standardiser {
    const mean: number[] = [];
    const std: number[] = [];
    for (const feature of FEATURES) {
      const values: number[] = [];
      for (const row of rows) {
        const v = row[feature];
        if (v !== null && v !== undefined && Number.isFinite(v)) values.push(v);
      }
      const m = values.reduce((a, b) => a + b, 0) / rows.length;
      const variance = values.reduce((a, b) => a + (b - m) * (b - m), 0) / values.length;
      mean.push(m);
      std.push(Math.sqrt(variance));
    }
    return new Standardiser({ mean, std });
  }

  static from(stats: NormalisationStats): Standardiser {
    return new Standardiser(stats);
  }

  /** One row → standardised vector. A missing value becomes the training mean, which is 0 here. */
  vector(row: Measurements): number[] {
    return FEATURES.map((feature, j) => {
      const v = row[feature];
      if (v === null || v === undefined || !Number.isFinite(v)) return 0;
      const s = this.stats.std[j];
      return s === 0 ? 0 : (v - this.stats.mean[j]) / s;
    });
  }

  matrix(rows: readonly Measurements[]): number[][] {
    return rows.map((row) => this.vector(row));
  }
}

class NetworkFactory {
  static build(): tf.Sequential {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [FEATURES.length],
          units: 16,
          activation: 'elu',
          kernelInitializer: tf.initializers.heNormal({ seed: 42 }),
        }),
        tf.layers.dense({
          units: SPECIES.length,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 43 }),
        }),
      ],
    });
    // Full-batch gradient descent with momentum: with 275 rows one step per epoch is cheap and has no
    // batch order to make reproducible.
    model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'categoricalCrossentropy' });
    return model;
  }
}

const oneHot = (species: Species): number[] => SPECIES.map((s) => (s === species ? 1 : 0));

export async function train(rows: PenguinRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const standardiser = Standardiser.fit(rows);
  const model = NetworkFactory.build();
  const xs = tf.tensor2d(standardiser.matrix(rows), [rows.length, FEATURES.length]);
  const ys = tf.tensor2d(rows.map((row) => oneHot(row.Species)), [rows.length, SPECIES.length]);
  const history = await model.fit(xs, ys, { epochs, batchSize: rows.length, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  return { model, stats: standardiser.stats, lossHistory: history.history.loss.map(Number) };
}

export function predict(trained: Trained, rows: Measurements[]): Species[] {
  if (rows.length === 0) return [];
  const standardiser = Standardiser.from(trained.stats);
  const winners = tf.tidy(() => {
    const xs = tf.tensor2d(standardiser.matrix(rows), [rows.length, FEATURES.length]);
    const out = trained.model.predict(xs) as tf.Tensor2D;
    return Array.from(out.argMax(1).dataSync());
  });
  return winners.map((k) => SPECIES[k]);
}
