// Example tests: run them with `kata test penguin-classifier`. The grader's hidden suite checks more
// (accuracy on penguins the model never saw, missing values, tensor leaks); see README.md.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { FEATURES, SPECIES, predict, train, type Measurements, type PenguinRow, type Trained } from '../src/model';

const rows = JSON.parse(readFileSync(fixturePath('penguins-train.json'), 'utf8')) as PenguinRow[];
const complete = rows.filter((row) => FEATURES.every((feature) => row[feature] !== null));
const measurementsOf = (row: PenguinRow): Measurements =>
  Object.fromEntries(FEATURES.map((feature) => [feature, row[feature]])) as Measurements;

let trained: Trained;

beforeAll(async () => {
  await tf.setBackend('cpu'); // the grader uses the pure-JS backend too
  trained = await train(rows, { epochs: 30 });
}, 30_000);

test('train returns one finite loss per epoch', () => {
  expect(trained.lossHistory, 'train(rows, { epochs: 30 }).lossHistory').toHaveLength(30);
  expect(trained.lossHistory.every(Number.isFinite), `lossHistory: ${trained.lossHistory.join(', ')}`).toBe(true);
  expect(trained.lossHistory[29], 'the last loss should be below the first').toBeLessThan(trained.lossHistory[0]);
});

test('the body-mass mean comes from the training rows, skipping nulls', () => {
  // Every row that has a body mass counts, even if another of its measurements is missing.
  const masses = rows.map((row) => row['Body Mass (g)']).filter((mass): mass is number => mass !== null);
  const mean = masses.reduce((sum, m) => sum + m, 0) / masses.length;
  expect(trained.stats.mean[3], 'stats.mean[3], the mean Body Mass (g)').toBeCloseTo(mean, 1);
});

test('predict returns a species for each row and fits the training rows well', () => {
  const predicted = predict(trained, complete.map(measurementsOf));
  expect(predicted).toHaveLength(complete.length);
  expect(predicted.every((species) => (SPECIES as readonly string[]).includes(species))).toBe(true);
  const correct = predicted.filter((species, i) => species === complete[i].Species).length;
  expect(correct / complete.length, 'accuracy on the training rows').toBeGreaterThan(0.9);
});

test('predict leaks no tensors', () => {
  const before = tf.memory().numTensors;
  predict(trained, complete.slice(0, 10).map(measurementsOf));
  expect(tf.memory().numTensors - before, 'tensors left behind by predict').toBe(0);
});
