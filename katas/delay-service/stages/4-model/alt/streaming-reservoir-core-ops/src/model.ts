// Stage 4: a classifier for "arrives 15+ minutes late" (read stages/4-model.md).
// Streaming and low-level: the range is read row by row (statement.iterate) into a seeded reservoir sample,
// the statistics come from a Welford pass over the sample, and the network is written with tfjs core ops
// (tf.variable weights drawn from our own seeded generator, optimizer.minimize in a hand-written mini-batch
// loop) instead of tf.layers. Saved as meta.json plus the raw float32 weights.
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
  threshold: number;
  network?: tf.LayersModel;
  /** W1 [inputs, hidden], b1 [hidden], W2 [hidden, 1], b2 [1]. */
  weights: tf.Tensor[];
  stats: { fill: number; mean: number[]; std: number[] };
}

const RESERVOIR = 20_000;
const HIDDEN = 12;
const EPOCHS = 6;
const BATCH = 250;
const SEED = 0x5eed;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Unstandardised numeric columns of a row (a NULL rate -> fill, with a 0/1 flag). */
function numeric(r: FeatureRow, fill: number): number[] {
  const hour = (2 * Math.PI * r.dep_hour) / 24;
  return [
    Math.sin(hour),
    Math.cos(hour),
    Math.log(1 + r.distance),
    Math.log(1 + r.route_flights),
    r.route_late_rate ?? fill,
    r.route_late_rate == null ? 1 : 0,
    Math.log(1 + r.origin_flights),
    r.origin_late_rate ?? fill,
    r.origin_late_rate == null ? 1 : 0,
  ];
}

/** The network's input row: the standardised numeric columns, then the weekday one-hot (7). */
function vectorise(r: FeatureRow, stats: LateModel['stats']): number[] {
  const x = numeric(r, stats.fill).map((v, j) => (v - stats.mean[j]) / stats.std[j]);
  for (let d = 0; d < 7; d++) x.push(r.weekday === d ? 1 : 0);
  return x;
}

function forward(weights: tf.Tensor[], x: tf.Tensor2D): tf.Tensor {
  const [w1, b1, w2, b2] = weights;
  return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1 as tf.Tensor2D), b1)), w2 as tf.Tensor2D), b2);
}

/** Trains on the rows of `features` with flight_date in range.from .. range.to (both included), and nothing else. */
export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  await tf.ready();
  const random = mulberry32(SEED);
  // Algorithm R over the range in id order: a uniform, reproducible sample without holding the month.
  const reservoir: (FeatureRow & { late: number })[] = [];
  let seen = 0;
  const rows = db
    .prepare(
      `SELECT dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate, late
       FROM features WHERE flight_date >= ? AND flight_date <= ? ORDER BY flight_id`,
    )
    .iterate(range.from, range.to) as IterableIterator<FeatureRow & { late: number }>;
  for (const row of rows) {
    seen++;
    if (reservoir.length < RESERVOIR) reservoir.push(row);
    else {
      const j = Math.floor(random() * seen);
      if (j < RESERVOIR) reservoir[j] = row;
    }
  }
  if (seen === 0) throw new Error(`train: features has no row from ${range.from} to ${range.to}`);

  const y: number[] = reservoir.map((r) => (r.late === 1 ? 1 : 0));
  const fill = y.reduce((a, b) => a + b, 0) / y.length;
  // Welford: mean and variance of each column in one pass.
  const width = numeric(reservoir[0], fill).length;
  const mean = new Array<number>(width).fill(0);
  const m2 = new Array<number>(width).fill(0);
  reservoir.forEach((r, k) => {
    numeric(r, fill).forEach((v, j) => {
      const delta = v - mean[j];
      mean[j] += delta / (k + 1);
      m2[j] += delta * (v - mean[j]);
    });
  });
  const stats = { fill, mean, std: m2.map((s) => Math.sqrt(s / reservoir.length) || 1) };
  const inputs = width + 7;

  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Array.from({ length: fanIn * fanOut }, () => (2 * random() - 1) * limit);
  };
  const w1 = tf.variable(tf.tensor2d(glorot(inputs, HIDDEN), [inputs, HIDDEN]));
  const b1 = tf.variable(tf.zeros([HIDDEN]));
  const w2 = tf.variable(tf.tensor2d(glorot(HIDDEN, 1), [HIDDEN, 1]));
  const b2 = tf.variable(tf.zeros([1]));
  const variables = [w1, b1, w2, b2];

  const xAll = reservoir.map((r) => vectorise(r, stats));
  const optimizer = tf.train.adam(0.01);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let start = 0; start < xAll.length; start += BATCH) {
      const end = Math.min(start + BATCH, xAll.length);
      tf.tidy(() => {
        const xb = tf.tensor2d(xAll.slice(start, end), [end - start, inputs]);
        const yb = tf.tensor2d(y.slice(start, end), [end - start, 1]);
        optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(yb, forward(variables, xb)) as tf.Scalar, false, variables);
      });
    }
  }
  optimizer.dispose();
  // Plain tensors from here on: the variables are done learning.
  const weights = variables.map((v) => tf.clone(v));
  tf.dispose(variables);

  const model: LateModel = { threshold: 0.5, weights, stats };
  const p = predict(model, reservoir);
  const byScore = p.map((_, i) => i).sort((a, b) => p[b] - p[a]);
  const actual = y.reduce((a, b) => a + b, 0);
  let tp = 0;
  let bestF1 = -1;
  for (let k = 0; k < byScore.length; k++) {
    tp += y[byScore[k]];
    const next = byScore[k + 1];
    if (next !== undefined && p[next] === p[byScore[k]]) continue;
    const f1 = (2 * tp) / (k + 1 + actual);
    if (f1 > bestF1) {
      bestF1 = f1;
      model.threshold = p[byScore[k]];
    }
  }
  model.threshold = Math.min(1 - 1e-6, Math.max(1e-6, model.threshold));
  return model;
}

/** Writes the model into the folder `dir` (created if missing), and nothing outside it. */
export async function save(model: LateModel, dir: string): Promise<void> {
  const values = model.weights.map((w) => w.dataSync() as Float32Array);
  const blob = new Float32Array(values.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of values) {
    blob.set(v, at);
    at += v.length;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.f32'), Buffer.from(blob.buffer));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ kind: 'late-mlp', threshold: model.threshold, stats: model.stats, shapes: model.weights.map((w) => w.shape) }, null, 2));
}

/** The model saved in `dir`; rejects when the folder holds none. */
export async function load(dir: string): Promise<LateModel> {
  const metaFile = join(dir, 'meta.json');
  const weightFile = join(dir, 'weights.f32');
  if (!existsSync(metaFile) || !existsSync(weightFile)) throw new Error(`load: no late model saved in ${dir}`);
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { kind: string; threshold: number; stats: LateModel['stats']; shapes: number[][] };
  if (meta.kind !== 'late-mlp') throw new Error(`load: ${metaFile} is not a late model`);
  const bytes = readFileSync(weightFile);
  const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const weights = meta.shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(blob.subarray(at, at + size), shape);
    at += size;
    return t;
  });
  if (at !== blob.length) throw new Error(`load: ${weightFile} does not match its shapes`);
  return { threshold: meta.threshold, weights, stats: meta.stats };
}

/** One probability of arriving 15+ minutes late per row, in order. */
export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  if (rows.length === 0) return [];
  const x = rows.map((r) => vectorise(r, model.stats));
  return Array.from(tf.tidy(() => tf.sigmoid(forward(model.weights, tf.tensor2d(x, [x.length, x[0].length]))).dataSync()));
}
