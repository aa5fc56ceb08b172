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

const DEFAULT_EPOCHS = 40;
const YEARS = [2012, 2013, 2014, 2015];
const MS_PER_DAY = 86_400_000;

/** 1 for January 1st. Computed in UTC so the local time zone cannot shift it. */
function dayOfYear(year: number, month: number, day: number): number {
  return Math.round((Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / MS_PER_DAY) + 1;
}

/** The model's view of a day. Reads only the measurements and the date, never a label. */
function featuresOf(day: Day): number[] {
  const [year, month, date] = day.date.split('-').map(Number);
  const angle = (2 * Math.PI * dayOfYear(year, month, date)) / 365.25;
  return [
    day.precipitation > 0 ? 1 : 0,
    Math.log1p(day.precipitation),
    day.temp_max,
    day.temp_min,
    day.temp_max - day.temp_min,
    day.wind,
    Math.sin(angle),
    Math.cos(angle),
    ...YEARS.map((y) => (y === year ? 1 : 0)),
  ];
}

const WIDTH = featuresOf({ date: '2012-01-01', precipitation: 0, temp_max: 0, temp_min: 0, wind: 0 }).length;

function columnStats(features: number[][]): { mean: number[]; std: number[] } {
  const n = features.length;
  const mean = Array.from({ length: WIDTH }, (_, j) => features.reduce((s, f) => s + f[j], 0) / n);
  const std = Array.from({ length: WIDTH }, (_, j) =>
    Math.sqrt(features.reduce((s, f) => s + (f[j] - mean[j]) ** 2, 0) / n),
  );
  return { mean, std };
}

function standardise(stats: Trained['stats'], features: number[][]): number[][] {
  return features.map((f) => f.map((v, j) => (stats.std[j] > 0 ? (v - stats.mean[j]) / stats.std[j] : 0)));
}

/** A seeded linear congruential generator (Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = lcg(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [WIDTH],
      units: 32,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 101 }),
    }),
  );
  model.add(tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 102 }) }));
  model.add(
    tf.layers.dense({
      units: WEATHER.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 103 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: WeatherRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const unknown = rows.find((row) => !WEATHER.includes(row.weather));
  if (unknown) throw new Error(`${unknown.date}: weather ${JSON.stringify(unknown.weather)} is not one of ${WEATHER.join(', ')}`);
  const shuffled = seededShuffle(rows, 1234); // the file is sorted by date; batches should not be
  const raw = shuffled.map(featuresOf);
  const stats = columnStats(raw);
  const labels = shuffled.map((row) => WEATHER.indexOf(row.weather));

  // Balanced class weights: n / (classes · count_k), in WEATHER order.
  const counts = WEATHER.map((_, k) => labels.filter((l) => l === k).length);
  const classWeight: Record<number, number> = {};
  counts.forEach((count, k) => (classWeight[k] = count > 0 ? shuffled.length / (WEATHER.length * count) : 0));

  const model = buildModel();
  const xs = tf.tensor2d(standardise(stats, raw), [shuffled.length, WIDTH]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), WEATHER.length).toFloat());
  const history = await model.fit(xs, ys, { epochs, batchSize: 64, shuffle: false, classWeight, verbose: 0 });
  xs.dispose();
  ys.dispose();
  return { model, stats, lossHistory: history.history.loss.map((l) => Number(l)) };
}

export function predictProba(trained: Trained, days: Day[]): number[][] {
  if (days.length === 0) return [];
  const features = standardise(trained.stats, days.map(featuresOf));
  return tf.tidy(() => {
    const scores = trained.model.predict(tf.tensor2d(features, [days.length, WIDTH])) as tf.Tensor;
    return scores.arraySync() as number[][];
  });
}

export function predict(trained: Trained, days: Day[]): Weather[] {
  if (days.length === 0) return [];
  const features = standardise(trained.stats, days.map(featuresOf));
  const indices = tf.tidy(() => {
    const scores = trained.model.predict(tf.tensor2d(features, [days.length, WIDTH])) as tf.Tensor;
    return scores.argMax(1).dataSync();
  });
  return Array.from(indices, (k) => WEATHER[k]);
}
