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

/** Fails unless two float arrays are identical bit for bit, showing the first value that differs. */
function expectIdentical(actual: Float32Array, wanted: Float32Array, what: string): void {
  expect(actual.length, `${what}: the number of values`).toBe(wanted.length);
  const i = firstDifference(actual, wanted);
  if (i !== -1) expect(actual[i], `${what}: value [${i}] (of ${wanted.length}) should be identical, bit for bit`).toBe(wanted[i]);
}

/** Fails unless two byte arrays are identical: their sizes, then the first byte that differs. */
function expectSameBytes(actual: Uint8Array, wanted: Uint8Array, what: string): void {
  expect(actual.length, `${what}: its size in bytes`).toBe(wanted.length);
  const i = actual.findIndex((b, k) => b !== wanted[k]);
  if (i !== -1) expect(actual[i], `${what}: byte ${i} (of ${wanted.length})`).toBe(wanted[i]);
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

/**
 * Writes `artifacts` in the layout tensorflowjs_converter produces: group 1 holds the first two weights in
 * two shards cut mid-weight, group 2 the rest in ten shards (so that the manifest order shard1of10, …,
 * shard10of10 is not the alphabetical order of the names). `extra` adds fields to model.json.
 */
async function writeConverterLayout(dir: string, artifacts: ModelArtifacts, extra: Record<string, unknown> = {}): Promise<string[]> {
  const specs = artifacts.weightSpecs!;
  const bytes = weightBytes(artifacts);
  const group1Bytes = bytesOf(specs[0]) + bytesOf(specs[1]);
  await mkdir(dir, { recursive: true });
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
      ...extra,
      weightsManifest: [
        { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs.slice(0, 2) },
        { paths: group2Paths, weights: specs.slice(2) },
      ],
    }),
  );
  return ['group1-shard1of2.bin', 'group1-shard2of2.bin', ...group2Paths, 'model.json'];
}

