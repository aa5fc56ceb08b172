// Hidden suite for penguin-classifier: trains the learner's model through `train` on penguins-train.json
// with the pure-JS cpu backend, grades it on penguins-holdout.json (rows the learner never sees), and
// checks the engineering around it: statistics fitted on training rows only, missing values, tensor
// leaks, batch independence, reproducibility and the training time budget. The learner's code runs in
// the solution host: train and predict are remote (async), the trained model stays there as a remote
// object, and tf.memory() and CPU time are the host's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, fixturePath, judgeFixturePath, loadSolution, reportCurve, reportMetric, seededRandom, type Remote, type RemoteTensor } from '@kata/harness';

const FEATURES = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'] as const;
const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;
type Feature = (typeof FEATURES)[number];
type Measurements = Record<Feature, number | null>;
type Row = Measurements & { Species: string; Island: string; Sex: string | null };
interface Trained {
  /** The learner's LayersModel, a remote object: it stays in the solution host. */
  model: Remote;
  stats: { mean: number[]; std: number[] };
  lossHistory: number[];
}
interface ModelModule {
  train(rows: Row[], options?: { epochs?: number }): Promise<Trained>;
  /** `rows` may also be a remote array (see `heldInHost`). */
  predict(trained: Trained, rows: Measurements[] | Remote): Promise<string[]>;
}

const ACCURACY_THRESHOLD = 0.9;
/** The README's default number of epochs. */
const DEFAULT_EPOCHS = 100;
/**
 * The training-loss check: complete rows with random labels, trained this long. Correct solutions (adam,
 * rmsprop, full-batch momentum, a hand-written trainOnBatch loop) end within 0.006 of the final model's
 * loss on the same rows; a validation loss (10% held out) ends 0.25 above it, and a seeded dropout
 * layer, whose training loss is that of the thinned network, 0.19 below.
 */
const RELABELLED_ROWS = 60;
const RELABELLED_EPOCHS = 60;
const LOSS_TOLERANCE = 0.04;
/** Accuracy on holdout rows that each lost one measurement: a model that imputes sensibly keeps most. */
const IMPUTED_ACCURACY_THRESHOLD = 0.75;
/**
 * CPU time (not wall time, so other work on the machine does not count) for the default training run.
 * The reference needs about 1 s on the cpu backend; 1,000 epochs would need about 10.
 */
const TRAIN_BUDGET_MS = 8_000;

/**
 * What may stay behind after train once its model and optimizer are disposed: a few scalars, since some of
 * tfjs's optimizers keep one their dispose() misses (MomentumOptimizer's learning rate, 4 bytes). The
 * smallest training tensor a leak leaves is far larger (the labels of 275 rows: 1,100 bytes or more).
 */
const TRAIN_LEFTOVER_BYTES = 64;

/** Test and hook timeout for anything that trains: generous, so a loaded machine never fails a correct model. */
const TRAINING_TIMEOUT_MS = 45_000;

const readRows = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Row[];
/** What predict receives: the four measurements only, no label, no island. */
const measurementsOf = (row: Row): Measurements =>
  Object.fromEntries(FEATURES.map((feature) => [feature, row[feature]])) as Measurements;

function meanAndStd(rows: Row[], feature: Feature): { mean: number; std: number } {
  const values = rows.map((row) => row[feature]).filter((v): v is number => typeof v === 'number');
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std };
}

/**
 * The learner's model applied by the judge: rows standardised with `trained.stats` (a missing value as 0),
 * as a [n, 4] tensor made in the host, through `trained.model.predict`; returns each row's outputs.
 */
