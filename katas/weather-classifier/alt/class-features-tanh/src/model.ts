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
const FIRST_YEAR = 2012;
const YEAR_COLUMNS = 4; // 2012-2015

/** mulberry32, a small seeded PRNG: the shuffle is identical on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The model's view of a day: measurements and calendar only (a `weather` field is never read). */
class DayFeatures {
  static readonly width = 8 + YEAR_COLUMNS;

  static of(day: Day): number[] {
    const when = new Date(`${day.date}T00:00:00Z`);
    const year = when.getUTCFullYear();
    const startOfYear = Date.UTC(year, 0, 1);
    const dayOfYear = (when.getTime() - startOfYear) / 86_400_000 + 1;
    const phase = (2 * Math.PI * dayOfYear) / 365.25;
    const yearColumns = new Array<number>(YEAR_COLUMNS).fill(0);
    if (year - FIRST_YEAR >= 0 && year - FIRST_YEAR < YEAR_COLUMNS) yearColumns[year - FIRST_YEAR] = 1;
    return [
      Number(day.precipitation > 0),
      Math.log1p(day.precipitation),
      day.temp_max,
      day.temp_min,
      day.temp_max - day.temp_min,
      day.wind,
      Math.sin(phase),
      Math.cos(phase),
      ...yearColumns,
    ];
  }
}

/** Mean and population std of each column; a constant column gets std 0 and standardises to 0. */
function fitStats(matrix: number[][]): Trained['stats'] {
  const mean = new Array<number>(DayFeatures.width).fill(0);
  const m2 = new Array<number>(DayFeatures.width).fill(0);
  matrix.forEach((row, i) => {
    row.forEach((v, j) => {
      const delta = v - mean[j];
      mean[j] += delta / (i + 1);
      m2[j] += delta * (v - mean[j]);
    });
  });
  return { mean, std: m2.map((s) => Math.sqrt(s / matrix.length)) };
}

function applyStats(stats: Trained['stats'], row: number[]): number[] {
  return row.map((v, j) => (stats.std[j] === 0 ? 0 : (v - stats.mean[j]) / stats.std[j]));
}

/** Fisher-Yates on a copy: the file is sorted by date, and fit must not shuffle with Math.random. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Balanced class weights n / (classes · count_k), keyed by output unit (WEATHER order). */
function classWeightsOf(rows: readonly WeatherRow[]): { [classIndex: number]: number } {
  const counts = new Map<Weather, number>();
  for (const row of rows) counts.set(row.weather, (counts.get(row.weather) ?? 0) + 1);
  const weights: { [classIndex: number]: number } = {};
  WEATHER.forEach((w, k) => {
    const count = counts.get(w) ?? 0;
    weights[k] = count === 0 ? 0 : rows.length / (WEATHER.length * count);
  });
  return weights;
}

function buildModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [DayFeatures.width],
        units: 24,
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }),
      }),
      tf.layers.dense({ units: WEATHER.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 6 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: WeatherRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  for (const row of rows) {
    if (!(WEATHER as readonly string[]).includes(row.weather)) throw new TypeError(`cannot train on ${row.date}: unknown weather '${row.weather}'`);
  }
  const stats = fitStats(rows.map(DayFeatures.of));
  const ordered = shuffled(rows, mulberry32(99));
  const model = buildModel();
  const xs = tf.tensor2d(ordered.map((row) => applyStats(stats, DayFeatures.of(row))), [ordered.length, DayFeatures.width]);
  const ys = tf.tensor2d(
    ordered.map((row) => WEATHER.map((w) => (w === row.weather ? 1 : 0))),
    [ordered.length, WEATHER.length],
  );
  try {
    const history = await model.fit(xs, ys, { epochs, batchSize: 64, shuffle: false, classWeight: classWeightsOf(rows), verbose: 0 });
    return { model, stats, lossHistory: history.history.loss.map(Number) };
  } finally {
    tf.dispose([xs, ys]);
  }
}

export function predictProba(trained: Trained, days: Day[]): number[][] {
  return tf.tidy(() => {
    if (days.length === 0) return [];
    const xs = tf.tensor2d(days.map((day) => applyStats(trained.stats, DayFeatures.of(day))), [days.length, DayFeatures.width]);
    return (trained.model.predict(xs) as tf.Tensor).arraySync() as number[][];
  });
}

export function predict(trained: Trained, days: Day[]): Weather[] {
  return tf.tidy(() => {
    if (days.length === 0) return [];
    const xs = tf.tensor2d(days.map((day) => applyStats(trained.stats, DayFeatures.of(day))), [days.length, DayFeatures.width]);
    const best = (trained.model.predict(xs) as tf.Tensor).argMax(-1).arraySync() as number[];
    return best.map((k) => WEATHER[k]);
  });
}
