// Hidden suite for model-serving: trains two small classifiers (penguins, Seattle weather) on the pure-JS
// cpu backend in the judge, hands an exact copy of each (same topology, same weights) to the learner's
// createApp in the solution host, serves the app over real HTTP, and checks the predictions against the
// judge's own models, the validation of every kind of bad body, the single model load, and that no tensor
// outlives a request in the host.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, loadSolution, vegaDataPath, type Host, type Remote, type ServedApp } from '@kata/harness';

interface ServedModel {
  model: tf.LayersModel;
  features: string[];
  labels: string[];
  mean: number[];
  std: number[];
}
/** A ServedModel as the learner's code gets it: the model is the host's copy (remote), the rest data. */
interface HostedModel {
  model: Remote;
  features: string[];
  labels: string[];
  mean: number[];
  std: number[];
}
type Instance = Record<string, unknown>;
interface Reply {
  status: number;
  contentType: string;
  body: any;
  text: string;
}

const PENGUIN_COLUMNS: Record<string, string> = {
  beakLength: 'Beak Length (mm)',
  beakDepth: 'Beak Depth (mm)',
  flipperLength: 'Flipper Length (mm)',
  bodyMass: 'Body Mass (g)',
};

let mod: Remote;
let host: Host;
let penguinModel: ServedModel;
let weatherModel: ServedModel;
let penguinHosted: HostedModel;
let weatherHosted: HostedModel;
/** An untrained model whose outputs tie (see the tie test), and its copy in the host. */
let tieModel: ServedModel;
let tieHosted: HostedModel;
let penguins: Instance[];
let days: Instance[];
let loads = 0;
let loadsWhenReady = -1;
let server: ServedApp;
const others: ServedApp[] = [];

/** Mean and (population) standard deviation of each feature. */
function statsOf(rows: number[][]): { mean: number[]; std: number[] } {
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / rows.length) || 1);
  return { mean, std };
}

/** A small softmax classifier trained for a few epochs with fixed seeds: its outputs are the reference. */
async function trainServed(features: string[], labels: string[], instances: Instance[], classes: string[], seed: number): Promise<ServedModel> {
  const raw = instances.map((instance) => features.map((f) => instance[f] as number));
  const { mean, std } = statsOf(raw);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [features.length], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: labels.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor2d(raw.map((r) => r.map((v, j) => (v - mean[j]) / std[j])));
  const ys = tf.oneHot(tf.tensor1d(classes.map((c) => labels.indexOf(c)), 'int32'), labels.length).cast('float32');
  await model.fit(xs, ys, { epochs: 8, batchSize: 64, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  return { model, features, labels, mean, std };
}

/**
 * The same model in the learner's tfjs (the solution host): the judge's topology and weights, saved to
 * memory and loaded there. The judge keeps its own model to compute the expected answers.
 */
async function hosted(served: ServedModel): Promise<HostedModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await served.model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
    }),
  );
  const { modelTopology, weightSpecs, weightData } = artifacts!;
  const htf = await host.import('@tensorflow/tfjs');
  const model = await htf.loadLayersModel(await htf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
  const { features, labels, mean, std } = served;
  return { model, features, labels, mean, std };
}

/** What the served model itself says about these instances: the answer the API must give. */
function expectedPredictions(served: ServedModel, instances: Instance[]) {
  const rows = instances.map((instance) => served.features.map((f, j) => ((instance[f] as number) - served.mean[j]) / served.std[j]));
  const probabilities = tf.tidy(() => (served.model.predict(tf.tensor2d(rows)) as tf.Tensor2D).arraySync());
  return probabilities.map((row) => ({
    label: served.labels[row.indexOf(Math.max(...row))],
    probabilities: Object.fromEntries(served.labels.map((label, k) => [label, row[k]])),
  }));
}

/**
 * POSTs to /predict: `body` as JSON, or `raw` text; `contentType: null` sends no Content-Type (and no body).
 * With `timeoutMs`, a request that gets no answer in time rejects.
 */
