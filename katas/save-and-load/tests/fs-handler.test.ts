// Example tests: run them with `kata test save-and-load`. The hidden suite checks more (the manifest byte
// for byte, sharded models, broken files, training config and metadata); see README.md.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fileSystemHandler } from '../src/fs-handler';

const dir = mkdtempSync(join(tmpdir(), 'save-and-load-example-'));
let model: tf.Sequential;

beforeAll(async () => {
  await tf.setBackend('cpu'); // the grader uses the pure-JS backend too
  model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })],
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('save writes model.json and weights.bin', async () => {
  await model.save(fileSystemHandler(dir));
  expect(existsSync(join(dir, 'weights.bin'))).toBe(true);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  // A 2×3 kernel and a bias of 3, float32: 9 numbers, 36 bytes.
  expect(readFileSync(join(dir, 'weights.bin')).length).toBe(36);
});

test('load gives back a model that predicts the same', async () => {
  await model.save(fileSystemHandler(dir));
  const loaded = await tf.loadLayersModel(fileSystemHandler(dir));
  const input = tf.tensor2d([[0.5, -1], [2, 3]]);
  expect(Array.from((loaded.predict(input) as tf.Tensor).dataSync())).toEqual(
    Array.from((model.predict(input) as tf.Tensor).dataSync()),
  );
});