async function outputsOf(of: Trained, rows: Measurements[]): Promise<number[][]> {
  const { mean, std } = of.stats;
  const flat = rows.flatMap((row) =>
    FEATURES.map((feature, j) => {
      const value = row[feature];
      return typeof value === 'number' ? (value - mean[j]) / std[j] : 0;
    }),
  );
  const input = await host.tensor(flat, [rows.length, FEATURES.length], 'float32');
  try {
    const output = (await of.model.predict(input)) as RemoteTensor;
    try {
      return output.array() as number[][];
    } finally {
      await output.dispose();
    }
  } finally {
    await input.dispose();
  }
}

/** Mean categorical cross-entropy of the model's outputs against the rows' species (clipped as tfjs does). */
function meanCrossEntropy(probabilities: number[][], rows: Row[]): number {
  const total = rows.reduce((sum, row, i) => {
    const p = probabilities[i][(SPECIES as readonly string[]).indexOf(row.Species)];
    return sum - Math.log(Math.min(Math.max(p, 1e-7), 1 - 1e-7));
  }, 0);
  return total / rows.length;
}

const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);
const accuracy = (predicted: string[], rows: Row[]) =>
  predicted.filter((species, i) => species === rows[i].Species).length / rows.length;

let host: Host;
let mod: ModelModule;
let trainRows: Row[];
let holdout: Row[];
let trained: Trained;
let trainCpuMs: number;
let trainWallMs: number;

/** tf.memory().numTensors of the learner's tfjs, in the solution host. */
async function numTensors(): Promise<number> {
  const memory = await host.memory();
  if (!memory) throw new Error('src/model.ts never loaded @tensorflow/tfjs');
  return memory.numTensors;
}

/**
 * Copies of `values` kept in the solution host, as remote arrays: passed to the learner's function they
 * are the host's own objects, not fresh copies, so reading them back afterwards shows whether it changed them.
 */
async function heldInHost(...values: unknown[]): Promise<Remote[]> {
  const holder = await host.instrument('recorder');
  await holder.record(...values);
  return values.map((_, i) => holder.entries[0][i]);
}

beforeAll(async () => {
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend, before their module loads.
  const tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  mod = (await loadSolution('src/model.ts', { host })).module as ModelModule;
  trainRows = readRows(fixturePath('penguins-train.json'));
  holdout = readRows(judgeFixturePath('penguins-holdout.json'));
  const started = performance.now();
  const cpuBefore = (await host.usage()).cpuMs;
  trained = await mod.train(trainRows);
  trainCpuMs = (await host.usage()).cpuMs - cpuBefore;
  trainWallMs = performance.now() - started;
}, TRAINING_TIMEOUT_MS);

afterAll(async () => {
  await host?.close();
});

