// Hidden suite for save-and-load: trains a small penguin classifier, saves it through the learner's
// fileSystemHandler, inspects the files, loads them back, and loads models written in the layouts
// tfjs-node and tensorflowjs_converter produce (single file, shards, several groups).
//
// The learner's code runs in the solution host, so a model it saves or loads must live in the host's tfjs
// (the learner's): the suite trains each model here (the judge's tfjs, which also gives the expected
// predictions and weights), copies it into the host through tfjs's own in-memory handler, and has the host's
// tfjs call the learner's handler there (model.save(handler), tf.loadLayersModel(handler)). The files live
// in the host's temp folder, which the suite reads and writes directly.
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, loadSolution, vegaDataPath, type Remote, type RemoteTensor } from '@kata/harness';

type LayersModel = tf.LayersModel;
type ModelArtifacts = tf.io.ModelArtifacts;
type WeightsManifestEntry = tf.io.WeightsManifestEntry;
interface HandlerModule {
  /** The learner's IOHandler, as it crossed: its save and load are remote functions. */
  fileSystemHandler(dir: string): Promise<Remote>;
}

const MEASUREMENTS = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'];
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

let host: Host;
/** The learner's tfjs, remote. */
let hostTf: Remote;
let mod: HandlerModule;
let root: string;
let model: LayersModel;
/** The same model in the host's tfjs: the one the learner's handler saves. */
let hostModel: Remote;
let inputs: number[][];
let expected: Float32Array;

/** The penguins with every measurement, standardised, and their species one-hot. */
function penguins(): { xs: number[][]; ys: number[][] } {
  const rows = (JSON.parse(readFileSync(vegaDataPath('penguins.json'), 'utf8')) as Record<string, unknown>[]).filter((row) =>
    MEASUREMENTS.every((m) => typeof row[m] === 'number'),
  );
  const raw = rows.map((row) => MEASUREMENTS.map((m) => row[m] as number));
  const mean = MEASUREMENTS.map((_, j) => raw.reduce((s, r) => s + r[j], 0) / raw.length);
  const std = MEASUREMENTS.map((_, j) => Math.sqrt(raw.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / raw.length));
  return {
    xs: raw.map((r) => r.map((v, j) => (v - mean[j]) / std[j])),
    ys: rows.map((row) => SPECIES.map((s) => (row.Species === s ? 1 : 0))),
  };
}

/** A small classifier with trainable and non-trainable (batch-norm) weights, trained for a few epochs. */
async function trainedModel(seed: number): Promise<LayersModel> {
  const net = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  net.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const { xs, ys } = penguins();
  const x = tf.tensor2d(xs);
  const y = tf.tensor2d(ys);
  await net.fit(x, y, { epochs: 3, batchSize: 64, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
  return net;
}

function predictionsOf(net: LayersModel): Float32Array {
  return tf.tidy(() => (net.predict(tf.tensor2d(inputs)) as tf.Tensor).dataSync() as Float32Array);
}

/** The predictions of a model in the host's tfjs (one the learner's handler loaded), on the same inputs. */
async function hostPredictionsOf(net: Remote): Promise<Float32Array> {
  const x = await host.tensor(inputs);
  try {
    const y = (await net.predict(x)) as RemoteTensor;
    await y.dispose();
    return Float32Array.from(y.values as number[]);
  } finally {
    await x.dispose();
  }
}

/** The first index where two float arrays differ, or -1: saving and loading must be lossless. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  return a.findIndex((v, i) => !Object.is(v, b[i]));
}

/** What the model hands to an IOHandler, captured in memory. */
async function artifactsOf(net: LayersModel, config?: tf.io.SaveConfig): Promise<ModelArtifacts> {
  let captured: ModelArtifacts | undefined;
  await net.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
    config,
  );
  return captured!;
}

/**
 * A copy of a model of this suite in the host's tfjs, through tfjs's own in-memory handler: the same
 * topology, weights, training config, metadata and optimizer state (Adam's slots).
 */
async function copyToHost(net: LayersModel): Promise<Remote> {
  const artifacts = await artifactsOf(net, { includeOptimizer: true });
  return hostTf.loadLayersModel(await hostTf.io.fromMemory(artifacts));
}

/** Calls a method of the learner's handler directly, with the handler as `this`, as tfjs itself does. */
function callHandler(handler: Remote, method: 'save' | 'load', ...args: unknown[]): Promise<any> {
  if (!handler?.[method]) throw new TypeError(`fileSystemHandler(dir).${method} is not a function`);
  return handler[method].call(handler, ...args);
}

const bytesOf = (spec: WeightsManifestEntry) => spec.shape.reduce((p, n) => p * n, 1) * BYTES[spec.dtype];
const weightBytes = (artifacts: ModelArtifacts) => new Uint8Array(artifacts.weightData as ArrayBuffer);
let counter = 0;
const freshDir = () => join(root, `model-${++counter}`);

/** tf.loadLayersModel(fileSystemHandler(dir)) in the host: the loaded model, remote. */
async function loadWithLearner(dir: string): Promise<Remote> {
  return hostTf.loadLayersModel(await mod.fileSystemHandler(dir));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend too, before their module loads.
  hostTf = await host.import('@tensorflow/tfjs');
  await hostTf.setBackend('cpu');
  await hostTf.ready();
  mod = (await loadSolution('src/fs-handler.ts', { host })).module as HandlerModule;
  // A folder the learner's code may write (the host's temp folder) and this suite may read.
  root = await mkdtemp(join(host.tempDir, 'kata-save-and-load-'));
  inputs = penguins().xs;
  model = await trainedModel(11);
  model.setUserDefinedMetadata({ trainedOn: 'penguins', features: MEASUREMENTS });
  expected = predictionsOf(model);
  hostModel = await copyToHost(model);
  if (firstDifference(await hostPredictionsOf(hostModel), expected) !== -1) {
    throw new Error('kata: the copy of the test model in the solution host predicts differently from the original (before any of your code ran on it)');
  }
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await host?.close();
});