async function post(
  target: { url: string },
  body: unknown,
  options: { raw?: string; contentType?: string | null; timeoutMs?: number } = {},
): Promise<Reply> {
  const signal = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
  const response = await fetch(
    `${target.url}/predict`,
    options.contentType === null
      ? { method: 'POST', signal }
      : {
          method: 'POST',
          headers: { 'content-type': options.contentType ?? 'application/json' },
          body: options.raw ?? JSON.stringify(body),
          signal,
        },
  );
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed, text };
}

const shown = (reply: Reply) => `${reply.status} ${reply.text.slice(0, 200)}`;

/** Checks a reply's predictions against the model's own outputs, instance by instance. */
function expectPredictions(reply: Reply, served: ServedModel, instances: Instance[], what: string): void {
  expect(reply.status, `${what} → ${shown(reply)}`).toBe(200);
  expect(reply.contentType, `${what} should answer JSON`).toMatch(/^application\/json/);
  const predictions = reply.body?.predictions;
  expect(Array.isArray(predictions), `${what}: the body should be { predictions: [...] }, got ${reply.text.slice(0, 200)}`).toBe(true);
  expect(predictions.length, `${what}: one prediction per instance`).toBe(instances.length);
  const expected = expectedPredictions(served, instances);
  expected.forEach((want, i) => {
    const got = predictions[i];
    expect(got?.label, `${what}: predictions[${i}].label`).toBe(want.label);
    expect(Object.keys(got?.probabilities ?? {}).sort(), `${what}: predictions[${i}].probabilities should have one key per label`).toEqual(
      [...served.labels].sort(),
    );
    for (const label of served.labels) {
      const p = got.probabilities[label];
      expect(typeof p === 'number' && Math.abs(p - want.probabilities[label]) < 1e-6, `${what}: predictions[${i}].probabilities.${label} should be ${want.probabilities[label]}, got ${p}`).toBe(true);
    }
  });
}

/** An error status with a JSON body { error } (no field required). */
function expectJsonError(reply: Reply, status: number, what: string): void {
  expect(reply.status, `${what} → ${shown(reply)}`).toBe(status);
  expect(reply.contentType, `${what}: the ${status} should be JSON`).toMatch(/^application\/json/);
  expect(typeof reply.body?.error === 'string' && reply.body.error.length > 0, `${what}: the ${status} body should have an "error" message, got ${reply.text.slice(0, 200)}`).toBe(true);
}

/** The same instance with its fields written in the reverse order (JSON key order is not column order). */
const reversed = (instance: Instance): Instance => Object.fromEntries(Object.entries(instance).reverse());

/** A 400 with a JSON body { error, field } that names the bad field. */
function expectRejected(reply: Reply, field: string, what: string): void {
  expect(reply.status, `${what} should be rejected with 400 → ${shown(reply)}`).toBe(400);
  expect(reply.contentType, `${what}: the 400 should be JSON`).toMatch(/^application\/json/);
  expect(typeof reply.body?.error === 'string' && reply.body.error.length > 0, `${what}: the body should have an "error" message, got ${reply.text.slice(0, 200)}`).toBe(true);
  expect(reply.body?.field, `${what}: "field" should name the bad value`).toBe(field);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  ({ module: mod, host } = await loadSolution('src/app.ts'));
  const htf = await host.import('@tensorflow/tfjs');
  await htf.setBackend('cpu');
  await htf.ready();

  const penguinRows = (JSON.parse(readFileSync(vegaDataPath('penguins.json'), 'utf8')) as Record<string, unknown>[]).filter((row) =>
    Object.values(PENGUIN_COLUMNS).every((column) => typeof row[column] === 'number'),
  );
  penguins = penguinRows.map((row) => Object.fromEntries(Object.entries(PENGUIN_COLUMNS).map(([name, column]) => [name, row[column]])));
  penguinModel = await trainServed(
    Object.keys(PENGUIN_COLUMNS),
    ['Adelie', 'Chinstrap', 'Gentoo'],
    penguins,
    penguinRows.map((row) => row.Species as string),
    5,
  );

  const weatherRows = JSON.parse(readFileSync(fixturePath('seattle-weather-train.json'), 'utf8')) as Record<string, number | string>[];
  days = weatherRows.map(({ precipitation, temp_max, temp_min, wind }) => ({ precipitation, temp_max, temp_min, wind }));
  // Neither the features (input columns) nor the labels (output units) are in alphabetical order, nor in
  // the order of the instances' keys: the model's own order is the only right one.
  weatherModel = await trainServed(
    ['wind', 'temp_max', 'precipitation', 'temp_min'],
    ['sun', 'rain', 'fog', 'drizzle', 'snow'],
    days,
    weatherRows.map((row) => row.weather as string),
    9,
  );
  penguinHosted = await hosted(penguinModel);
  weatherHosted = await hosted(weatherModel);
  // Zero weights and biases (0, 1, 1): every instance gets softmax(0, 1, 1), whose last two outputs are
  // exactly equal and the largest.
  const tie = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
  tf.tidy(() => tie.setWeights([tf.zeros([4, 3]), tf.tensor1d([0, 1, 1])]));
  tieModel = { model: tie, features: penguinModel.features, labels: ['Adelie', 'Chinstrap', 'Gentoo'], mean: penguinModel.mean, std: penguinModel.std };
  tieHosted = await hosted(tieModel);

  // loadModel is called from the host over RPC; the load takes a while, so it must be awaited.
  const app = await mod.createApp({
    loadModel: async () => {
      await new Promise((resolve) => setTimeout(resolve, 25)); // a load takes time: it must be awaited
      loads += 1;
      return penguinHosted;
    },
  });
  loadsWhenReady = loads;
  server = await host.serve(app);
});

