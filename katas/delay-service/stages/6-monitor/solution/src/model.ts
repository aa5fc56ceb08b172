// STAND-IN for stage 4's model (until its CONTRACT.md lands): a logistic regression in tfjs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type Database from 'better-sqlite3';

export interface Features {
  dep_hour: number;
  weekday: number;
  distance: number;
  route_flights: number;
  route_late_rate: number | null;
  origin_flights: number;
  origin_late_rate: number | null;
}
export interface LateModel {
  weights: number[];
  bias: number;
  mean: number[];
  std: number[];
  threshold: number;
}

function vector(f: Features): number[] {
  return [
    Math.sin((2 * Math.PI * f.dep_hour) / 24), Math.cos((2 * Math.PI * f.dep_hour) / 24), f.weekday === 0 || f.weekday === 6 ? 1 : 0,
    Math.log1p(f.distance), Math.log1p(f.route_flights), f.route_late_rate ?? 0.2, Math.log1p(f.origin_flights), f.origin_late_rate ?? 0.2,
  ];
}

export async function train(db: Database.Database, options: { from: string; to: string }): Promise<LateModel> {
  const rows = db.prepare('SELECT * FROM features WHERE flight_date BETWEEN ? AND ? ORDER BY flight_id').all(options.from, options.to) as (Features & { late: number })[];
  const raw = rows.map(vector);
  const n = raw.length;
  const mean = raw[0].map((_, j) => raw.reduce((s, r) => s + r[j], 0) / n);
  const std = mean.map((m, j) => Math.sqrt(raw.reduce((s, r) => s + (r[j] - m) ** 2, 0) / n) || 1);
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [mean.length], units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.zeros() })] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
  const xs = tf.tensor2d(raw.map((r) => r.map((v, j) => (v - mean[j]) / std[j])));
  const ys = tf.tensor2d(rows.map((r) => [r.late]));
  await model.fit(xs, ys, { epochs: 5, batchSize: 512, shuffle: false, verbose: 0 });
  const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
  tf.dispose([xs, ys]);
  model.dispose();
  const lateRate = rows.reduce((s, r) => s + r.late, 0) / n;
  return { weights: kernel, bias: bias[0], mean, std, threshold: lateRate };
}

export async function save(model: LateModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(model));
}

export async function load(dir: string): Promise<LateModel> {
  return JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as LateModel;
}

export function predict(model: LateModel, rows: Features[]): number[] {
  return rows.map((f) => {
    const z = vector(f).reduce((s, v, j) => s + model.weights[j] * ((v - model.mean[j]) / model.std[j]), model.bias);
    return 1 / (1 + Math.exp(-z));
  });
}
