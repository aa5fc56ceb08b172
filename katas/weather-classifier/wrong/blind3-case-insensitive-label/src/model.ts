import * as tf from '@tensorflow/tfjs';

/** The classes, sorted, in the order of the model's output units. */
export const WEATHER = ['drizzle', 'fog', 'rain', 'snow', 'sun'] as const;
export type Weather = (typeof WEATHER)[number];

/** One day's measurements, as in seattle-weather-train.json without the label. */
export interface Day {
  /** YYYY-MM-DD */
  date: string;
  /** mm */
  precipitation: number;
  /** °C */
  temp_max: number;
  /** °C */
  temp_min: number;
  /** m/s */
  wind: number;
}
/** A labelled day, as in seattle-weather-train.json. */
export type WeatherRow = Day & { weather: Weather };

export interface Trained {
  model: tf.LayersModel;
  /** Per-feature mean and standard deviation of the training rows, in featuresOf order. */
  stats: { mean: number[]; std: number[] };
  /** Training loss (class-weighted categorical cross-entropy) after each epoch. */
  lossHistory: number[];
}

export interface TrainOptions {
  /** Number of epochs (default 40). */
  epochs?: number;
}

const DEFAULT_EPOCHS = 40;
const HIDDEN_UNITS = 16;
const SEED = 1;
/** The years in the data. The source's labelling drifts between them, so the year is informative. */
const YEARS = [2012, 2013, 2014, 2015];

/**
 * The model's view of a day: the year (one-hot), how much rain fell (log-scaled, and whether any did),
 * the temperatures and their daily range, the wind, and the season as a point on a circle, so that
 * 31 December and 1 January are neighbours.
 */
function featuresOf(day: Day): number[] {
  const [year, month, dayOfMonth] = day.date.split('-').map(Number);
  const dayOfYear = (Date.UTC(year, month - 1, dayOfMonth) - Date.UTC(year, 0, 1)) / 86_400_000;
  const angle = (2 * Math.PI * dayOfYear) / 365.25;
  return [
    ...YEARS.map((y) => (y === year ? 1 : 0)),
    Math.log1p(day.precipitation),
    day.precipitation > 0 ? 1 : 0,
    day.temp_max,
    day.temp_min,
    day.temp_max - day.temp_min,
    day.wind,
    Math.sin(angle),
    Math.cos(angle),
  ];
}

function fitStats(features: number[][]): Trained['stats'] {
  const n = features.length;
  const mean = features[0].map((_, j) => features.reduce((sum, row) => sum + row[j], 0) / n);
  const std = mean.map((m, j) => Math.sqrt(features.reduce((sum, row) => sum + (row[j] - m) ** 2, 0) / n) || 1);
  return { mean, std };
}

function standardise(days: Day[], stats: Trained['stats']): tf.Tensor2D {
  const rows = days.map((day) => featuresOf(day).map((value, j) => (value - stats.mean[j]) / stats.std[j]));
  return tf.tensor2d(rows, [days.length, stats.mean.length]);
}

/**
 * "Balanced" class weights, n / (classes · n_c): every class carries the same total weight in the loss,
 * so 19 snow days count as much as 481 rain days. Without them the cheapest way to a low loss is to
 * never predict drizzle, fog or snow.
 */
function classWeights(labels: number[]): Record<number, number> {
  const counts = WEATHER.map((_, k) => labels.filter((label) => label === k).length);
  return Object.fromEntries(
    counts.map((count, k) => [k, count === 0 ? 1 : labels.length / (WEATHER.length * count)]),
  );
}

/** mulberry32: a seeded PRNG, so the one shuffle before training is the same on every run. */
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

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function buildModel(inputs: number): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [inputs],
      units: HIDDEN_UNITS,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: WEATHER.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: WeatherRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  // The file is sorted by date; one seeded shuffle keeps every batch from being a single season.
  const days = shuffled(rows, SEED);
  const labels = days.map((row) => {
    const index = WEATHER.indexOf(String(row.weather).toLowerCase() as Weather);
    if (index < 0) throw new Error(`unknown weather ${JSON.stringify(row.weather)} on ${row.date}`);
    return index;
  });
  const stats = fitStats(days.map(featuresOf));
  const xs = standardise(days, stats);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), WEATHER.length).cast('float32'));
  const model = buildModel(stats.mean.length);
  try {
    // shuffle: false because fit's own shuffle uses Math.random; the rows were shuffled above.
    const history = await model.fit(xs, ys, {
      epochs,
      batchSize: 64,
      shuffle: false,
      classWeight: classWeights(labels),
      verbose: 0,
    });
    return { model, stats, lossHistory: history.history.loss.map(Number) };
  } finally {
    xs.dispose();
    ys.dispose();
  }
}

/** The model's output for each day: five softmax probabilities, in WEATHER order. */
export function predictProba(trained: Trained, days: Day[]): number[][] {
  if (days.length === 0) return [];
  return tf.tidy(() => (trained.model.predict(standardise(days, trained.stats)) as tf.Tensor).arraySync() as number[][]);
}

export function predict(trained: Trained, days: Day[]): Weather[] {
  if (days.length === 0) return [];
  const classes = tf.tidy(() => {
    const probabilities = trained.model.predict(standardise(days, trained.stats)) as tf.Tensor;
    return probabilities.argMax(1).dataSync();
  });
  return Array.from(classes, (k) => WEATHER[k]);
}
