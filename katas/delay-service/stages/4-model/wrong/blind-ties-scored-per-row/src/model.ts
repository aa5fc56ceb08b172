// Stage 4: a classifier for "arrives 15+ minutes late" (read stages/4-model.md).
//
// A logistic regression (one sigmoid unit of tfjs layers) on a hand-rolled encoding:
//   24 one-hot columns for the departure hour,
//   6 standardised columns: log distance, log route count, log origin count, both rates (NULL -> the
//     training late share), weekend (0/1),
//   2 raw 0/1 "rate missing" flags.
// Trained on a reservoir sample (seeded mulberry32) of the range, mini-batches reshuffled per epoch with the
// same generator, zero-initialised weights; the threshold is the best-F1 cut-off of the sampled rows.
import * as tf from '@tensorflow/tfjs';
import type Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

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

/** What predict needs besides the network: how to fill NULL rates and how to standardise. */
export interface Encoding {
  routeFill: number;
  originFill: number;
  mean: number[];
  std: number[];
}

/** What train returns and load gives back. */
export interface LateModel {
  /** A flight is predicted late when its probability is >= threshold (0 < threshold < 1), chosen on training rows. */
  threshold: number;
  network: tf.LayersModel;
  encoding: Encoding;
}

const SAMPLE_SIZE = 24_000;
const SEED = 0x2001_0501;
const HOURS = 24;
const NUMERIC = 6; // log distance, log route flights, log origin flights, route rate, origin rate, weekend
const WIDTH = HOURS + NUMERIC + 2;
const BATCH = 256;
const MIN_STEPS = 400;
const MIN_EPOCHS = 8;
const EPS = 1e-7; // probabilities are kept inside [EPS, 1 - EPS]
const FORMAT = 'delay-service/late-model@1';
const META_FILE = 'late-model.json';
const WEIGHTS_FILE = 'weights.bin';

/** mulberry32: a small seeded generator of floats in [0, 1). */
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

function known(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function nonNegative(x: unknown): number {
  const v = Number(x);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

function hourIndex(hour: unknown): number {
  const h = Math.floor(Number(hour));
  return Number.isFinite(h) ? Math.min(HOURS - 1, Math.max(0, h)) : 0;
}

function isWeekend(weekday: unknown): number {
  const d = Number(weekday);
  return d === 0 || d === 6 ? 1 : 0;
}

/** The six numeric inputs of a row, before standardisation. */
function numeric(row: FeatureRow, routeFill: number, originFill: number): number[] {
  return [
    Math.log1p(nonNegative(row.distance)),
    Math.log1p(nonNegative(row.route_flights)),
    Math.log1p(nonNegative(row.origin_flights)),
    known(row.route_late_rate) ? row.route_late_rate : routeFill,
    known(row.origin_late_rate) ? row.origin_late_rate : originFill,
    isWeekend(row.weekday),
  ];
}

/** A standard deviation usable as a divisor: a column that never varies is centred and left at 0. */
function guard(std: number): number {
  return Number.isFinite(std) && std > 1e-9 ? std : 1;
}

function fitEncoding(rows: FeatureRow[], labels: number[]): Encoding {
  const lateShare = labels.reduce((s, l) => s + l, 0) / labels.length;
  const routeFill = lateShare;
  const originFill = lateShare;
  const columns = rows.map((r) => numeric(r, routeFill, originFill));
  const mean: number[] = [];
  const std: number[] = [];
  // the five continuous columns
  for (let j = 0; j < NUMERIC - 1; j++) {
    let sum = 0;
    for (const c of columns) sum += c[j];
    const m = sum / columns.length;
    let squares = 0;
    for (const c of columns) squares += (c[j] - m) ** 2;
    mean.push(m);
    std.push(guard(Math.sqrt(squares / columns.length)));
  }
  // weekend is a 0/1 column: its standard deviation is sqrt(q (1 - q)), 0 when the range holds one kind of day
  const q = columns.reduce((s, c) => s + c[NUMERIC - 1], 0) / columns.length;
  mean.push(q);
  std.push(guard(Math.sqrt(q * (1 - q))));
  return { routeFill, originFill, mean, std };
}

function encode(rows: FeatureRow[], enc: Encoding): Float32Array {
  const out = new Float32Array(rows.length * WIDTH);
  rows.forEach((row, i) => {
    const o = i * WIDTH;
    out[o + hourIndex(row.dep_hour)] = 1;
    const values = numeric(row, enc.routeFill, enc.originFill);
    for (let j = 0; j < NUMERIC; j++) out[o + HOURS + j] = (values[j] - enc.mean[j]) / enc.std[j];
    out[o + HOURS + NUMERIC] = known(row.route_late_rate) ? 0 : 1;
    out[o + HOURS + NUMERIC + 1] = known(row.origin_late_rate) ? 0 : 1;
  });
  return out;
}

function buildNetwork(lateShare: number): tf.LayersModel {
  const share = Math.min(1 - 1e-3, Math.max(1e-3, lateShare));
  const network = tf.sequential();
  network.add(
    tf.layers.dense({
      inputShape: [WIDTH],
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: 'zeros',
      biasInitializer: tf.initializers.constant({ value: Math.log(share / (1 - share)) }),
    }),
  );
  network.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  return network;
}

/**
 * The cut-off with the best F1 on these rows. Every distinct probability is scored once, with all the rows
 * at or above it (tied rows go in together); the threshold returned sits halfway between that probability
 * and the next lower one, so it lets in exactly those rows.
 */
function bestF1Threshold(probs: number[], labels: number[]): number {
  const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a]);
  const positives = labels.reduce((s, l) => s + l, 0);
  let tp = 0;
  let fp = 0;
  let bestF1 = -1;
  let threshold = 0.5;
  for (let i = 0; i < order.length; i++) {
    const p = probs[order[i]];
    if (labels[order[i]] === 1) tp++;
    else fp++;
    const f1 = (2 * tp) / (tp + fp + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      const below = i + 1 < order.length ? probs[order[i + 1]] : 0;
      threshold = (p + below) / 2;
    }
  }
  return threshold;
}

