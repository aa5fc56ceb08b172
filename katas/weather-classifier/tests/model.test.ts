// Example tests for the model. They train on seattle-weather-train.json only; the hidden suite grades
// on a holdout you never see. Ten epochs keep this example quick; the hidden suite trains your default.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { macroF1 } from '../src/metrics';
import { WEATHER, predict, predictProba, train, type Trained, type WeatherRow } from '../src/model';

const rows = JSON.parse(readFileSync(fixturePath('seattle-weather-train.json'), 'utf8')) as WeatherRow[];
const days = rows.map(({ weather, ...day }) => day);

let trained: Trained;

beforeAll(async () => {
  await tf.setBackend('cpu'); // the grader uses the pure-JS backend too
  trained = await train(rows, { epochs: 10 });
});

test('train returns one finite loss per epoch', () => {
  expect(trained.lossHistory).toHaveLength(10);
  expect(trained.lossHistory.every(Number.isFinite), `lossHistory: ${trained.lossHistory.join(', ')}`).toBe(true);
});

test('predict returns a label per day and finds more than the two big classes', () => {
  const predicted = predict(trained, days);
  expect(predicted).toHaveLength(days.length);
  expect(predicted.every((label) => (WEATHER as readonly string[]).includes(label))).toBe(true);
  const predictedClasses = new Set(predicted);
  expect(predictedClasses.size, `predicted classes: ${[...predictedClasses].join(', ')}`).toBeGreaterThanOrEqual(4);
  const score = macroF1(rows.map((row) => row.weather), predicted);
  expect(score, 'macro-F1 on the training days themselves').toBeGreaterThan(0.45);
});

test('predictProba gives five probabilities per day, in WEATHER order, and predict names the largest', () => {
  const some = days.slice(0, 50);
  const probabilities = predictProba(trained, some);
  expect(probabilities).toHaveLength(some.length);
  for (const p of probabilities) {
    expect(p, 'one probability per WEATHER class').toHaveLength(WEATHER.length);
    expect(p.reduce((sum, v) => sum + v, 0), `a row of probabilities: ${p.join(', ')}`).toBeCloseTo(1, 4);
  }
  const largest = probabilities.map((p) => WEATHER[p.indexOf(Math.max(...p))]);
  expect(predict(trained, some), 'predict should name the class of the largest probability').toEqual(largest);
});