describe('save', () => {
  test('writes model.json and weights.bin, and nothing else', async () => {
    const dir = freshDir();
    await hostModel.save(await mod.fileSystemHandler(dir));
    expect((await readdir(dir)).sort(), `the files in the folder after model.save(fileSystemHandler(dir))`).toEqual([
      'model.json',
      'weights.bin',
    ]);
  });

  test('model.json holds the topology and a manifest that describes weights.bin byte for byte', async () => {
    const dir = freshDir();
    await hostModel.save(await mod.fileSystemHandler(dir));
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    let json: Record<string, any>;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`model.json is not valid JSON; it starts with ${JSON.stringify(text.slice(0, 80))}`);
    }
    expect(typeof json.modelTopology, 'model.json should have a modelTopology object').toBe('object');
    expect(json.modelTopology?.class_name, 'modelTopology.class_name of a tf.sequential model').toBe('Sequential');
    expect(json.format, 'model.json "format"').toBe('layers-model');
    expect(Array.isArray(json.weightsManifest), 'model.json should have a weightsManifest array').toBe(true);
    const specs: WeightsManifestEntry[] = json.weightsManifest.flatMap((group: { weights: WeightsManifestEntry[] }) => group.weights);
    expect(
      specs.map((spec) => spec.name),
      'the manifest should list every weight of the model, in order',
    ).toEqual(model.weights.map((w) => w.originalName));
    const paths: string[] = json.weightsManifest.flatMap((group: { paths: string[] }) => group.paths);
    expect(paths, 'the manifest\'s paths').toEqual(['weights.bin']);
    const size = (await stat(join(dir, 'weights.bin'))).size;
    const described = specs.reduce((sum, spec) => sum + bytesOf(spec), 0);
    expect(size, `weights.bin should be exactly the ${described} bytes the manifest describes`).toBe(described);
    const original = weightBytes(await artifactsOf(model));
    expect(Buffer.compare(await readFile(join(dir, 'weights.bin')), original), 'weights.bin should hold the model\'s weight data unchanged').toBe(0);
  });

  test('resolves with modelArtifactsInfo describing what it saved', async () => {
    const dir = freshDir();
    const result = await hostModel.save(await mod.fileSystemHandler(dir));
    const info = result?.modelArtifactsInfo;
    expect(info, 'save() should resolve with { modelArtifactsInfo }').toBeDefined();
    expect(info.modelTopologyType, 'modelArtifactsInfo.modelTopologyType').toBe('JSON');
    expect(info.weightDataBytes, 'modelArtifactsInfo.weightDataBytes vs the size of weights.bin').toBe(
      (await stat(join(dir, 'weights.bin'))).size,
    );
    expect(info.dateSaved instanceof Date, 'modelArtifactsInfo.dateSaved should be a Date').toBe(true);
  });

  test('creates missing folders and replaces an earlier save in the same folder', async () => {
    const dir = join(freshDir(), 'nested', 'deeper');
    await hostModel.save(await mod.fileSystemHandler(dir));
    const other = await trainedModel(23);
    await (await copyToHost(other)).save(await mod.fileSystemHandler(dir));
    const loaded = await loadWithLearner(dir);
    const difference = firstDifference(await hostPredictionsOf(loaded), predictionsOf(other));
    expect(difference, 'after saving a second model into the same folder, loading should give the second model (index of the first differing value; -1 means identical)').toBe(-1);
  });

  test('accepts weightData given as a list of buffers, as tfjs may pass it', async () => {
    const artifacts = await artifactsOf(model);
    const bytes = weightBytes(artifacts);
    // Split at positions that are not weight boundaries: the parts must simply be concatenated.
    const cuts = [0, 5, 301, bytes.length];
    const parts = cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end).buffer);
    const dir = freshDir();
    await callHandler(await mod.fileSystemHandler(dir), 'save', { ...artifacts, weightData: parts });
    expect(Buffer.compare(await readFile(join(dir, 'weights.bin')), bytes), 'weights.bin from weightData [3 buffers]').toBe(0);
  });
});