/** Trains on the rows of `features` with flight_date in range.from .. range.to (both included), and nothing else. */
export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  const statement = db.prepare(
    `SELECT flight_id, dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate, late
       FROM features
      WHERE flight_date >= ? AND flight_date <= ?
      ORDER BY flight_id`,
  );
  const random = mulberry32(SEED);
  const sample: (FeatureRow & { late: number })[] = [];
  let seen = 0;
  for (const row of statement.iterate(range.from, range.to) as Iterable<FeatureRow & { late: number }>) {
    if (sample.length < SAMPLE_SIZE) sample.push(row);
    else {
      const j = Math.floor(random() * (seen + 1));
      if (j < SAMPLE_SIZE) sample[j] = row;
    }
    seen++;
  }
  if (sample.length === 0) throw new Error(`no rows in features between ${range.from} and ${range.to}`);

  const labels: number[] = sample.map((r) => (Number(r.late) === 1 ? 1 : 0));
  const encoding = fitEncoding(sample, labels);
  const x = encode(sample, encoding);
  const lateShare = labels.reduce((s, l) => s + l, 0) / labels.length;
  const network = buildNetwork(lateShare);

  const n = sample.length;
  const batch = Math.min(BATCH, n);
  const stepsPerEpoch = Math.ceil(n / batch);
  const epochs = Math.max(MIN_EPOCHS, Math.ceil(MIN_STEPS / stepsPerEpoch));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < n; start += batch) {
      const size = Math.min(batch, n - start);
      const bx = new Float32Array(size * WIDTH);
      const by = new Float32Array(size);
      for (let k = 0; k < size; k++) {
        const row = order[start + k];
        bx.set(x.subarray(row * WIDTH, (row + 1) * WIDTH), k * WIDTH);
        by[k] = labels[row];
      }
      const xs = tf.tensor2d(bx, [size, WIDTH]);
      const ys = tf.tensor2d(by, [size, 1]);
      try {
        await network.trainOnBatch(xs, ys);
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
  }

  const model: LateModel = { threshold: 0.5, network, encoding };
  model.threshold = bestF1Threshold(predict(model, sample), labels);
  return model;
}

function file(dir: string, name: string): string {
  return `${dir.replace(/[\\/]+$/, '')}/${name}`;
}

/** Writes the model into the folder `dir` (created if missing), and nothing outside it. */
export async function save(model: LateModel, dir: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.network.save(
    tf.io.withSaveHandler(async (a: tf.io.ModelArtifacts) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts || !artifacts.weightSpecs || artifacts.weightData === undefined) throw new Error('the network gave no artifacts');
  const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file(dir, WEIGHTS_FILE), Buffer.from(weights));
  writeFileSync(
    file(dir, META_FILE),
    JSON.stringify({
      format: FORMAT,
      threshold: model.threshold,
      encoding: model.encoding,
      modelTopology: artifacts.modelTopology,
      weightSpecs: artifacts.weightSpecs,
    }),
  );
}

/** The model saved in `dir`; rejects when the folder holds none. */
export async function load(dir: string): Promise<LateModel> {
  const meta = JSON.parse(readFileSync(file(dir, META_FILE), 'utf8')) as {
    format?: string;
    threshold?: number;
    encoding?: Encoding;
    modelTopology?: object;
    weightSpecs?: tf.io.WeightsManifestEntry[];
  };
  if (meta.format !== FORMAT || !known(meta.threshold) || !meta.encoding || !meta.modelTopology || !meta.weightSpecs) {
    throw new Error(`${dir} holds no saved late model`);
  }
  const bytes = readFileSync(file(dir, WEIGHTS_FILE));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const network = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: meta.modelTopology, weightSpecs: meta.weightSpecs, weightData }),
  );
  return { threshold: meta.threshold, network, encoding: meta.encoding };
}

/** One probability of arriving 15+ minutes late per row, in order. */
export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  if (rows.length === 0) return [];
  const x = encode(rows, model.encoding);
  const p = tf.tidy(() => (model.network.predict(tf.tensor2d(x, [rows.length, WIDTH])) as tf.Tensor).dataSync() as Float32Array);
  return Array.from(p, (v) => Math.min(1 - EPS, Math.max(EPS, v)));
}