/** What the host's copy of the model hands to an IOHandler (the artifacts the learner's save receives). */
async function hostArtifactsOf(config?: tf.io.SaveConfig): Promise<ModelArtifacts> {
  let captured: ModelArtifacts | undefined;
  const handler = await hostTf.io.withSaveHandler(async (artifacts: ModelArtifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
  await hostModel.save(handler, config);
  return captured!;
}

/** The learner's model.json in `dir`, parsed (a clear failure if it is not JSON). */
async function modelJsonIn(dir: string): Promise<Record<string, any>> {
  const text = await readFile(join(dir, 'model.json'), 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`model.json is not valid JSON; it starts with ${JSON.stringify(text.slice(0, 80))}`);
  }
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
    expectSameBytes(await readFile(join(dir, 'weights.bin')), original, "weights.bin vs the model's weight data");
  });

  test("model.json carries every JSON field of the artifacts as it is (null included), and no weightSpecs or weightData", async () => {
    const config = { includeOptimizer: true };
    const artifacts = await hostArtifactsOf(config);
    const dir = freshDir();
    await hostModel.save(await mod.fileSystemHandler(dir), config);
    const json = await modelJsonIn(dir);
    const fields = Object.entries(artifacts).filter(([key, value]) => key !== 'weightSpecs' && key !== 'weightData' && value !== undefined);
    for (const [key, value] of fields) {
      expect(key in json, `model.json should have "${key}", which the artifacts set to ${JSON.stringify(value)?.slice(0, 60)}`).toBe(true);
      expect(json[key], `model.json "${key}" should be the artifacts' value, unchanged`).toEqual(value);
    }
    for (const key of ['weightSpecs', 'weightData']) {
      expect(key in json, `model.json should not have "${key}": the weights live in weights.bin, described by weightsManifest`).toBe(false);
    }
  });

  test('a JSON field the artifacts leave undefined is left out of model.json, not written as null', async () => {
    // The optional JSON fields of tfjs's ModelJSON: a plain model.save sets some of them and leaves the rest undefined.
    const optional = ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'];
    const artifacts = (await hostArtifactsOf()) as unknown as Record<string, unknown>;
    const unset = optional.filter((key) => artifacts[key] === undefined);
    expect(unset.length, 'a plain model.save should leave some optional fields undefined (the test needs one)').toBeGreaterThan(0);
    const dir = freshDir();
    await hostModel.save(await mod.fileSystemHandler(dir));
    const json = await modelJsonIn(dir);
    for (const key of unset) {
      expect(key in json, `model.json should not have "${key}": model.save left it undefined (got ${JSON.stringify(json[key])}; only null counts as set)`).toBe(false);
    }
  });

  test('resolves with modelArtifactsInfo describing what it saved', async () => {
    const dir = freshDir();
    const result = await hostModel.save(await mod.fileSystemHandler(dir));
    const info = result?.modelArtifactsInfo;
    expect(info, 'save() should resolve with { modelArtifactsInfo }').toBeDefined();
    const wanted = tf.io.getModelArtifactsInfoForJSON(await hostArtifactsOf());
    for (const key of ['modelTopologyType', 'modelTopologyBytes', 'weightSpecsBytes', 'weightDataBytes'] as const) {
      expect(info[key], `modelArtifactsInfo.${key}, as tf.io.getModelArtifactsInfoForJSON(artifacts) computes it`).toBe(wanted[key]);
    }
    expect(info.dateSaved instanceof Date, 'modelArtifactsInfo.dateSaved should be a Date').toBe(true);
  });

  test('creates missing folders and replaces an earlier save in the same folder', async () => {
    const dir = join(freshDir(), 'nested', 'deeper');
    await hostModel.save(await mod.fileSystemHandler(dir));
    const other = await trainedModel(23);
    await (await copyToHost(other)).save(await mod.fileSystemHandler(dir));
    const loaded = await loadWithLearner(dir);
    expectIdentical(await hostPredictionsOf(loaded), predictionsOf(other), 'after saving a second model into the same folder, loading should give the second model');
  });

  test('saving over a converter-style folder replaces model.json, writes weights.bin and leaves every other file alone', async () => {
    const dir = freshDir();
    const other = await trainedModel(29);
    const old = await writeConverterLayout(dir, await artifactsOf(other));
    await writeFile(join(dir, 'notes.txt'), 'not a model file');
    const before = new Map<string, Buffer>();
    for (const name of [...old.filter((n) => n !== 'model.json'), 'notes.txt']) before.set(name, await readFile(join(dir, name)));
    await hostModel.save(await mod.fileSystemHandler(dir));
    const files = await readdir(dir);
    expect(
      [...before.keys()].filter((name) => !files.includes(name)),
      'files of the folder that the save removed (it must leave every file but model.json and weights.bin alone)',
    ).toEqual([]);
    expect(files.sort(), 'the files after saving over a converter-style model: the old ones, model.json and weights.bin').toEqual(
      [...before.keys(), 'model.json', 'weights.bin'].sort(),
    );
    for (const [name, bytes] of before) {
      expectSameBytes(await readFile(join(dir, name)), bytes, `${name}, which save should leave as it was (it writes model.json and weights.bin only)`);
    }
    expectIdentical(await hostPredictionsOf(await loadWithLearner(dir)), expected, 'loading after the save should give the model just saved');
  });

  test('a binary topology (an ArrayBuffer) is rejected, as tfjs\'s own handlers do, and no model.json is written', async () => {
    const artifacts = await artifactsOf(model);
    const dir = freshDir();
    const outcome = await callHandler(await mod.fileSystemHandler(dir), 'save', { ...artifacts, modelTopology: new ArrayBuffer(16) }).then(
      () => 'resolved',
      (e: unknown) => (e instanceof Error ? 'rejected' : 'rejected with a non-Error'),
    );
    expect(outcome, 'save() of artifacts whose modelTopology is an ArrayBuffer (JSON cannot hold it) should reject with an Error').toBe('rejected');
    const error = await callHandler(await mod.fileSystemHandler(dir), 'save', { ...artifacts, modelTopology: new ArrayBuffer(16) }).catch((e: unknown) => e);
    expect(String((error as Error).message ?? '').trim(), 'the Error of a rejected binary topology should say why: its message is empty').not.toBe('');
    const written = await readdir(dir).catch(() => [] as string[]);
    expect(written.includes('model.json'), 'save() that rejects a binary topology should not write model.json').toBe(false);
  });

  test('accepts weightData given as a list of buffers, as tfjs may pass it', async () => {
    const artifacts = await artifactsOf(model);
    const bytes = weightBytes(artifacts);
    // Split at positions that are not weight boundaries: the parts must simply be concatenated.
    const cuts = [0, 5, 301, bytes.length];
    const parts = cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end).buffer);
    const dir = freshDir();
    await callHandler(await mod.fileSystemHandler(dir), 'save', { ...artifacts, weightData: parts });
    expectSameBytes(await readFile(join(dir, 'weights.bin')), bytes, 'weights.bin from weightData given as 3 buffers (concatenated)');
  });
});

