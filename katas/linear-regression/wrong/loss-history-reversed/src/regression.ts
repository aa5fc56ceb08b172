// Predict a car's fuel economy (miles per gallon) with a linear model trained by gradient descent.
//
// The recipe: drop the rows without a label, turn each row into numbers (parse the model year, one-hot
// the origin, fill a missing horsepower with the training median), standardise every feature with
// statistics from the training rows, then fit a single dense unit with Adam on mean squared error.
import * as tf from '@tensorflow/tfjs';

export interface CarRow {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  /** e.g. "1970-01-01": only the year means anything. */
  Year: string;
  /** "USA", "Europe" or "Japan". */
  Origin: string;
}

export interface Model {
  /** Mean squared error (mpg²) over the training rows after each epoch. */
  lossHistory: number[];
  network: tf.LayersModel;
  optimizer: tf.Optimizer;
  /** Everything needed to turn a row into the network's input, learned from the training rows only. */
  features: FeatureStats;
}

interface FeatureStats {
  horsepowerMedian: number;
  means: number[];
  stds: number[];
}

const ORIGINS = ['USA', 'Europe', 'Japan'];
// The data set is tiny, so every epoch is one full-batch step: smooth loss curve, no shuffling noise.
const EPOCHS = 150;
const LEARNING_RATE = 0.2;
const SEED = 42;

/** The raw numeric features of one row, before standardisation. */
function rawFeatures(row: CarRow, horsepowerMedian: number): number[] {
  return [
    row.Cylinders,
    row.Displacement,
    row.Horsepower ?? horsepowerMedian,
    row.Weight_in_lbs,
    row.Acceleration,
    Number(row.Year.slice(0, 4)),
    ...ORIGINS.map((origin) => (row.Origin === origin ? 1 : 0)),
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function fitFeatures(rows: CarRow[]): FeatureStats {
  const horsepowerMedian = median(rows.flatMap((r) => (r.Horsepower === null ? [] : [r.Horsepower])));
  const matrix = rows.map((r) => rawFeatures(r, horsepowerMedian));
  const width = matrix[0].length;
  const means: number[] = [];
  const stds: number[] = [];
  for (let j = 0; j < width; j++) {
    const column = matrix.map((values) => values[j]);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length;
    means.push(mean);
    // A constant column carries no information; dividing by 1 keeps it at 0 instead of NaN.
    stds.push(Math.sqrt(variance) || 1);
  }
  return { horsepowerMedian, means, stds };
}

function toMatrix(features: FeatureStats, rows: CarRow[]): number[][] {
  return rows.map((row) =>
    rawFeatures(row, features.horsepowerMedian).map((v, j) => (v - features.means[j]) / features.stds[j]),
  );
}

export async function train(rows: CarRow[]): Promise<Model> {
  // A car without a label teaches nothing; a car without horsepower is still worth keeping.
  const labelled = rows.filter((r) => r.Miles_per_Gallon !== null);
  if (labelled.length === 0) throw new Error('train: no row has a Miles_per_Gallon value');
  const features = fitFeatures(labelled);
  const targets = labelled.map((r) => r.Miles_per_Gallon as number);
  const targetMean = targets.reduce((a, b) => a + b, 0) / targets.length;

  const network = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [features.means.length],
        units: 1,
        kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
        // Starting at the mean mpg lets the optimiser spend its steps on the slopes.
        biasInitializer: tf.initializers.constant({ value: targetMean }),
      }),
    ],
  });
  const optimizer = tf.train.adam(LEARNING_RATE);
  network.compile({ optimizer, loss: 'meanSquaredError' });

  const x = tf.tensor2d(toMatrix(features, labelled));
  const y = tf.tensor2d(targets, [targets.length, 1]);
  try {
    const history = await network.fit(x, y, {
      epochs: EPOCHS,
      batchSize: labelled.length,
      shuffle: false,
      verbose: 0,
    });
    return { lossHistory: (history.history.loss as number[]).slice().reverse(), network, optimizer, features };
  } finally {
    x.dispose();
    y.dispose();
  }
}

export function predict(model: Model, rows: CarRow[]): number[] {
  if (rows.length === 0) return [];
  return tf.tidy(() => {
    const x = tf.tensor2d(toMatrix(model.features, rows));
    const y = model.network.predict(x) as tf.Tensor;
    return Array.from(y.dataSync());
  });
}

export function dispose(model: Model): void {
  model.network.dispose();
  // The optimiser was created here, not by compile(), so the network does not own its state.
  model.optimizer.dispose();
}