describe('training', () => {
  test('train returns a finite loss per epoch that goes down', async (context) => {
    const losses = trained.lossHistory;
    expect(Array.isArray(losses), 'train(rows) should return { lossHistory: number[] }').toBe(true);
    reportCurve(context, { name: 'loss', values: losses });
    expect(losses.length, 'lossHistory should have one entry per epoch').toBeGreaterThanOrEqual(2);
    const bad = losses.findIndex((loss) => typeof loss !== 'number' || !Number.isFinite(loss));
    expect(bad, `lossHistory[${bad}] is ${losses[bad]}: a NaN loss usually means a missing value reached the model`).toBe(-1);
    expect(
      losses[losses.length - 1],
      `the last epoch's loss should be well under half the first (first ${losses[0]})`,
    ).toBeLessThan(losses[0] * 0.5);
  });

  test('train without options.epochs trains the default 100 epochs', () => {
    const losses = trained.lossHistory ?? [];
    expect(
      losses.length,
      `train(rows) with no options should train 100 epochs (the default), so lossHistory.length should be 100; it is ${losses.length}`,
    ).toBe(DEFAULT_EPOCHS);
  });

  test('lossHistory is the training loss: its last entry matches the trained model on its own training rows', async () => {
    // Complete rows with labels drawn at random: nothing generalises, so a loss measured on rows the model
    // did not train on (a validation loss) stays at chance level or above, while the training loss falls
    // slowly, and the last epoch's training loss is close to the final model's loss on the same rows.
    const random = seededRandom(23);
    const relabelled = trainRows
      .filter((row) => FEATURES.every((feature) => typeof row[feature] === 'number'))
      .slice(0, RELABELLED_ROWS)
      .map((row) => ({ ...row, Species: SPECIES[Math.floor(random() * SPECIES.length)] }));
    const other = await mod.train(relabelled, { epochs: RELABELLED_EPOCHS });
    const losses = other.lossHistory ?? [];
    expect(losses.length, `train(rows, { epochs: ${RELABELLED_EPOCHS} }).lossHistory.length`).toBe(RELABELLED_EPOCHS);
    const last = losses[losses.length - 1];
    const probabilities = await outputsOf(other, relabelled.map(measurementsOf));
    const expected = meanCrossEntropy(probabilities, relabelled);
    expect(
      Math.abs(last - expected) <= LOSS_TOLERANCE,
      `after ${RELABELLED_EPOCHS} epochs on ${relabelled.length} rows, lossHistory ends with ${last.toFixed(4)}, but the trained model's mean categorical cross-entropy on those same training rows is ${expected.toFixed(4)} (they should agree within ${LOSS_TOLERANCE}): lossHistory must be the training loss (history.history.loss), not a validation loss`,
    ).toBe(true);
  }, TRAINING_TIMEOUT_MS);

  test('train honours options.epochs and is reproducible', async () => {
    const first = await mod.train(trainRows, { epochs: 3 });
    const second = await mod.train(trainRows, { epochs: 3 });
    expect(first.lossHistory.length, 'train(rows, { epochs: 3 }) should train exactly 3 epochs').toBe(3);
    expect(
      second.lossHistory,
      'training twice on the same rows should give the same loss history: seed the initialisers and do not shuffle with Math.random',
    ).toEqual(first.lossHistory);
  }, TRAINING_TIMEOUT_MS);

  test(`training on penguins-train.json takes under ${TRAIN_BUDGET_MS / 1000} s of CPU time`, () => {
    expect(
      Math.round(trainCpuMs),
      `train(rows) used this many milliseconds of CPU time (${Math.round(trainWallMs)} ms of wall time): train fewer epochs or a smaller network`,
    ).toBeLessThan(TRAIN_BUDGET_MS);
  });
});

