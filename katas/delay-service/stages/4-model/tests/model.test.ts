// Example tests for stage 4: run them with `kata test`. They build a features table with YOUR stage 3
// buildFeatures over February and March flights of four airports (your data), train on February and look
// at March. The hidden suite trains on a month you do not have and grades on the month after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as tf from '@tensorflow/tfjs';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { buildFeatures } from '../src/features';
import { load, predict, save, train, type FeatureRow, type LateModel } from '../src/model';

const AIRPORTS = new Set(['ORD', 'SEA', 'BOS', 'SAV']);
let db: Database.Database;
let model: LateModel;
let march: (FeatureRow & { flight_id: number; late: number })[];
const dir = mkdtempSync(join(tmpdir(), 'delay-model-'));

/** ROC-AUC: the share of (late, punctual) pairs in which the late flight has the higher probability. */
function rocAuc(scores: number[], labels: number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  order.forEach((index, rank) => {
    if (labels[index] === 1) {
      positives++;
      rankSum += rank + 1;
    }
  });
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * (labels.length - positives));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  db = new Database(':memory:');
  db.exec(`CREATE TABLE flights (id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_minute INTEGER NOT NULL, origin TEXT NOT NULL,
           destination TEXT NOT NULL, distance INTEGER NOT NULL, delay INTEGER NOT NULL)`);
  const insert = db.prepare('INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay) VALUES (?, ?, ?, ?, ?, ?)');
  for (const month of ['2001-02', '2001-03']) {
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(fixturePath(`flights-${month}.parquet`)), compressors })) as {
      date: Date;
      delay: bigint;
      distance: bigint;
      origin: string;
      destination: string;
    }[];
    db.transaction(() => {
      for (const r of rows) {
        if (!AIRPORTS.has(r.origin)) continue;
        insert.run(r.date.toISOString().slice(0, 10), r.date.getUTCHours() * 60 + r.date.getUTCMinutes(), r.origin, r.destination, Number(r.distance), Number(r.delay));
      }
    })();
  }
  buildFeatures(db);
  model = await train(db, { from: '2001-02-01', to: '2001-02-28' });
  march = db.prepare("SELECT * FROM features WHERE flight_date >= '2001-03-01' AND flight_id % 10 = 0").all() as typeof march;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('predict gives a probability per row, and ranks March flights better than a coin', () => {
  const p = predict(model, march);
  expect(p).toHaveLength(march.length);
  expect(p.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)).toBe(true);
  const auc = rocAuc(p, march.map((r) => r.late));
  console.log(`ROC-AUC on ${march.length} March flights: ${auc.toFixed(3)} (threshold ${model.threshold})`);
  expect(auc).toBeGreaterThan(0.55);
});

test('the threshold is a probability strictly between 0 and 1', () => {
  expect(model.threshold).toBeGreaterThan(0);
  expect(model.threshold).toBeLessThan(1);
});

test('save then load gives the same predictions and threshold', async () => {
  await save(model, join(dir, 'late-model'));
  const loaded = await load(join(dir, 'late-model'));
  expect(loaded.threshold).toBe(model.threshold);
  const rows = march.slice(0, 100);
  const a = predict(model, rows);
  const b = predict(loaded, rows);
  a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 6));
});

test('predict of no rows is [] and leaves no tensor behind', () => {
  const before = tf.memory().numTensors;
  expect(predict(model, [])).toEqual([]);
  predict(model, march.slice(0, 50));
  expect(tf.memory().numTensors).toBe(before);
});
