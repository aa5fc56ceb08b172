// Example tests: run them with `kata test linear-regression`. The hidden suite checks more than this.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { dispose, predict, train, type CarRow, type Model } from '../src/regression';

// The holdout is the grader's: these examples keep the first 65 training cars back as a validation set.
const cars = JSON.parse(readFileSync(fixturePath('cars-train.json'), 'utf8')) as CarRow[];
const validationRows = cars.slice(0, 65);
const trainRows = cars.slice(65);
let model: Model;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = await train(trainRows);
});

afterAll(() => {
  if (model) dispose(model);
});

test('predicts one finite number per validation car, even without Horsepower', () => {
  const predictions = predict(model, validationRows);
  expect(predictions).toHaveLength(validationRows.length);
  const missingHp = validationRows.findIndex((r) => r.Horsepower === null);
  expect(Number.isFinite(predictions[missingHp]), `${validationRows[missingHp].Name} has no Horsepower`).toBe(true);
  expect(predictions.every(Number.isFinite)).toBe(true);
});

test('beats 4.0 mpg RMSE on the validation cars', () => {
  const predictions = predict(model, validationRows);
  let sum = 0;
  let n = 0;
  validationRows.forEach((row, i) => {
    if (row.Miles_per_Gallon === null) return; // no label, nothing to score
    sum += (predictions[i] - row.Miles_per_Gallon) ** 2;
    n++;
  });
  const rmse = Math.sqrt(sum / n);
  console.log(`validation RMSE: ${rmse.toFixed(3)} mpg, final training loss: ${model.lossHistory.at(-1)}`);
  expect(rmse).toBeLessThan(4.0);
});

test('predict leaves no tensors behind', () => {
  const before = tf.memory().numTensors;
  predict(model, validationRows);
  expect(tf.memory().numTensors - before, 'tensors still allocated after predict').toBe(0);
});
