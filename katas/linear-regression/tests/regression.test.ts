// Example tests: run them with `kata test linear-regression`. The hidden suite checks more than this.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { dispose, predict, train, type CarRow, type Model } from '../src/regression';

const read = (name: string): CarRow[] => JSON.parse(readFileSync(fixturePath(name), 'utf8')) as CarRow[];

let trainRows: CarRow[];
let holdoutRows: CarRow[];
let model: Model;

beforeAll(async () => {
  await tf.setBackend('cpu');
  trainRows = read('cars-train.json');
  holdoutRows = read('cars-holdout.json');
  model = await train(trainRows);
});

afterAll(() => {
  if (model) dispose(model);
});

test('predicts one finite number per holdout car, even without Horsepower', () => {
  const predictions = predict(model, holdoutRows);
  expect(predictions).toHaveLength(holdoutRows.length);
  const missingHp = holdoutRows.findIndex((r) => r.Horsepower === null);
  expect(Number.isFinite(predictions[missingHp]), `${holdoutRows[missingHp].Name} has no Horsepower`).toBe(true);
  expect(predictions.every(Number.isFinite)).toBe(true);
});

test('beats 4.0 mpg RMSE on the holdout', () => {
  const predictions = predict(model, holdoutRows);
  let sum = 0;
  let n = 0;
  holdoutRows.forEach((row, i) => {
    if (row.Miles_per_Gallon === null) return; // no label, nothing to score
    sum += (predictions[i] - row.Miles_per_Gallon) ** 2;
    n++;
  });
  const rmse = Math.sqrt(sum / n);
  console.log(`holdout RMSE: ${rmse.toFixed(3)} mpg, final training loss: ${model.lossHistory.at(-1)}`);
  expect(rmse).toBeLessThan(4.0);
});

test('predict leaves no tensors behind', () => {
  const before = tf.memory().numTensors;
  predict(model, holdoutRows);
  expect(tf.memory().numTensors - before, 'tensors still allocated after predict').toBe(0);
});