describe('load', () => {
  test('a saved model loads back with identical weights and predictions', async () => {
    const dir = freshDir();
    await hostModel.save(await mod.fileSystemHandler(dir));
    const loaded = await loadWithLearner(dir);
    const saved = model.getWeights().map((w) => w.dataSync());
    ((await loaded.getWeights()) as RemoteTensor[]).forEach((w, i) => {
      expectIdentical(Float32Array.from(w.values as number[]), saved[i] as Float32Array, `weight ${model.weights[i].originalName} after loading`);
    });
    expectIdentical(await hostPredictionsOf(loaded), expected, 'predictions of the loaded model vs the saved model');
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
    expectIdentical(await hostPredictionsOf(loaded), expected, 'predictions of a model saved with its optimizer, after loading');
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
    expectIdentical(await hostPredictionsOf(await loadWithLearner(dir)), expected, "predictions after loading a model written in tfjs-node's layout");
  });

  test('loads weights split into several groups and shards, as tensorflowjs_converter writes them', async () => {
    const dir = freshDir();
    await writeConverterLayout(dir, await artifactsOf(model));
    expectIdentical(await hostPredictionsOf(await loadWithLearner(dir)), expected, 'predictions after loading 2 weight groups in 12 shards: read every path, in manifest order');
  });

  test("load() resolves with every group's weightSpecs, weightData as one ArrayBuffer, and model.json's other fields", async () => {
    const artifacts = await artifactsOf(model, { includeOptimizer: true });
    const extra = { trainingConfig: artifacts.trainingConfig, userDefinedMetadata: { trainedOn: 'penguins', shards: 12 } };
    const dir = freshDir();
    await writeConverterLayout(dir, artifacts, extra);
    const loaded = (await callHandler(await mod.fileSystemHandler(dir), 'load')) as ModelArtifacts;
    expect(loaded?.weightSpecs?.map((spec) => spec.name), 'weightSpecs: the weights of both groups, in manifest order').toEqual(
      artifacts.weightSpecs!.map((spec) => spec.name),
    );
    const data = loaded.weightData as unknown;
    expect(
      data instanceof ArrayBuffer,
      `weightData should be one ArrayBuffer (got ${Array.isArray(data) ? `a list of ${data.length}` : Object.prototype.toString.call(data)})`,
    ).toBe(true);
    expectSameBytes(new Uint8Array(data as ArrayBuffer), weightBytes(artifacts), "weightData vs the 12 files' bytes in manifest order");
    for (const [key, value] of Object.entries({ format: 'layers-model', generatedBy: artifacts.generatedBy, convertedBy: 'TensorFlow.js Converter', modelTopology: artifacts.modelTopology, ...extra })) {
      expect((loaded as Record<string, unknown>)[key], `load() should resolve with model.json's "${key}"`).toEqual(value);
    }
  });

  test('a folder without model.json rejects with an error that names it and says it is missing', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const error = await callHandler(await mod.fileSystemHandler(dir), 'load').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'load() of an empty folder should reject').toBeInstanceOf(Error);
    expect((error as Error).message, 'the error message should name model.json').toContain('model.json');
    expect(
      (error as Error).message,
      `the error message should say that model.json is missing (readFile's ENOENT error does), not only name it: got "${(error as Error).message}"`,
    ).toMatch(/ENOENT|no such file|not found|missing|does not exist|doesn't exist|cannot find|can't find|absent|no model\.json/i);
  });

  test('a model.json that is not JSON, or holds neither a modelTopology nor a weightsManifest, rejects with an error that names it', async () => {
    const artifacts = await artifactsOf(model);
    const whole = JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] });
    for (const [text, describe] of [
      [whole.slice(0, Math.floor(whole.length / 2)), 'cut off halfway (a half-written file)'],
      ['', 'empty'],
      [JSON.stringify({ format: 'layers-model', generatedBy: artifacts.generatedBy }), 'JSON with neither modelTopology nor weightsManifest'],
    ] as const) {
      const dir = freshDir();
      await mkdir(dir);
      await writeFile(join(dir, 'model.json'), text);
      await writeFile(join(dir, 'weights.bin'), weightBytes(artifacts));
      const error = await callHandler(await mod.fileSystemHandler(dir), 'load').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `load() when model.json is ${describe} should reject with an Error`).toBeInstanceOf(Error);
      expect((error as Error).message, `load() when model.json is ${describe}: the error message should name model.json (JSON.parse's own message does not)`).toContain('model.json');
    }
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

  test('the error for weight files of the wrong size says how many bytes they hold and how many the manifest describes', async () => {
    // The folder is written here in tfjs-node's layout, so that only the learner's load() is graded.
    const artifacts = await artifactsOf(model);
    const bytes = weightBytes(artifacts);
    const described = bytes.length;
    for (const held of [4 * 3, described + 8]) {
      const dir = freshDir();
      await mkdir(dir);
      await writeFile(
        join(dir, 'model.json'),
        JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }),
      );
      const data = new Uint8Array(held);
      data.set(bytes.subarray(0, Math.min(held, described)));
      await writeFile(join(dir, 'weights.bin'), data);
      const error = await callHandler(await mod.fileSystemHandler(dir), 'load').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `load() when weights.bin holds ${held} bytes and the manifest describes ${described} should reject with an Error`).toBeInstanceOf(Error);
      const message = String((error as Error).message);
      for (const [what, count] of [['the bytes the weight files hold', held], ['the bytes the manifest describes', described]] as const) {
        expect(
          new RegExp(`(^|\\D)${count}(\\D|$)`).test(message),
          `the error message should give ${what} (${count}), so that a truncated or mismatched file can be told apart; it is ${JSON.stringify(message)}`,
        ).toBe(true);
      }
    }
  });
});
