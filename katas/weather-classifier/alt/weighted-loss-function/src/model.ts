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
  /** Training loss after each epoch. */
  lossHistory: number[];
}

export interface TrainOptions {
  /** Number of epochs (default: your choice; the reference uses 40). */
  epochs?: number;
}

const DEFAULT_EPOCHS = 30;

interface Column {
  name: string;
  of: (day: Day, calendar: Calendar) => number;
}
interface Calendar {
  year: number;
  dayOfYear: number;
}

function calendarOf(date: string): Calendar {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const dayOfYear = (Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / 86_400_000 + 1;
  return { year, dayOfYear };
}

/** The feature columns as a table: each one reads a day's measurements or its date, never a label. */
const COLUMNS: readonly Column[] = [
  { name: 'wet', of: (d) => (d.precipitation > 0 ? 1 : 0) },
  { name: 'log1p(precipitation)', of: (d) => Math.log1p(d.precipitation) },
  { name: 'temp_max', of: (d) => d.temp_max },
  { name: 'temp_min', of: (d) => d.temp_min },
  { name: 'temp_range', of: (d) => d.temp_max - d.temp_min },
  { name: 'wind', of: (d) => d.wind },
  { name: 'season_sin', of: (_, c) => Math.sin((2 * Math.PI * c.dayOfYear) / 365.25) },
  { name: 'season_cos', of: (_, c) => Math.cos((2 * Math.PI * c.dayOfYear) / 365.25) },
  ...[2012, 2013, 2014, 2015].map((y): Column => ({ name: `year=${y}`, of: (_, c) => (c.year === y ? 1 : 0) })),
];

function featureVector(day: Day): number[] {
  const calendar = calendarOf(day.date);
  return COLUMNS.map((column) => column.of(day, calendar));
}

function statsOf(vectors: number[][]): Trained['stats'] {
  const mean = COLUMNS.map((_, j) => vectors.reduce((s, v) => s + v[j], 0) / vectors.length);
  const std = COLUMNS.map((_, j) => Math.sqrt(vectors.reduce((s, v) => s + (v[j] - mean[j]) ** 2, 0) / vectors.length));
  return { mean, std };
}

const scaled = (stats: Trained['stats'], vector: number[]): number[] =>
  vector.map((v, j) => (stats.std[j] === 0 ? 0 : (v - stats.mean[j]) / stats.std[j]));

/** xorshift32 with a fixed seed, for the one shuffle of the date-sorted rows. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/**
 * Categorical cross-entropy where each row counts with its true class's weight: the class weighting is
 * part of the loss instead of a fit option. Weights are normalised so a balanced data set would give
 * plain cross-entropy.
 */
function weightedCrossEntropy(weights: number[]): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const w = tf.tensor1d(weights);
      const rowWeight = yTrue.mul(w).sum(-1);
      const clipped = yPred.clipByValue(1e-7, 1 - 1e-7);
      const perRow = yTrue.mul(clipped.log()).sum(-1).neg();
      return perRow.mul(rowWeight).mean();
    });
}

function buildModel(weights: number[]): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [COLUMNS.length],
      units: 20,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: 31 }),
    }),
  );
  model.add(tf.layers.dense({ units: WEATHER.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 37 }) }));
  model.compile({ optimizer: tf.train.rmsprop(0.005), loss: weightedCrossEntropy(weights) });
  return model;
}

export async function train(rows: WeatherRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const random = xorshift(2015);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const vectors = order.map((i) => featureVector(rows[i]));
  const stats = statsOf(vectors);
  const targets = order.map((i) => {
    const target = WEATHER.indexOf(rows[i].weather);
    if (target === -1) throw new Error(`row ${i} (${rows[i].date}) has the label ${JSON.stringify(rows[i].weather)}, which is not a weather`);
    return target;
  });

  const counts = WEATHER.map((_, k) => targets.reduce((n, t) => n + (t === k ? 1 : 0), 0));
  const weights = counts.map((count) => (count === 0 ? 0 : rows.length / (WEATHER.length * count)));

  const model = buildModel(weights);
  const xs = tf.tensor2d(vectors.map((v) => scaled(stats, v)), [rows.length, COLUMNS.length]);
  const ys = tf.tensor2d(targets.map((t) => WEATHER.map((_, k) => (k === t ? 1 : 0))), [rows.length, WEATHER.length]);
  const lossHistory: number[] = [];
  await model.fit(xs, ys, {
    epochs,
    batchSize: 48,
    shuffle: false,
    verbose: 0,
    callbacks: { onEpochEnd: async (_epoch, logs) => void lossHistory.push(Number(logs?.loss)) },
  });
  tf.dispose([xs, ys]);
  return { model, stats, lossHistory };
}

export function predictProba(trained: Trained, days: Day[]): number[][] {
  if (days.length === 0) return [];
  const xs = tf.tensor2d(days.map((day) => scaled(trained.stats, featureVector(day))), [days.length, COLUMNS.length]);
  const probs = trained.model.predict(xs) as tf.Tensor2D;
  const rowsOfProbs = probs.arraySync();
  tf.dispose([xs, probs]);
  return rowsOfProbs;
}

export function predict(trained: Trained, days: Day[]): Weather[] {
  const out: Weather[] = [];
  if (days.length === 0) return out;
  const xs = tf.tensor2d(days.map((day) => scaled(trained.stats, featureVector(day))), [days.length, COLUMNS.length]);
  const probs = trained.model.predict(xs) as tf.Tensor2D;
  const rowsOfProbs = probs.arraySync();
  tf.dispose([xs, probs]);
  for (const p of rowsOfProbs) {
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    out.push(WEATHER[best]);
  }
  return out;
}