afterAll(async () => {
  await server?.close();
  for (const other of others) await other.close();
  await host?.close();
});

/**
 * The host's copy of `model` wrapped so that every inference call (predict, execute, apply, ...) throws: a
 * model that fails while answering. Everything else (its inputs, outputs, layers) is the model's own.
 */
async function failingModel(model: Remote): Promise<Remote> {
  const file = join(host.tempDir, 'failing-model.mjs');
  writeFileSync(
    file,
    `const INFERENCE = new Set(['predict', 'predictOnBatch', 'execute', 'executeAsync', 'apply', 'call']);
export function failing(model) {
  return new Proxy(model, {
    get(target, key, receiver) {
      if (INFERENCE.has(key)) return () => { throw new Error('the model failed while predicting (a fault the suite injects)'); };
      return Reflect.get(target, key, receiver);
    },
  });
}
`,
  );
  return (await host.import(file)).failing(model);
}

/** Another app over the same or another model, closed in afterAll. */
async function serve(options: { loadModel: () => Promise<HostedModel>; maxBatchSize?: number }): Promise<ServedApp> {
  const served = await host.serve(mod.createApp(options));
  others.push(served);
  return served;
}

describe('start-up', () => {
  test('createApp loads the model once and has it before it resolves', () => {
    expect(loadsWhenReady, 'loadModel() calls when createApp() resolved: load the model at start-up, and await it').toBe(1);
  });

  test('createApp rejects when the model cannot be loaded', async () => {
    const failure = new Error('no model at /models/penguins');
    const outcome = await mod.createApp({ loadModel: async () => Promise.reject(failure) }).then(
      () => 'resolved',
      (error: unknown) => (error === failure || (error instanceof Error && error.message.includes('no model at')) ? 'rejected' : `rejected with ${error}`),
    );
    expect(outcome, 'createApp({ loadModel }) with a loadModel that rejects: start-up must fail, not the first request').toBe('rejected');
  });

  test('createApp rejects a model whose statistics or labels do not fit its features', async () => {
    const { features, mean, std } = penguinHosted;
    const broken: [string, HostedModel][] = [
      [`mean with ${mean.length - 1} numbers for ${features.length} features`, { ...penguinHosted, mean: mean.slice(1) }],
      [`std with ${std.length + 1} numbers for ${features.length} features`, { ...penguinHosted, std: [...std, 1] }],
      ['no labels (labels: [])', { ...penguinHosted, labels: [] }],
    ];
    for (const [what, served] of broken) {
      const outcome = await mod.createApp({ loadModel: async () => served }).then(
        () => 'resolved',
        (error: unknown) => (error instanceof Error && error.message.length > 0 ? 'rejected' : `rejected with ${JSON.stringify(error)}, not an Error saying what is wrong`),
      );
      expect(outcome, `createApp with a loaded model that has ${what}: start-up must fail with an Error saying what is wrong`).toBe('rejected');
    }
  });
});