describe('normalisation', () => {
  test('statistics are the per-feature mean and std of the training rows, skipping missing values', () => {
    const { mean, std } = trained.stats ?? {};
    expect(Array.isArray(mean) && Array.isArray(std), 'trained.stats should be { mean: number[], std: number[] }').toBe(true);
    FEATURES.forEach((feature, j) => {
      const expected = meanAndStd(trainRows, feature);
      expect(
        relativeError(mean[j], expected.mean),
        `stats.mean[${j}] (${feature}) should be ${expected.mean.toFixed(3)} (nulls skipped), got ${mean[j]}`,
      ).toBeLessThan(1e-4);
      expect(
        relativeError(std[j], expected.std),
        `stats.std[${j}] (${feature}) should be ${expected.std.toFixed(3)} (nulls skipped), got ${std[j]}`,
      ).toBeLessThan(1e-2);
    });
  });

  test('statistics come from the rows passed to train, not from any other data', async () => {
    // A deliberately skewed training set: every Gentoo, a few Adelie, and the rows with missing values.
    const adelie = trainRows.filter((row) => row.Species === 'Adelie' && row['Body Mass (g)'] !== null).slice(0, 12);
    const subset = [...trainRows.filter((row) => row.Species === 'Gentoo'), ...adelie];
    const other = await mod.train(subset, { epochs: 1 });
    FEATURES.forEach((feature, j) => {
      const expected = meanAndStd(subset, feature);
      expect(
        relativeError(other.stats.mean[j], expected.mean),
        `after training on ${subset.length} rows, stats.mean[${j}] (${feature}) should be their mean ${expected.mean.toFixed(3)}, got ${other.stats.mean[j]}`,
      ).toBeLessThan(1e-4);
      expect(
        relativeError(other.stats.std[j], expected.std),
        `after training on ${subset.length} rows, stats.std[${j}] (${feature}) should be their std ${expected.std.toFixed(3)}, got ${other.stats.std[j]}`,
      ).toBeLessThan(1e-2);
    });
  }, TRAINING_TIMEOUT_MS);

  test('training rows with some missing measurements still count for the measurements they have', async () => {
    // The training rows again, with a fifth of the measurements blanked at random: most rows lose one or
    // two values, few lose all four. Statistics skip each missing value, not each incomplete row.
    const random = seededRandom(11);
    const gappy = trainRows.map((row) => {
      const copy = { ...row };
      for (const feature of FEATURES) if (random() < 0.2) copy[feature] = null;
      return copy;
    });
    const complete = gappy.filter((row) => FEATURES.every((feature) => typeof row[feature] === 'number'));
    const other = await mod.train(gappy, { epochs: 1 });
    const losses = other.lossHistory ?? [];
    expect(
      losses.every((loss) => typeof loss === 'number' && Number.isFinite(loss)),
      `lossHistory after training on rows with missing measurements is ${JSON.stringify(losses)}: a missing value must never reach the model as null or NaN`,
    ).toBe(true);
    FEATURES.forEach((feature, j) => {
      const expected = meanAndStd(gappy, feature);
      const known = gappy.filter((row) => typeof row[feature] === 'number').length;
      const got = other.stats?.mean?.[j];
      const fromComplete = meanAndStd(complete, feature).mean;
      const why =
        typeof got === 'number' && relativeError(got, fromComplete) < 1e-4
          ? ` — that is the mean over the ${complete.length} complete rows only: a row with one missing measurement still has ${FEATURES.length - 1} known ones`
          : '';
      expect(
        relativeError(got, expected.mean),
        `training rows with missing values: stats.mean[${j}] (${feature}) should be the mean of its ${known} known values, ${expected.mean.toFixed(3)}, got ${got}${why}`,
      ).toBeLessThan(1e-4);
      expect(
        relativeError(other.stats.std[j], expected.std),
        `training rows with missing values: stats.std[${j}] (${feature}) should be the std of its ${known} known values, ${expected.std.toFixed(3)}, got ${other.stats.std[j]}`,
      ).toBeLessThan(1e-2);
    });
  }, TRAINING_TIMEOUT_MS);

  test("a row's prediction does not depend on the other rows in the batch", async () => {
    const batch = await mod.predict(trained, holdout.map(measurementsOf));
    const one = await mod.predict(trained, [measurementsOf(holdout[0])]);
    const alone: string[] = [];
    for (const row of holdout.slice(0, 20)) alone.push(...(await mod.predict(trained, [measurementsOf(row)])));
    expect(one.length, 'predict(trained, [row]) should return one species').toBe(1);
    expect(
      alone,
      'predicting rows one at a time should give the same species as predicting them together: normalise with the training statistics, never the batch',
    ).toEqual(batch.slice(0, 20));
    const reversed = await mod.predict(trained, [...holdout].reverse().map(measurementsOf));
    expect(reversed, 'reversing the rows should reverse the predictions').toEqual([...batch].reverse());
    // A batch of one species has statistics of its own, far from those of the training rows.
    const gentoo = holdout.flatMap((row, i) => (row.Species === 'Gentoo' ? [i] : []));
    const together = await mod.predict(trained, gentoo.map((i) => measurementsOf(holdout[i])));
    expect(
      together,
      `predicting the ${gentoo.length} Gentoo holdout birds on their own should give each the species it gets among all ${holdout.length}: normalise with the training statistics, never the batch`,
    ).toEqual(gentoo.map((i) => batch[i]));
  });
});

