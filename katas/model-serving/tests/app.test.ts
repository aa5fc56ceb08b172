// Example tests: run them with `kata test model-serving`. They serve a tiny hand-made model; the hidden
// suite serves real trained models and checks much more validation (see README.md).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { listen, type Listening } from '@kata/harness';
import { createApp, type ServedModel } from '../src/app';

let server: Listening;
let loads = 0;

/** Two features, two labels: the "yes" logit is x − y, the "no" logit 0, so x = 2, y = 1 gives yes ≈ 0.731. */
function handMadeModel(): ServedModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
  model.setWeights([tf.tensor2d([[0, 1], [0, -1]]), tf.tensor1d([0, 0])]);
  return { model, features: ['x', 'y'], labels: ['no', 'yes'], mean: [0, 0], std: [1, 1] };
}

beforeAll(async () => {
  await tf.setBackend('cpu'); // the grader uses the pure-JS backend too
  const app = await createApp({
    loadModel: async () => {
      loads += 1;
      return handMadeModel();
    },
  });
  server = await listen(app);
});

afterAll(async () => {
  await server?.close();
});

const predict = (body: unknown) =>
  fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('POST /predict answers a label and the probabilities for each instance', async () => {
  const res = await predict({ instances: [{ x: 2, y: 1 }, { x: 0, y: 3 }] });
  expect(res.status).toBe(200);
  const { predictions } = await res.json();
  expect(predictions).toHaveLength(2);
  expect(predictions[0].label).toBe('yes');
  expect(predictions[0].probabilities.yes).toBeCloseTo(1 / (1 + Math.exp(-1)), 5);
  expect(predictions[1].label).toBe('no');
  expect(loads, 'the model is loaded once, at start-up').toBe(1);
});

test('an empty batch is a 400 that names the field', async () => {
  const res = await predict({ instances: [] });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ field: 'instances' });
});
