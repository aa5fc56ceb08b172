// Stage 4: a classifier for "arrives 15+ minutes late" (read stages/4-model.md).
// A small seeded network (8 relu units) on the hour as sin/cos, the weekday, log distance, log counts and
// both late rates (NULL -> the training late share, plus a 0/1 "was NULL" input), standardised with the
// statistics of the training sample. The threshold maximises the F1 of the training sample.
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
  /** Replaces a NULL rate: the late share of the training sample. */
  fill: number;
  means: number[];
  stds: number[];
}

const SEED = 20010501;
const SAMPLE = 20_000;
const EPOCHS = 8;

/** mulberry32: a small seeded generator, the same sequence for the same seed. */
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

/** The raw inputs of one row, before standardisation. */
function encode(row: FeatureRow, fill: number): number[] {
  const angle = (2 * Math.PI * row.dep_hour) / 24;
  const routeMissing = row.route_late_rate === null || row.route_late_rate === undefined;
  const originMissing = row.origin_late_rate === null || row.origin_late_rate === undefined;
  return [
    Math.sin(angle),
    Math.cos(angle),
    row.weekday === 0 || row.weekday === 6 ? 1 : 0,
    Math.log1p(row.distance),
    Math.log1p(row.route_flights),
    routeMissing ? fill : (row.route_late_rate as number),
    routeMissing ? 1 : 0,
    Math.log1p(row.origin_flights),
    originMissing ? fill : (row.origin_late_rate as number),
    originMissing ? 1 : 0,
  ];
}

function standardise(x: number[], means: number[], stds: number[]): number[] {
  return x.map((v, j) => (v - means[j]) / stds[j]);
}

function buildNetwork(inputs: number): tf.LayersModel {
  const network = tf.sequential();
  network.add(tf.layers.dense({ inputShape: [inputs], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }), biasInitializer: 'zeros' }));
  network.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }), biasInitializer: 'zeros' }));
  network.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  return network;
}

/** The cut-off among the probabilities that maximises F1 on these labels. */
function bestThreshold(probabilities: number[], labels: number[]): number {
  const order = probabilities.map((_, i) => i).sort((a, b) => probabilities[b] - probabilities[a]);
  const positives = labels.reduce((s, y) => s + y, 0);
  let tp = 0;
  let best = -1;
  let cut = 0.5;
  for (let k = 0; k < order.length; k++) {
    tp += labels[order[k]];
    // Ties: only a cut-off between two different probabilities is a real one.
    if (k + 1 < order.length && probabilities[order[k + 1]] === probabilities[order[k]]) continue;
    const f1 = (2 * tp) / (k + 1 + positives);
    if (f1 > best) {
      best = f1;
      cut = probabilities[order[k]];
    }
  }
  return Math.min(Math.max(cut, 1e-6), 1 - 1e-6);
}

/** Trains on the rows of `features` with flight_date in range.from .. range.to (both included), and nothing else. */
export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  await tf.ready();
  const all = db
    .prepare(
      `SELECT dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate, late
       FROM features WHERE flight_date BETWEEN ? AND ? ORDER BY flight_id`,
    )
    .all(range.from, range.to) as (FeatureRow & { late: number })[];
  if (all.length === 0) throw new Error(`no rows in features between ${range.from} and ${range.to}`);

  // A seeded partial Fisher-Yates: the first SAMPLE rows of a shuffle of the range.
  const random = mulberry32(SEED);
  const n = Math.min(SAMPLE, all.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const sample = all.slice(0, n);
  const labels: number[] = sample.map((r) => (r.late ? 1 : 0));
  const fill = labels.reduce((s, y) => s + y, 0) / n;

  const raw = sample.map((r) => encode(r, fill));
  const width = raw[0].length;
  const means = Array.from({ length: width }, (_, j) => raw.reduce((s, x) => s + x[j], 0) / n);
  const stds = means.map((m, j) => Math.sqrt(raw.reduce((s, x) => s + (x[j] - m) ** 2, 0) / n) || 1);
  const inputs = raw.map((x) => standardise(x, means, stds));

  const network = buildNetwork(width);
  const xs = tf.tensor2d(inputs);
  const ys = tf.tensor2d(labels, [n, 1]);
  try {
    await network.fit(xs, ys, { epochs: EPOCHS, batchSize: 128, shuffle: false, verbose: 0 });
  } finally {
    xs.dispose();
    ys.dispose();
  }
  const model: LateModel = { threshold: 0.5, network, fill, means, stds };
  model.threshold = bestThreshold(predict(model, sample), labels);
  return model;
}

/** Writes the model into the folder `dir` (created if missing), and nothing outside it. */
export async function save(model: LateModel, dir: string): Promise<void> {
  if (!model.network) throw new Error('save: the model has no network');
  mkdirSync(dir, { recursive: true });
  await model.network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData;
      const bytes = Array.isArray(weights) ? Buffer.concat(weights.map((b) => Buffer.from(b))) : Buffer.from(weights as ArrayBuffer);
      writeFileSync(join(dir, 'weights.bin'), bytes);
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          weightSpecs: artifacts.weightSpecs,
          threshold: model.threshold,
          fill: model.fill,
          means: model.means,
          stds: model.stds,
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** The model saved in `dir`; rejects when the folder holds none. */
export async function load(dir: string): Promise<LateModel> {
  const jsonPath = join(dir, 'model.json');
  const binPath = join(dir, 'weights.bin');
  if (!existsSync(jsonPath) || !existsSync(binPath)) throw new Error(`load: no saved model in ${dir}`);
  const saved = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const bin = readFileSync(binPath);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const network = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData }));
  return { threshold: saved.threshold, network, fill: saved.fill, means: saved.means, stds: saved.stds };
}

/** One probability of arriving 15+ minutes late per row, in order. */
export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  if (rows.length === 0) return [];
  if (!model.network) throw new Error('predict: the model has no network');
  const network = model.network;
  const inputs = rows.map((r) => standardise(encode(r, model.fill), model.means, model.stds));
  const out = (network.predict(tf.tensor2d(inputs)) as tf.Tensor).dataSync();
  return Array.from(out);
}