describe('POST /predict', () => {
  test('answers one prediction per instance, in order, with the model\'s label and probabilities', async () => {
    const batch = penguins.filter((_, i) => i % 17 === 0); // all three species
    expectPredictions(await post(server, { instances: batch }), penguinModel, batch, `POST /predict with ${batch.length} penguins`);
  });

  test('a single instance gets the same answer as in a batch; extra fields are ignored', async () => {
    const one = penguins[200];
    expectPredictions(await post(server, { instances: [one] }), penguinModel, [one], 'POST /predict with one penguin');
    const withExtras = { island: 'Biscoe', ...one, sex: 'FEMALE' };
    expectPredictions(await post(server, { instances: [withExtras] }), penguinModel, [one], 'POST /predict with extra fields "island" and "sex"');
    const mixed = [reversed(penguins[10]), penguins[150], reversed(penguins[290])];
    expectPredictions(await post(server, { instances: mixed }), penguinModel, mixed, 'POST /predict with instances whose fields are in reverse order');
  });

  test('serves any model: the features, labels and statistics come from the loaded model', async () => {
    const weather = await serve({ loadModel: async () => weatherHosted });
    const batch = days.filter((_, i) => i % 37 === 0);
    expect(new Set(expectedPredictions(weatherModel, batch).map((p) => p.label)).size, 'the weather batch should cover several labels').toBeGreaterThan(1);
    expectPredictions(
      await post(weather, { instances: batch }),
      weatherModel,
      batch,
      `POST /predict to an app serving a weather model (features ${weatherModel.features.join(', ')}; output units ${weatherModel.labels.join(', ')})`,
    );
    expectRejected(
      await post(weather, { instances: [{ precipitation: 0, temp_max: 20, temp_min: 10 }] }),
      'instances[0].wind',
      'a weather instance without "wind"',
    );
  });

  test('a tie between outputs is labelled with the first tied label in the model\'s order', async () => {
    const tied = await serve({ loadModel: async () => tieHosted });
    const batch = [penguins[0], penguins[1]];
    const expected = expectedPredictions(tieModel, batch);
    expect(expected[0].label, 'the tie model should tie its 2nd and 3rd outputs').toBe('Chinstrap');
    expectPredictions(await post(tied, { instances: batch }), tieModel, batch, 'a model whose outputs for Chinstrap and Gentoo are exactly equal (label: Chinstrap)');
  });

  test('accepts a batch of exactly 100, the default limit', async () => {
    const batch = penguins.slice(0, 100);
    expectPredictions(await post(server, { instances: batch }), penguinModel, batch, 'POST /predict with 100 instances');
  });

  test('concurrent requests each get their own predictions', async () => {
    const picks = [3, 80, 160, 250, 300, 10, 120, 220, 330, 45];
    const replies = await Promise.all(picks.map((i) => post(server, { instances: [penguins[i], penguins[(i + 7) % penguins.length]] })));
    replies.forEach((reply, k) => {
      const i = picks[k];
      expectPredictions(reply, penguinModel, [penguins[i], penguins[(i + 7) % penguins.length]], `concurrent request ${k + 1}`);
    });
  });
});

