// Stage 4: a classifier for "arrives 15+ minutes late" (read stages/4-model.md).
// SQL does the data work: the range, a deterministic hash-ordered sample, the late share that replaces a NULL
// rate and the standardisation statistics, all in one statement over the training rows. The model is a
// logistic regression (one sigmoid unit, zero-initialised: convex, so no seed needed) on 24 one-hot hours,
// a weekend flag and the standardised log counts, log distance and rates; saved as plain JSON numbers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type Database from 'better-sqlite3';

/** The model's inputs: a row of `features`. Other fields a row carries (flight_id, flight_date, late) are ignored. */
export interface FeatureRow {
  dep_hour: number;
  weekday: number;
  distance: number;
  route_flights: number;
  route_late_rate: number | null;
  origin_flights: number;
  origin_late_rate: number | null;
}

/** What train returns and load gives back. Add what you need (the network, normalisation statistics, ...). */
export interface LateModel {
  /** A flight is predicted late when its probability is >= threshold (0 < threshold < 1), chosen on training rows. */
  threshold: number;
  network?: tf.LayersModel;
  /** The training sample's late share: the value of a NULL rate. */
  fill: number;
  /** Mean and standard deviation of each numeric column (NUMERIC order), over the training sample. */
  means: number[];
  stds: number[];
}

const SAMPLE = 20_000;
const FORMAT = 'delay-service/late-model@1';
const MODEL_FILE = 'late-model.json';

/** The standardised numeric columns, as SQL expressions over a row of `features` (with :fill bound). */
const NUMERIC: [string, (r: FeatureRow, fill: number) => number][] = [
  ['ln(1 + distance)', (r) => Math.log1p(r.distance)],
  ['ln(1 + route_flights)', (r) => Math.log1p(r.route_flights)],
  ['coalesce(route_late_rate, :fill)', (r, fill) => r.route_late_rate ?? fill],
  ['(route_late_rate IS NULL)', (r) => (r.route_late_rate == null ? 1 : 0)],
  ['ln(1 + origin_flights)', (r) => Math.log1p(r.origin_flights)],
  ['coalesce(origin_late_rate, :fill)', (r, fill) => r.origin_late_rate ?? fill],
  ['(origin_late_rate IS NULL)', (r) => (r.origin_late_rate == null ? 1 : 0)],
];
const WIDTH = 24 + 1 + NUMERIC.length;

/** One row's network inputs: the hour one-hot, the weekend flag, then the standardised numeric columns. */
function inputsOf(row: FeatureRow, model: Pick<LateModel, 'fill' | 'means' | 'stds'>): number[] {
  const x = new Array<number>(WIDTH).fill(0);
  x[Math.min(23, Math.max(0, Math.trunc(row.dep_hour)))] = 1;
  x[24] = row.weekday === 0 || row.weekday === 6 ? 1 : 0;
  NUMERIC.forEach(([, value], j) => {
    x[25 + j] = (value(row, model.fill) - model.means[j]) / model.stds[j];
  });
  return x;
}

function logistic(): tf.Sequential {
  const network = tf.sequential();
  network.add(tf.layers.dense({ inputShape: [WIDTH], units: 1, activation: 'sigmoid', kernelInitializer: 'zeros', biasInitializer: 'zeros' }));
  return network;
}

/** Trains on the rows of `features` with flight_date in range.from .. range.to (both included), and nothing else. */
export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  await tf.ready();
  // The sample: the range ordered by a multiplicative hash of the id, deterministic and spread over every day.
  const sampleSql = `SELECT * FROM features WHERE flight_date BETWEEN :from AND :to
                     ORDER BY (flight_id * 2654435761) % 4294967311, flight_id LIMIT ${SAMPLE}`;
  const share = db.prepare(`SELECT COUNT(*) AS n, AVG(late) AS fill FROM (${sampleSql})`).get(range) as { n: number; fill: number | null };
  if (share.n === 0 || share.fill === null) throw new Error(`no rows in features between ${range.from} and ${range.to}`);
  const fill = share.fill;
  const statsSql = NUMERIC.map(([expr], j) => `AVG(${expr}) AS m${j}, AVG((${expr}) * (${expr})) AS q${j}`).join(', ');
  const stats = db.prepare(`SELECT ${statsSql} FROM (${sampleSql})`).get({ ...range, fill }) as Record<string, number>;
  const means = NUMERIC.map((_, j) => stats[`m${j}`]);
  const stds = NUMERIC.map((_, j) => Math.sqrt(Math.max(0, stats[`q${j}`] - stats[`m${j}`] ** 2)) || 1);

  const rows = db.prepare(sampleSql).all(range) as (FeatureRow & { late: number })[];
  const labels: number[] = rows.map((r) => (r.late ? 1 : 0));
  const partial = { fill, means, stds };
  const network = logistic();
  network.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
  const xs = tf.tensor2d(rows.map((r) => inputsOf(r, partial)), [rows.length, WIDTH]);
  const ys = tf.tensor2d(labels, [rows.length, 1]);
  try {
    await network.fit(xs, ys, { epochs: 10, batchSize: 500, shuffle: false, verbose: 0 });
  } finally {
    tf.dispose([xs, ys]);
  }
  const model: LateModel = { threshold: 0.5, network, fill, means, stds };

  // The threshold: walk down the sorted training probabilities, keeping the cut-off of the best F1.
  const p = predict(model, rows);
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const positives = labels.reduce((s, y) => s + y, 0);
  let tp = 0;
  let best = -1;
  for (let k = 0; k < order.length; k++) {
    tp += labels[order[k]];
    if (k + 1 < order.length && p[order[k + 1]] === p[order[k]]) continue;
    const f1 = (2 * tp) / (k + 1 + positives);
    if (f1 > best) {
      best = f1;
      model.threshold = p[order[k]];
    }
  }
  model.threshold = Math.min(Math.max(model.threshold, 1e-6), 1 - 1e-6);
  return model;
}

/** Writes the model into the folder `dir` (created if missing), and nothing outside it. */
export async function save(model: LateModel, dir: string): Promise<void> {
  if (!model.network) throw new Error('save: this model has no network');
  const [kernel, bias] = model.network.getWeights();
  const saved = {
    format: FORMAT,
    threshold: model.threshold,
    fill: model.fill,
    means: model.means,
    stds: model.stds,
    kernel: Array.from(kernel.dataSync()),
    bias: Array.from(bias.dataSync()),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MODEL_FILE), JSON.stringify(saved));
}

/** The model saved in `dir`; rejects when the folder holds none. */
export async function load(dir: string): Promise<LateModel> {
  const file = join(dir, MODEL_FILE);
  if (!existsSync(file)) throw new Error(`load: ${dir} holds no ${MODEL_FILE}`);
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  if (saved.format !== FORMAT || !Array.isArray(saved.kernel) || saved.kernel.length !== WIDTH) {
    throw new Error(`load: ${file} is not a saved late model`);
  }
  const network = logistic();
  const weights = [tf.tensor2d(saved.kernel, [WIDTH, 1]), tf.tensor1d(saved.bias)];
  network.setWeights(weights);
  tf.dispose(weights);
  return { threshold: saved.threshold, network, fill: saved.fill, means: saved.means, stds: saved.stds };
}

/** One probability of arriving 15+ minutes late per row, in order. */
export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  if (rows.length === 0) return [];
  const network = model.network;
  if (!network) throw new Error('predict: this model has no network');
  const inputs = rows.map((r) => inputsOf(r, model));
  return tf.tidy(() => Array.from((network.predict(tf.tensor2d(inputs, [rows.length, WIDTH])) as tf.Tensor).dataSync()));
}