describe('the model', () => {
  test("the model's output units are probabilities of the species in SPECIES order, and predict names the most probable one", async () => {
    // trained.model takes the standardised features in FEATURES order and returns one probability per
    // species in SPECIES order: the judge standardises the complete holdout rows with trained.stats itself.
    const complete = holdout.filter((row) => FEATURES.every((feature) => typeof row[feature] === 'number'));
    const probabilities = await outputsOf(trained, complete.map(measurementsOf));
    expect(
      probabilities.map((p) => p.length),
      `trained.model.predict(a [${complete.length}, 4] tensor) should return a [${complete.length}, 3] tensor, one probability per species`,
    ).toEqual(complete.map(() => SPECIES.length));
    // Probabilities, as a softmax gives them: each in [0, 1], each row summing to 1 (float32: to 1e-4).
    const notProbabilities = probabilities.findIndex((p) => p.some((x) => !(x >= 0 && x <= 1)) || !(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4));
    expect(
      notProbabilities,
      notProbabilities < 0
        ? ''
        : `holdout bird ${notProbabilities}: trained.model's output [${probabilities[notProbabilities].map((p) => p.toFixed(4)).join(', ')}] is not a row of probabilities (each in [0, 1], summing to 1): end the model with a softmax layer`,
    ).toBe(-1);
    const labels = await mod.predict(trained, complete.map(measurementsOf));
    const fromUnits = probabilities.map((p) => SPECIES[p.indexOf(Math.max(...p))]);
    const differs = labels.findIndex((label, i) => label !== fromUnits[i]);
    const at = complete[differs];
    expect(
      differs,
      differs < 0
        ? ''
        : `holdout bird ${differs} (a ${at.Species}): the model's largest output is unit ${probabilities[differs].indexOf(Math.max(...probabilities[differs]))} of [${probabilities[differs].map((p) => p.toFixed(3)).join(', ')}], which is ${fromUnits[differs]} in SPECIES order (${SPECIES.join(', ')}), but predict said ${labels[differs]}: one-hot encode the species in SPECIES order, so output unit k is SPECIES[k]`,
    ).toBe(-1);
  });
});

describe('holdout', () => {
  test(`accuracy on the holdout rows is at least ${ACCURACY_THRESHOLD}`, async (context) => {
    const predicted = await mod.predict(trained, holdout.map(measurementsOf));
    expect(predicted.length, `predict should return one species per row (${holdout.length} rows)`).toBe(holdout.length);
    const value = accuracy(predicted, holdout);
    reportMetric(context, { name: 'accuracy', value, threshold: ACCURACY_THRESHOLD, higherIsBetter: true });
    const counts = Object.fromEntries(SPECIES.map((s) => [s, predicted.filter((p) => p === s).length]));
    expect(
      value,
      `holdout accuracy ${value.toFixed(3)} (predicted counts ${JSON.stringify(counts)}) should be at least ${ACCURACY_THRESHOLD}`,
    ).toBeGreaterThanOrEqual(ACCURACY_THRESHOLD);
  });

  test('every prediction is one of the three species names', async () => {
    const predicted = await mod.predict(trained, holdout.map(measurementsOf));
    const unknown = predicted.filter((species) => !(SPECIES as readonly string[]).includes(species));
    expect(unknown, `predictions must be one of ${SPECIES.join(', ')}`).toEqual([]);
  });
});

