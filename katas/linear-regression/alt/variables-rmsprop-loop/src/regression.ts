import * as tf from '@tensorflow/tfjs';

export interface CarRow {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string;
  Origin: string;
}

export interface Model {
  lossHistory: number[];
  weights: tf.Variable;
  bias: tf.Variable;
  optimizer: tf.Optimizer;
  /** [1, k] tensors kept from training; owned by the model. */
  featureMean: tf.Tensor;
  featureStd: tf.Tensor;
  horsepowerMedian: number;
}

const STEPS = 300;

function medianOf(values: number[]): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort((a, b) => a - b);
  const hi = s.length >> 1;
  return s.length & 1 ? s[hi] : (s[hi - 1] + s[hi]) * 0.5;
}

function yearOf(date: string): number {
  const m = /^(\d{4})/.exec(date);
  return m ? Number(m[1]) : NaN;
}

function featurise(rows: CarRow[], horsepowerMedian: number): number[][] {
  return rows.map((r) => [
    r.Cylinders,
    r.Displacement,
    r.Horsepower ?? horsepowerMedian,
    r.Weight_in_lbs,
    r.Acceleration,
    yearOf(r.Year),
    r.Origin === 'Europe' ? 1 : 0,
    r.Origin === 'Japan' ? 1 : 0,
  ]);
}
const K = 8;

export async function train(rows: CarRow[]): Promise<Model> {
  const labelled = rows.filter((r) => r.Miles_per_Gallon !== null);
  const known: number[] = [];
  for (const r of labelled) if (r.Horsepower !== null) known.push(r.Horsepower);
  const horsepowerMedian = medianOf(known);
  const labels = labelled.map((r) => r.Miles_per_Gallon as number);
  const meanMpg = labels.reduce((a, b) => a + b, 0) / labels.length;

  const [featureMean, featureStd, x, y] = tf.tidy(() => {
    const raw = tf.tensor2d(featurise(labelled, horsepowerMedian), [labelled.length, K]);
    const { mean, variance } = tf.moments(raw, 0, true);
    const sd = variance.sqrt();
    const safeSd = tf.where(sd.greater(0), sd, tf.onesLike(sd));
    return [mean, safeSd, raw.sub(mean).div(safeSd), tf.tensor2d(labels, [labels.length, 1])];
  });

  // tf.variable keeps its own copy; tidy frees the initial values.
  const weights = tf.tidy(() => tf.variable(tf.zeros([K, 1])));
  const bias = tf.tidy(() => tf.variable(tf.scalar(meanMpg)));
  const optimizer = tf.train.rmsprop(0.05);
  const lossHistory: number[] = [];
  try {
    for (let step = 0; step < STEPS; step++) {
      const cost = optimizer.minimize(() => tf.losses.meanSquaredError(y, x.matMul(weights).add(bias)) as tf.Scalar, true, [
        weights,
        bias,
      ]);
      lossHistory.push(cost!.dataSync()[0]);
      cost!.dispose();
      if (step % 50 === 0) await tf.nextFrame();
    }
  } finally {
    x.dispose();
    y.dispose();
  }
  return { lossHistory, weights, bias, optimizer, featureMean, featureStd, horsepowerMedian };
}

export function predict(model: Model, rows: CarRow[]): number[] {
  if (rows.length === 0) return [];
  return tf.tidy(() => {
    const raw = tf.tensor2d(featurise(rows, model.horsepowerMedian), [rows.length, K]);
    const scaled = raw.sub(model.featureMean).div(model.featureStd);
    const out = scaled.matMul(model.weights).add(model.bias);
    return Array.from(out.dataSync());
  });
}

export function dispose(model: Model): void {
  tf.dispose([model.weights, model.bias, model.featureMean, model.featureStd]);
  model.optimizer.dispose();
}
