// Reference solution of stage 4: a small tfjs network for "arrives 15+ minutes late", trained on a seeded
// sample of the features rows of a date range, saved as model.json + weights.bin in a folder.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type Database from 'better-sqlite3';

export interface FeatureRow {
  dep_hour: number;
  weekday: number;
  distance: number;
  route_flights: number;
  route_late_rate: number | null;
  origin_flights: number;
  origin_late_rate: number | null;
}

/** Everything a prediction needs: the network and the statistics of the training rows. */
export interface LateModel {
  threshold: number;
  network: tf.LayersModel;
  /** Late share of the training rows: stands in for a NULL rate. */
  lateRate: number;
  mean: number[];
  std: number[];
  lossHistory: number[];
}

/** At most this many training rows: enough for a stable model, few enough for a few seconds on the cpu backend. */
export const SAMPLE_SIZE = 20_000;
export const EPOCHS = 8;
const SEED = 2001;
const NUMERIC = 6; // the standardised columns, first in the input

/** mulberry32: a seeded generator, so that the sample and its order are the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The input vector of a row before standardisation: 6 numeric columns, then weekday and hour one-hot. */
function encode(row: FeatureRow, lateRate: number): number[] {
  const routeRate = row.route_late_rate ?? row.origin_late_rate ?? lateRate;
  const originRate = row.origin_late_rate ?? lateRate;
  const numeric = [
    Math.log(Math.max(row.distance, 1)),
    Math.log1p(row.route_flights),
    routeRate,
    Math.log1p(row.origin_flights),
    originRate,
    row.route_late_rate === null ? 1 : 0,
  ];
  const weekday = Array.from({ length: 7 }, (_, k) => (row.weekday === k ? 1 : 0));
  const hour = Array.from({ length: 24 }, (_, k) => (row.dep_hour === k ? 1 : 0));
  return [...numeric, ...weekday, ...hour];
}

function inputs(model: Pick<LateModel, 'lateRate' | 'mean' | 'std'>, rows: readonly FeatureRow[]): number[][] {
  return rows.map((row) => encode(row, model.lateRate).map((v, j) => (j < NUMERIC ? (v - model.mean[j]) / model.std[j] : v)));
}

function network(width: number): tf.Sequential {
  const net = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [width], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }) }),
    ],
  });
  net.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  return net;
}

/** The cut-off with the best F1 over these probabilities (late when probability >= cut-off). */
function bestThreshold(probabilities: readonly number[], labels: readonly number[]): number {
  // Sorted lowest first, walked from the top down: tied rows come in reverse sample order.
  const order = probabilities.map((_, i) => i).sort((a, b) => probabilities[a] - probabilities[b]);
  const positives = labels.reduce((s, l) => s + l, 0);
  let tp = 0;
  let seen = 0;
  let best = { f1: -1, threshold: 0.5 };
  for (let i = order.length - 1; i >= 0; i--) {
    tp += labels[order[i]];
    seen++;
    const f1 = (2 * tp) / (seen + positives);
    if (f1 > best.f1) best = { f1, threshold: probabilities[order[i]] };
  }
  return best.threshold;
}

export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  const ids = db
    .prepare('SELECT flight_id FROM features WHERE flight_date BETWEEN ? AND ? ORDER BY flight_id')
    .pluck()
    .all(range.from, range.to) as number[];
  if (ids.length === 0) throw new Error(`no features rows between ${range.from} and ${range.to}`);
  // A seeded sample, in a seeded order (the table is sorted by time; fit's own shuffle uses Math.random).
  const random = seeded(SEED);
  const order = ids.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const chosen = order.slice(0, SAMPLE_SIZE);
  const byId = new Map<number, FeatureRow & { late: number }>();
  for (const row of db
    .prepare('SELECT * FROM features WHERE flight_id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(chosen)) as (FeatureRow & { flight_id: number; late: number })[]) {
    byId.set(row.flight_id, row);
  }
  const rows = chosen.map((id) => byId.get(id)!);
  const labels = rows.map((r) => r.late);
  const lateRate = labels.reduce((s, l) => s + l, 0) / labels.length;
  const raw = rows.map((r) => encode(r, lateRate));
  const mean = Array.from({ length: NUMERIC }, (_, j) => raw.reduce((s, x) => s + x[j], 0) / raw.length);
  const std = mean.map((m, j) => Math.sqrt(raw.reduce((s, x) => s + (x[j] - m) ** 2, 0) / raw.length) || 1);
  const net = network(raw[0].length);
  const stats = { lateRate, mean, std };
  const xs = tf.tensor2d(inputs(stats, rows));
  const ys = tf.tensor2d(labels, [labels.length, 1]);
  const history = await net.fit(xs, ys, { epochs: EPOCHS, batchSize: 256, shuffle: false, verbose: 0 });
  const trainProbabilities = Array.from(tf.tidy(() => (net.predict(xs) as tf.Tensor).dataSync()));
  tf.dispose([xs, ys]);
  return { ...stats, network: net, threshold: bestThreshold(trainProbabilities, labels), lossHistory: history.history.loss as number[] };
}

export async function save(model: LateModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.network.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
    }),
  );
  const { modelTopology, weightSpecs, weightData } = artifacts!;
  const weights = Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData!;
  await writeFile(join(dir, 'weights.bin'), Buffer.from(weights));
  const { threshold, lateRate, mean, std, lossHistory } = model;
  await writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology, weightSpecs, threshold, lateRate, mean, std, lossHistory }));
}

export async function load(dir: string): Promise<LateModel> {
  const saved = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const bytes = await readFile(join(dir, 'weights.bin'));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const network = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData }));
  return { network, threshold: saved.threshold, lateRate: saved.lateRate, mean: saved.mean, std: saved.std, lossHistory: saved.lossHistory };
}

export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  if (rows.length === 0) return [];
  const x = inputs(model, rows);
  return Array.from(tf.tidy(() => (model.network.predict(tf.tensor2d(x)) as tf.Tensor).dataSync()));
}