describe('validation', () => {
  const good = () => ({ ...penguins[0] });

  test('a body that is not an object with "instances" → 400 naming body or instances', async () => {
    expectRejected(await post(server, [good()]), 'body', 'a JSON array as the body');
    expectRejected(await post(server, {}), 'instances', 'a body without "instances"');
    expectRejected(await post(server, { instance: [good()] }), 'instances', 'a body with "instance" instead of "instances"');
    expectRejected(await post(server, { instances: good() }), 'instances', '"instances" as an object, not an array');
    expectRejected(await post(server, undefined, { raw: '' }), 'instances', 'an empty body with Content-Type: application/json (express.json() reads it as {})');
  });

  test('an empty batch or one over the limit → 400 naming instances', async () => {
    expectRejected(await post(server, { instances: [] }), 'instances', 'an empty "instances" array');
    expectRejected(await post(server, { instances: penguins.slice(0, 101) }), 'instances', '101 instances (the default limit is 100)');
    // The batch's size comes before its instances: a batch over the limit is "instances" whatever it holds.
    const overWithBad = [42, { ...good(), bodyMass: 'heavy' }, ...penguins.slice(0, 99)];
    expectRejected(await post(server, { instances: overWithBad }), 'instances', '101 instances of which instances[0] = 42 (the size is checked first)');
  });

  test('maxBatchSize sets the limit', async () => {
    const small = await serve({ loadModel: async () => penguinHosted, maxBatchSize: 5 });
    expectPredictions(await post(small, { instances: penguins.slice(0, 5) }), penguinModel, penguins.slice(0, 5), '5 instances with maxBatchSize 5');
    expectRejected(await post(small, { instances: penguins.slice(0, 6) }), 'instances', '6 instances with maxBatchSize 5');
    expectRejected(
      await post(small, { instances: [...penguins.slice(0, 5), null] }),
      'instances',
      '6 instances with maxBatchSize 5, the last one null (the size is checked first)',
    );
  });

  test('an instance that is not an object, or lacks a feature → 400 naming it', async () => {
    expectRejected(await post(server, { instances: [good(), 42] }), 'instances[1]', 'instances[1] = 42');
    expectRejected(await post(server, { instances: [good(), good(), null] }), 'instances[2]', 'instances[2] = null');
    // The row-of-numbers shape other model servers take: an array is not an instance object.
    expectRejected(await post(server, { instances: [[39.1, 18.7, 181, 3750]] }), 'instances[0]', 'instances[0] = [39.1, 18.7, 181, 3750]');
    const { bodyMass: _dropped, ...noMass } = good();
    expectRejected(await post(server, { instances: [good(), good(), noMass] }), 'instances[2].bodyMass', 'instances[2] without "bodyMass"');
  });

  test('a feature that is not a number → 400 naming it', async () => {
    expectRejected(await post(server, { instances: [{ ...good(), beakLength: '39.1' }] }), 'instances[0].beakLength', 'beakLength as the string "39.1"');
    expectRejected(await post(server, { instances: [good(), { ...good(), flipperLength: null }] }), 'instances[1].flipperLength', 'flipperLength null');
    expectRejected(await post(server, { instances: [{ ...good(), beakDepth: true }] }), 'instances[0].beakDepth', 'beakDepth true');
    expectRejected(await post(server, { instances: [{ ...good(), bodyMass: [4200] }] }), 'instances[0].bodyMass', 'bodyMass [4200]');
    expectRejected(await post(server, { instances: [{ ...good(), beakDepth: {} }] }), 'instances[0].beakDepth', 'beakDepth {}');
    // JSON has no Infinity, but a literal too large for a double parses to it: not a finite number.
    const withLiteral = (literal: string) => `{"instances": [{"beakLength": 39.1, "beakDepth": 18.7, "flipperLength": ${literal}, "bodyMass": 3750}]}`;
    expectRejected(await post(server, undefined, { raw: withLiteral('1e400') }), 'instances[0].flipperLength', 'flipperLength 1e400 (Infinity)');
    expectRejected(await post(server, undefined, { raw: withLiteral('-1e400') }), 'instances[0].flipperLength', 'flipperLength -1e400 (-Infinity)');
  });

  test('several problems in one body: the first is reported, in instance order, then feature order', async () => {
    const { beakLength: _b, ...noBeakLength } = good();
    const { flipperLength: _f, ...noFlipper } = good();
    const cases: [unknown[], string, string][] = [
      [[{ ...good(), beakLength: 'x' }, 5], 'instances[0].beakLength', 'instances[0] has a string beakLength, instances[1] = 5'],
      [[good(), { ...good(), bodyMass: null }, 'penguin', []], 'instances[1].bodyMass', 'instances[1] has bodyMass null, instances[2] and [3] are not objects'],
      [[{ ...noBeakLength, bodyMass: 'heavy' }], 'instances[0].beakLength', 'instances[0] lacks beakLength (1st feature) and has a string bodyMass (4th)'],
      [[{ ...noFlipper, beakDepth: null }], 'instances[0].beakDepth', 'instances[0] has beakDepth null (2nd feature) and lacks flipperLength (3rd)'],
      [[reversed({ ...good(), beakDepth: true, bodyMass: 'x' })], 'instances[0].beakDepth', 'instances[0] (fields in reverse order) with beakDepth true and bodyMass "x"'],
    ];
    for (const [instances, field, what] of cases) expectRejected(await post(server, { instances }), field, what);
  });

  test('Content-Type: application/json with parameters is JSON; anything else is a 415 with a JSON error', async () => {
    const batch = [penguins[5]];
    expectPredictions(
      await post(server, { instances: batch }, { contentType: 'application/json; charset=utf-8' }),
      penguinModel,
      batch,
      'POST /predict with Content-Type: application/json; charset=utf-8',
    );
    for (const contentType of ['text/plain', 'application/vnd.api+json', 'application/json-patch+json', 'application/jsonx', 'application/x-www-form-urlencoded']) {
      expectJsonError(await post(server, { instances: batch }, { contentType }), 415, `a JSON body sent as Content-Type: ${contentType}`);
    }
    expectJsonError(await post(server, undefined, { contentType: null }), 415, 'a POST with no Content-Type and no body');
  });

  test('a model that fails while answering → 500 with a JSON error', async () => {
    const model = await failingModel(penguinHosted.model);
    const failing = await serve({ loadModel: async () => ({ ...penguinHosted, model }) });
    const what = 'POST /predict to an app whose model throws on every predict';
    const reply = await post(failing, { instances: [penguins[0]] }, { timeoutMs: 10_000 }).catch((error: Error) => {
      throw new Error(`${what}: no answer within 10 s (${error.message}); a failure must still be answered, with a 500`);
    });
    expectJsonError(reply, 500, what);
  });

  test('a body over the JSON parser\'s limit → 413 with a JSON error', async () => {
    const huge = JSON.stringify({ instances: [good()], padding: 'x'.repeat(2_000_000) });
    expectJsonError(await post(server, undefined, { raw: huge }), 413, 'a 2 MB body');
  });

  test('malformed JSON → 400 with a JSON error; a non-JSON body → 415 with a JSON error', async () => {
    expectRejected(await post(server, undefined, { raw: '{"instances": [' }), 'body', 'a body that is not valid JSON');
    const form = await post(server, undefined, { raw: 'beakLength=39.1', contentType: 'application/x-www-form-urlencoded' });
    expectJsonError(form, 415, 'a form-encoded body');
  });
});

