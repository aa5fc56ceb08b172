// The penguin classifier's workload (342 rows, 4 features, 16 hidden units, 100 epochs) on each tfjs
// backend that loads here, side by side: the pure-JS cpu backend graders use, wasm, and tfjs-node if
// it is installed (it cannot be where Google's storage is unreachable).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './lib.mjs';

const require = createRequire(import.meta.url);
const tf = await import('@tensorflow/tfjs');
const penguins = JSON.parse(readFileSync(join(root, 'node_modules', 'vega-datasets', 'data', 'penguins.json'), 'utf8'));
const cols = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
const rows = penguins.filter((p) => cols.every((c) => typeof p[c] === 'number'));
const species = [...new Set(rows.map((r) => r.Species))];

async function trainOnce() {
  const x = tf.tensor2d(rows.map((r) => cols.map((c) => r[c])));
  const { mean, variance } = tf.moments(x, 0);
  const xs = x.sub(mean).div(variance.sqrt());
  const ys = tf.oneHot(tf.tensor1d(rows.map((r) => species.indexOf(r.Species)), 'int32'), species.length);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: species.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const started = performance.now();
  await model.fit(xs, ys, { epochs: 100, batchSize: 32, verbose: 0 });
  const ms = performance.now() - started;
  tf.dispose([x, mean, variance, xs, ys]);
  model.dispose();
  return ms;
}

const backends = [['cpu', async () => {}], ['wasm', async () => {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..')}/`);
}], ['tensorflow (tfjs-node)', async () => {
  await import('@tensorflow/tfjs-node');
}]];

console.log('penguin classifier training (100 epochs), per tfjs backend:');
const results = {};
for (const [name, load] of backends) {
  try {
    await load();
    const backend = name.split(' ')[0];
    if (!(await tf.setBackend(backend))) throw new Error('did not initialise');
    await tf.ready();
    await trainOnce(); // warm-up
    const times = [await trainOnce(), await trainOnce(), await trainOnce()].sort((a, b) => a - b);
    results[name] = times[1];
    console.log(`  ${name.padEnd(24)} ${(times[1] / 1000).toFixed(2)} s  ${results.cpu ? `${(times[1] / results.cpu).toFixed(2)}× cpu` : ''}`);
  } catch (error) {
    console.log(`  ${name.padEnd(24)} does not load here (${String(error.message ?? error).split('\n')[0].slice(0, 90)})`);
  }
}