describe('load', () => {
  test('a saved model loads back with identical weights and predictions', async () => {
    const dir = freshDir();
    await hostModel.save(await mod.fileSystemHandler(dir));
    const loaded = await loadWithLearner(dir);
    const saved = model.getWeights().map((w) => w.dataSync());
    ((await loaded.getWeights()) as RemoteTensor[]).forEach((w, i) => {
      expect(firstDifference(Float32Array.from(w.values as number[]), saved[i] as Float32Array), `weight ${model.weights[i].originalName} after loading (index of the first differing value; -1 means identical)`).toBe(-1);
    });
    const difference = firstDifference(await hostPredictionsOf(loaded), expected);
    expect(difference, 'predictions of the loaded model vs the saved model (index of the first differing value; -1 means identical)').toBe(-1);
  });

  test('a model saved with its optimizer comes back compiled, with its user metadata', async () => {
    const dir = freshDir();
    // includeOptimizer adds a trainingConfig and Adam's slots to the weights, after the model's own.
    await hostModel.save(await mod.fileSystemHandler(dir), { includeOptimizer: true });
    const loaded = await loadWithLearner(dir);
    expect(await loaded.getUserDefinedMetadata(), 'getUserDefinedMetadata() of the loaded model').toEqual({
      trainedOn: 'penguins',
      features: MEASUREMENTS,
    });
    expect(await loaded.loss.$get(), 'model.save(handler, { includeOptimizer: true }) then loading: the loss of the loaded model (keep trainingConfig)').toBe('categoricalCrossentropy');
    const difference = firstDifference(await hostPredictionsOf(loaded), expected);
    expect(difference, 'predictions of a model saved with its optimizer, after loading (index of the first differing value; -1 means identical)').toBe(-1);
  });

  test('loads the layout tfjs-node\'s file:// handler writes', async () => {
    const artifacts = await artifactsOf(model);
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        trainingConfig: artifacts.trainingConfig,
      }),
    );
    await writeFile(join(dir, 'weights.bin'), weightBytes(artifacts));
    const difference = firstDifference(await hostPredictionsOf(await loadWithLearner(dir)), expected);
    expect(difference, 'predictions after loading a model written by the reference format (index of the first differing value; -1 means identical)').toBe(-1);
  });

  test('loads weights split into several groups and shards, as tensorflowjs_converter writes them', async () => {
    const artifacts = await artifactsOf(model);
    const specs = artifacts.weightSpecs!;
    const bytes = weightBytes(artifacts);
    // Group 1: the first dense layer's kernel and bias, in two shards cut mid-weight. Group 2: the rest, in
    // ten shards, so that the manifest order (shard1of10, shard2of10, …, shard10of10) is not the
    // alphabetical order of the file names.
    const group1Bytes = bytesOf(specs[0]) + bytesOf(specs[1]);
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'group1-shard1of2.bin'), bytes.slice(0, 50));
    await writeFile(join(dir, 'group1-shard2of2.bin'), bytes.slice(50, group1Bytes));
    const shardBytes = Math.ceil((bytes.length - group1Bytes) / 10);
    const group2Paths = Array.from({ length: 10 }, (_, k) => `group2-shard${k + 1}of10.bin`);
    for (const [k, path] of group2Paths.entries()) {
      await writeFile(join(dir, path), bytes.slice(group1Bytes + k * shardBytes, group1Bytes + (k + 1) * shardBytes));
    }
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'TensorFlow.js Converter',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [
          { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs.slice(0, 2) },
          { paths: group2Paths, weights: specs.slice(2) },
        ],
      }),
    );
    const difference = firstDifference(await hostPredictionsOf(await loadWithLearner(dir)), expected);
    expect(difference, 'predictions after loading 2 weight groups in 12 shards: read every path, in manifest order (index of the first differing value; -1 means identical)').toBe(-1);
  });

  test('a folder without model.json rejects with an error that names it', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const error = await callHandler(await mod.fileSystemHandler(dir), 'load').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'load() of an empty folder should reject').toBeInstanceOf(Error);
    expect((error as Error).message, 'the error message should name model.json').toContain('model.json');
  });

  test('weight files that do not match the manifest are rejected, not loaded as garbage', async () => {
    for (const [change, describe] of [
      [(file: string) => truncate(file, 4 * 3), 'cut down to 12 bytes'],
      [(file: string) => appendFile(file, Buffer.alloc(8)), '8 bytes too long'],
    ] as const) {
      const dir = freshDir();
      await hostModel.save(await mod.fileSystemHandler(dir));
      await change(join(dir, 'weights.bin'));
      const outcome = await callHandler(await mod.fileSystemHandler(dir), 'load')
        .then(
          () => 'loaded',
          (e: unknown) => (e instanceof Error ? 'rejected' : 'rejected with a non-Error'),
        );
      expect(outcome, `load() when weights.bin is ${describe} should reject with an Error`).toBe('rejected');
    }
  });
});