describe('resources', () => {
  test('no tensor outlives a request, good or bad', async () => {
    await post(server, { instances: penguins.slice(0, 3) }); // any one-off allocation happens here
    const before = (await host.memory())!.numTensors; // tf.memory() of the learner's tfjs, in the host
    for (let round = 0; round < 10; round++) {
      await post(server, { instances: penguins.slice(round * 20, round * 20 + 20) });
      await post(server, { instances: [penguins[round]] });
      await post(server, { instances: [{ ...penguins[round], bodyMass: 'heavy' }] });
    }
    expect((await host.memory())!.numTensors - before, 'tf.memory().numTensors grew over 30 requests: wrap prediction in tf.tidy').toBe(0);
  });

  test('the whole batch goes through the model in one call', async () => {
    const htf = await host.import('@tensorflow/tfjs');
    const engine = await htf.engine();
    /** Tensors the learner's tfjs creates while it answers this request (read from its tensor-id counter). */
    const tensorsFor = async (instances: Instance[]) => {
      const before = (await engine.nextTensorId()) as number;
      const reply = await post(server, { instances });
      const after = (await engine.nextTensorId()) as number;
      expect(reply.status, `POST /predict with ${instances.length} instance(s) → ${shown(reply)}`).toBe(200);
      return after - before - 1;
    };
    await tensorsFor([penguins[7]]); // one-off allocations happen here
    const one = await tensorsFor([penguins[8]]);
    const forty = await tensorsFor(penguins.slice(100, 140));
    expect(
      forty,
      `a request of 40 instances made ${forty} tensors, one of a single instance ${one}: predict once for the whole batch, ` +
        'not once per instance (a predict per instance makes about 40 times as many)',
    ).toBeLessThan(Math.max(one, 1) * 20);
  });

  test('after every request above, the model has still been loaded only once', () => {
    expect(loads, 'loadModel() calls over the whole run: load at start-up, never per request').toBe(1);
  });
});
