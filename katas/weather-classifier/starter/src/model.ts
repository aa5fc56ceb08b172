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

/**
 * The model's view of a day.
 * TODO 6: more than the raw numbers helps: whether it rained at all, the daily temperature range, the
 * season (the day of the year as sin/cos, so December and January are neighbours) and the year (the
 * data's labelling changes from year to year).
 */
function featuresOf(day: Day): number[] {
  return [day.precipitation, day.temp_max, day.temp_min, day.wind];
}

function buildModel(inputs: number): tf.Sequential {
  const model = tf.sequential();
  // TODO 7: a hidden relu layer (about 16 units) before the output, and a fixed seed in every layer's
  //         kernelInitializer (tf.initializers.glorotUniform({ seed })) so training is reproducible.
  model.add(tf.layers.dense({ inputShape: [inputs], units: WEATHER.length, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

export async function train(rows: WeatherRow[], options: TrainOptions = {}): Promise<Trained> {
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const features = rows.map(featuresOf);
  const model = buildModel(features[0]?.length ?? 4);
  // TODO 8: the per-feature mean and standard deviation of `features`; standardise with them.
  const stats = { mean: features[0].map(() => 0), std: features[0].map(() => 1) };
  // TODO 9: xs = [n, features] tensor, ys = one-hot [n, 5] tensor of WEATHER indices.
  // TODO 10: class weights: rain and sun are 80% of the days. Give each class k the weight
  //          n / (5 · count_k) and pass it to model.fit as { classWeight: { 0: w0, 1: w1, ... } }.
  // TODO 11: model.fit(xs, ys, { epochs, shuffle: false, ... }) — fit's own shuffle uses Math.random,
  //          and the file is sorted by date, so shuffle the rows yourself with a seeded generator —
  //          keep history.history.loss, and dispose xs and ys afterwards.
  void epochs;
  return { model, stats, lossHistory: [] };
}

/** The model's output for each day: five probabilities, in WEATHER order. */
export function predictProba(trained: Trained, days: Day[]): number[][] {
  // TODO 13: the same standardised input as predict, through trained.model.predict, back as plain arrays
  //          (arraySync inside tf.tidy): one row of five probabilities per day, in WEATHER order, so the
  //          one-hot labels in train must be in WEATHER order too.
  void trained;
  return days.map(() => WEATHER.map(() => 1 / WEATHER.length)); // no opinion at all: a baseline, not a model
}

export function predict(trained: Trained, days: Day[]): Weather[] {
  // TODO 12: standardise the days with trained.stats (never with statistics of `days` itself), run
  //          trained.model.predict, take each row's argMax and map it to a WEATHER label. Dispose every
  //          tensor you create: tf.tidy does it for you.
  void trained;
  return days.map(() => 'rain'); // the most common class: a baseline, not a model
}