describe('missing values', () => {
  test('rows with a missing measurement still get a sensible species', async () => {
    // Each holdout row loses one of its measurements, in turn.
    const gappy = holdout.map((row, i) => ({ ...measurementsOf(row), [FEATURES[i % FEATURES.length]]: null }));
    const before = JSON.stringify(gappy);
    // The rows as the host holds them, so that a change predict makes to them is seen here.
    const [given] = await heldInHost(gappy);
    const predicted = await mod.predict(trained, given);
    expect(JSON.stringify(await given.$get()), 'predict must not modify the rows it is given').toBe(before);
    const unknown = predicted.filter((species) => !(SPECIES as readonly string[]).includes(species));
    expect(unknown, 'a row with a null measurement should still get a species name').toEqual([]);
    const value = accuracy(predicted, holdout);
    // Advice about missing values only where they are the trouble: a model that is weak on complete rows
    // too (the starter's every-bird-an-Adelie stub) is told so instead.
    const complete = value >= IMPUTED_ACCURACY_THRESHOLD ? value : accuracy(await mod.predict(trained, holdout.map(measurementsOf)), holdout);
    const advice =
      complete < IMPUTED_ACCURACY_THRESHOLD
        ? `the same rows with every measurement score ${complete.toFixed(3)} too: make predict itself right first (see the holdout accuracy test)`
        : `with every measurement they score ${complete.toFixed(3)}: fill a missing value with the training mean, not 0`;
    expect(value, `accuracy on holdout rows with one measurement set to null is ${value.toFixed(3)}; ${advice}`).toBeGreaterThanOrEqual(
      IMPUTED_ACCURACY_THRESHOLD,
    );
  });

  test('a row with every measurement missing gets a species and does not throw', async () => {
    const empty = Object.fromEntries(FEATURES.map((feature) => [feature, null])) as Measurements;
    const predicted = await mod.predict(trained, [empty, measurementsOf(holdout[0])]);
    expect(predicted.length).toBe(2);
    expect(SPECIES as readonly string[], `an all-null row was predicted as ${predicted[0]}`).toContain(predicted[0]);
  });
});

describe('tensor memory', () => {
  async function tensorsLeakedBy(rows: Measurements[]): Promise<number> {
    await mod.predict(trained, rows.slice(0, 1)); // let any one-off allocation happen first
    const before = await numTensors();
    await mod.predict(trained, rows);
    return (await numTensors()) - before;
  }

  test('predict leaks no tensors', async () => {
    const leaked = await tensorsLeakedBy(holdout.map(measurementsOf));
    expect(leaked, 'tf.memory().numTensors grew by this much during predict: wrap it in tf.tidy or dispose').toBe(0);
  });

  test("train leaves no tensor behind but its model's: disposing the model and its optimizer frees what it made", async () => {
    const before = await host.memory();
    const other = await mod.train(trainRows, { epochs: 2 });
    const held = await host.memory();
    // The trained model's own tensors are its weights and its optimizer's state; dispose both.
    const optimizer = (await other.model.optimizer.$get()) as Remote | undefined;
    if (optimizer) await optimizer.dispose();
    await other.model.dispose();
    const after = await host.memory();
    const tensors = after.numTensors - before.numTensors;
    const bytes = after.numBytes - before.numBytes;
    expect(
      bytes <= TRAIN_LEFTOVER_BYTES,
      `train(rows, { epochs: 2 }) on ${trainRows.length} rows added ${held.numTensors - before.numTensors} tensors; after trained.model.dispose() and trained.model.optimizer.dispose(), ${tensors} tensors (${bytes} bytes) are still there: dispose the training tensors (features, labels and what they were built from) once fit is done`,
    ).toBe(true);
  }, TRAINING_TIMEOUT_MS);

  test('predict leaks no tensors on a single row, rows with nulls, or an empty array', async () => {
    expect(await tensorsLeakedBy([measurementsOf(holdout[3])]), 'numTensors growth, one row').toBe(0);
    const gappy = holdout.map((row) => ({ ...measurementsOf(row), 'Beak Depth (mm)': null }));
    expect(await tensorsLeakedBy(gappy), 'numTensors growth, rows with nulls').toBe(0);
    const before = await numTensors();
    const none = await mod.predict(trained, []);
    expect(none, 'predict(trained, []) should return []').toEqual([]);
    expect((await numTensors()) - before, 'numTensors growth, empty array').toBe(0);
  });
});
