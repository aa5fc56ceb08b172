// Hidden suite for linear-regression. Every expected value is computed here from the data: the mean
// predictor's RMSE, the training median horsepower, the splits. The learner's model is trained on the
// pure-JS cpu backend; predict is only ever given features (every row's Miles_per_Gallon is null). The learner's code runs in the solution host: train, predict and dispose are
// remote (async), the trained model stays there (its network and optimiser as remote objects), and
// tensor counts are the host's tf.memory().
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, fixturePath, judgeFixturePath, loadSolution, reportCurve, reportMetric, seededRandom, vegaDataPath, type Remote } from '@kata/harness';

interface CarRow {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string;
  Origin: string;
}
/**
 * A trained model as the suite holds it: the learner's own object, kept in the solution host (a remote
 * value), so every call gets the same model, as it would in one process.
 */
type Model = Remote;
/** The learner's src/regression.ts, remote: every function is async. Rows may also be remote arrays. */
interface Solution {
  train(rows: CarRow[] | Remote): Promise<unknown>;
  predict(model: Model, rows: CarRow[] | Remote): Promise<number[]>;
  dispose(model: Model): Promise<void>;
}

/** The graded threshold (kata.json `metric`): the mean predictor sits near 8 mpg on this holdout. */
const RMSE_THRESHOLD = 4.0;

const readRows = (file: string): CarRow[] => JSON.parse(readFileSync(file, 'utf8')) as CarRow[];
const labelled = (rows: CarRow[]) => rows.filter((r) => r.Miles_per_Gallon !== null);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const knownHorsepower = (rows: CarRow[]) => rows.flatMap((r) => (r.Horsepower === null ? [] : [r.Horsepower]));
/** The rows as predict gets them: features only, the label left out (null, as the contract allows). */
const withoutLabels = (rows: CarRow[]): CarRow[] => rows.map((r) => ({ ...r, Miles_per_Gallon: null }));

/** Fails unless two predictions agree to 0.001 mpg, showing both values. */
function expectSamePrediction(actual: number, expected: number, message: string): void {
  if (typeof actual === 'number' && Math.abs(actual - expected) < 1e-3) return;
  expect(actual, `${message} (to within 0.001 mpg)`).toBe(expected);
}

/** RMSE over the rows that have a label; `predictions` line up with `rows`. */
function rmse(rows: CarRow[], predictions: number[]): number {
  let sum = 0;
  let n = 0;
  rows.forEach((row, i) => {
    if (row.Miles_per_Gallon === null) return;
    sum += (predictions[i] - row.Miles_per_Gallon) ** 2;
    n++;
  });
  return Math.sqrt(sum / n);
}

/** Up to 5 differences between rows after the learner's code ran and the same rows read afresh. */
function changes(after: CarRow[], before: CarRow[]): string[] {
  const found: string[] = [];
  if (after.length !== before.length) found.push(`${before.length} rows became ${after.length}`);
  before.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) {
      const now = (after[i] as unknown as Record<string, unknown>)?.[key];
      if (now !== value) found.push(`${row.Name}: ${key} was ${JSON.stringify(value)}, became ${JSON.stringify(now)}`);
    }
  });
  return found.slice(0, 5);
}

/** A seeded split of the raw cars.json, different from the fixture's. */
function seededSplit(rows: CarRow[], seed: number, holdoutFraction: number): { train: CarRow[]; holdout: CarRow[] } {
  const random = seededRandom(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cut = Math.round(rows.length * holdoutFraction);
  return { holdout: order.slice(0, cut).map((i) => rows[i]), train: order.slice(cut).map((i) => rows[i]) };
}

let host: Host;
let solution: Solution;

/**
 * tfjs 4.22's MomentumOptimizer.dispose() forgets the learning-rate scalar its SGD base class keeps
 * (SGDOptimizer.dispose() would free it), so a learner who picks tf.train.momentum and disposes it
 * correctly would still leak one tensor. A learner must not fail for a library bug: the host's
 * MomentumOptimizer.prototype.dispose is patched (from a module written into the host's temp folder)
 * to free that scalar too. Freeing it twice is harmless (a disposed tensor ignores dispose()).
 */
async function fixMomentumLeak(tf: Remote): Promise<void> {
  const file = join(host.tempDir, 'fix-momentum-leak.mjs');
  writeFileSync(
    file,
    `export function fix(tf) {
  const lib = tf.MomentumOptimizer ? tf : tf.default;
  const proto = lib.MomentumOptimizer.prototype;
  if (proto.kataFixedLeak) return false;
  const dispose = proto.dispose;
  proto.dispose = function () {
    dispose.call(this);
    if (this.c && !this.c.isDisposed) this.c.dispose();
  };
  proto.kataFixedLeak = true;
  return true;
}
`,
  );
  const patch = await host.import(file);
  await patch.fix(tf);
}

/** tf.memory().numTensors of the learner's tfjs, in the solution host. */
async function numTensors(): Promise<number> {
  return (await host.memory())?.numTensors ?? 0;
}

/**
 * Copies of `values` kept in the solution host, as remote values: passed to the learner's function they
 * are the host's own objects, not fresh copies, so reading them back afterwards shows whether it changed them.
 */
async function heldInHost(...values: unknown[]): Promise<Remote[]> {
  const holder = await host.instrument('recorder');
  await holder.record(...values);
  return values.map((_, i) => holder.entries[0][i]);
}

/** A value that stayed in the host (a class instance, a function): its members are read with `$get()`. */
const isRemote = (value: unknown): boolean => typeof value === 'function' && typeof (value as Remote).$type === 'string';

/**
 * The learner's train on `rows` (they cross as a copy). The model stays in the host: a class instance
 * does by itself; a plain object (its network and optimiser are remote already) is kept there as one
 * object, so predict and dispose all get the same model, as in one process.
 */
async function trainOn(rows: CarRow[] | Remote): Promise<Model> {
  const trained = await solution.train(rows);
  if (trained === null || trained === undefined || isRemote(trained)) return trained;
  return (await heldInHost(trained))[0];
}

/** The model's lossHistory as data (undefined if it has none). */
async function lossHistoryOf(m: Model): Promise<unknown> {
  return m.lossHistory.$get();
}

/** Trains, runs `use`, and always disposes the model so one failing test does not leak into the next. */
async function withModel<T>(rows: CarRow[], use: (model: Model) => T | Promise<T>): Promise<T> {
  const model = await trainOn(rows);
  try {
    return await use(model);
  } finally {
    await solution.dispose(model);
  }
}

let trainRows: CarRow[];
let holdoutRows: CarRow[];
/** Copies of the rows kept in the host and handed to the learner's code, compared with the files afterwards. */
let trainCopy: Remote;
let holdoutCopy: Remote;
let model: Model | undefined;
let holdoutPredictions: unknown;
let setupError: string | undefined;

beforeAll(async () => {
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend, before their module loads.
  const tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  await fixMomentumLeak(tf);
  trainRows = readRows(fixturePath('cars-train.json'));
  holdoutRows = readRows(judgeFixturePath('cars-holdout.json'));
  [trainCopy, holdoutCopy] = await heldInHost(trainRows, withoutLabels(holdoutRows));
  const mod = (await loadSolution('src/regression.ts', { host })).module;
  solution = mod as Solution;
  const exported = await Promise.all((['train', 'predict', 'dispose'] as const).map(async (name) => [name, await mod[name].$get()] as const));
  const missing = exported.filter(([, value]) => typeof value !== 'function').map(([name]) => name);
  if (missing.length) {
    setupError = `expected src/regression.ts to export the functions ${missing.join(', ')}`;
    return;
  }
  // Failures here are reported by every test that needs the trained model, with the reason.
  try {
    model = await trainOn(trainCopy);
  } catch (error) {
    setupError = `train(rows of cars-train.json) threw: ${(error as Error).message}`;
    return;
  }
  try {
    holdoutPredictions = await solution.predict(model, holdoutCopy);
  } catch (error) {
    setupError = `predict(model, rows of cars-holdout.json) threw: ${(error as Error).message}`;
  }
});

afterAll(async () => {
  try {
    if (model) await solution.dispose(model);
  } finally {
    await host?.close();
  }
});

/**
 * Calls the learner's predict on the features of `rows`: their labels are left out (predict never sees the
 * answer it is scored on). The rows cross as a copy, so a solution that fills gaps in place cannot change
 * the rows the expected values are computed from (the mutation test catches it separately).
 */
function predictOn(m: Model, rows: CarRow[]): Promise<number[]> {
  return solution.predict(m, withoutLabels(rows));
}

/** The model trained on cars-train.json; fails the calling test with the setup error if there is none. */
function trained(): Model {
  if (setupError || !model) throw new Error(setupError ?? 'train() returned nothing');
  return model;
}

/**
 * Fails unless `row` (no Horsepower) is predicted as the same row with Horsepower = `hp`. The message shows
 * both predictions and, from a second probe, the Horsepower the model seems to have filled in.
 */
async function expectImputed(m: Model, row: CarRow, hp: number, rule: string): Promise<void> {
  // One row per call: a batch-dependent predict is the batch test's to report, not this one's.
  const [asGiven] = await predictOn(m, [row]);
  const [filled] = await predictOn(m, [{ ...row, Horsepower: hp }]);
  const [probe] = await predictOn(m, [{ ...row, Horsepower: hp + 20 }]);
  if (typeof asGiven === 'number' && Math.abs(asGiven - filled) < 1e-3) return;
  const slope = (probe - filled) / 20;
  const implied = Math.abs(slope) > 1e-6 ? `as if it were about ${(hp + (asGiven - filled) / slope).toFixed(1)}` : 'otherwise';
  expect(
    asGiven,
    `${row.Name}, no Horsepower: predicted ${implied}, not as with ${hp} (${rule})`,
  ).toBe(filled);
}

describe('linear-regression', () => {
  test('predict returns a plain array with one finite number per row', () => {
    trained();
    expect(Array.isArray(holdoutPredictions), 'predict should return a number[] (use Array.from on dataSync())').toBe(
      true,
    );
    const predictions = holdoutPredictions as unknown[];
    expect(predictions.length, `predict was given ${holdoutRows.length} holdout rows`).toBe(holdoutRows.length);
    const bad = predictions.flatMap((p, i) =>
      typeof p === 'number' && Number.isFinite(p) ? [] : [`${holdoutRows[i].Name}: ${String(p)}`],
    );
    expect(
      bad.slice(0, 5).join('; '),
      'every prediction should be a finite number, including cars with a null Horsepower',
    ).toBe('');
  });

  test(`holdout RMSE is below ${RMSE_THRESHOLD.toFixed(1)} mpg`, async (context) => {
    const model = trained();
    const predictions = holdoutPredictions as number[];
    const value = rmse(holdoutRows, predictions);
    const baseline = rmse(
      holdoutRows,
      holdoutRows.map(() => mean(labelled(trainRows).map((r) => r.Miles_per_Gallon as number))),
    );
    reportMetric(context, { name: 'RMSE', value, threshold: RMSE_THRESHOLD, higherIsBetter: false });
    const lossHistory = await lossHistoryOf(model);
    if (Array.isArray(lossHistory)) reportCurve(context, { name: 'loss', values: lossHistory });
    expect(
      value,
      `RMSE on the ${labelled(holdoutRows).length} labelled holdout cars should be below ${RMSE_THRESHOLD.toFixed(1)} mpg ` +
        `(predicting the training mean scores ${baseline.toFixed(2)})`,
    ).toBeLessThan(RMSE_THRESHOLD);
  });

  test('lossHistory records a finite, decreasing training loss per epoch', async () => {
    const history = await lossHistoryOf(trained());
    expect(Array.isArray(history), 'the model should carry lossHistory: number[] (one entry per epoch)').toBe(true);
    const values = history as unknown[];
    expect(values.length, 'lossHistory should have at least 2 epochs').toBeGreaterThanOrEqual(2);
    expect(
      values.filter((v) => typeof v !== 'number' || !Number.isFinite(v)),
      'every loss should be a finite number (a NaN loss usually means a null reached the tensors)',
    ).toEqual([]);
    const numbers = values as number[];
    expect(numbers[numbers.length - 1], `the last epoch's loss should be below the first (${numbers[0]})`).toBeLessThan(
      numbers[0],
    );
  });

  test('a missing Horsepower is filled with the median Horsepower of the labelled training rows', async () => {
    const model = trained();
    const hpMedian = median(knownHorsepower(labelled(trainRows)));
    const missing = holdoutRows.filter((r) => r.Horsepower === null);
    expect(missing.length, 'the holdout fixture should contain cars without Horsepower').toBeGreaterThan(0);
    for (const row of missing) await expectImputed(model, row, hpMedian, 'the median of the labelled training rows');
  });

  test('the median is that of the rows passed to train: an even count whose two middle values differ', async () => {
    // Labelled cars of cars-train.json with low and with high Horsepower, as many of each: the median is the
    // mean of two values far apart. The labelled cars without Horsepower come too, and unlabelled copies of
    // the high-Horsepower cars, which must not count. Every alternative reading gives another number here.
    const known = labelled(trainRows).filter((r) => r.Horsepower !== null);
    const low = known.filter((r) => (r.Horsepower as number) <= 75).sort((a, b) => (b.Horsepower as number) - (a.Horsepower as number));
    const high = known.filter((r) => (r.Horsepower as number) >= 130).sort((a, b) => (a.Horsepower as number) - (b.Horsepower as number));
    const n = Math.min(low.length, high.length);
    const picked = [...low.slice(0, n), ...high.slice(0, n)];
    const noHorsepower = labelled(trainRows).filter((r) => r.Horsepower === null);
    const unlabelledCopies = high.slice(0, n).map((r) => ({ ...r, Name: `${r.Name} (no label)`, Miles_per_Gallon: null }));
    const rows = [...picked, ...noHorsepower, ...unlabelledCopies];
    const expected = median(knownHorsepower(labelled(rows)));
    // The readings this data set tells apart (a check of the test's own data, not of your code).
    const sorted = knownHorsepower(labelled(rows)).sort((a, b) => a - b);
    const others = {
      'the upper middle value': sorted[sorted.length / 2],
      'the lower middle value': sorted[sorted.length / 2 - 1],
      'the median over every row, labelled or not': median(knownHorsepower(rows)),
      'the median with the missing values counted as 0': median(labelled(rows).map((r) => r.Horsepower ?? 0)),
      "the median of cars-train.json's labelled rows": median(knownHorsepower(labelled(trainRows))),
    };
    expect(sorted.length % 2, 'the test data should have an even count of known Horsepower values').toBe(0);
    for (const [what, value] of Object.entries(others)) expect(value, `the test data's ${what} should differ from its median`).not.toBe(expected);
    const missing = holdoutRows.filter((r) => r.Horsepower === null);
    await withModel(rows, async (m) => {
      for (const row of missing) {
        const [a, b] = [sorted[sorted.length / 2 - 1], sorted[sorted.length / 2]];
        await expectImputed(m, row, expected, `labelled rows passed to train: ${sorted.length} values, mean of ${a} and ${b}`);
      }
    });
  });

  test('the median of an odd count is its middle value, which differs from both of its neighbours', async () => {
    // The same low and high Horsepower cars as many of each, and one car in between: the median is that car's
    // Horsepower, and its neighbours are far from it, so averaging the middle with a neighbour gives another number.
    const known = labelled(trainRows).filter((r) => r.Horsepower !== null);
    const low = known.filter((r) => (r.Horsepower as number) <= 75).sort((a, b) => (b.Horsepower as number) - (a.Horsepower as number));
    const high = known.filter((r) => (r.Horsepower as number) >= 130).sort((a, b) => (a.Horsepower as number) - (b.Horsepower as number));
    const n = Math.min(low.length, high.length);
    const middle = known.find((r) => r.Horsepower === 100) ?? known.find((r) => (r.Horsepower as number) > 90 && (r.Horsepower as number) < 115);
    expect(middle, 'cars-train.json should have a labelled car with a Horsepower between 90 and 115').toBeDefined();
    const rows = [...low.slice(0, n), middle as CarRow, ...high.slice(0, n)];
    const sorted = knownHorsepower(rows).sort((a, b) => a - b);
    const mid = (sorted.length - 1) / 2;
    expect(sorted.length % 2, 'the test data should have an odd count of known Horsepower values').toBe(1);
    for (const neighbour of [sorted[mid - 1], sorted[mid + 1]]) {
      expect((sorted[mid] + neighbour) / 2, 'the test data: the middle averaged with a neighbour should differ from the middle').not.toBe(sorted[mid]);
    }
    const missing = holdoutRows.filter((r) => r.Horsepower === null);
    await withModel(rows, async (m) => {
      for (const row of missing) {
        await expectImputed(m, row, sorted[mid], `labelled rows passed to train: ${sorted.length} values, the middle one is ${sorted[mid]} (its neighbours ${sorted[mid - 1]} and ${sorted[mid + 1]})`);
      }
    });
  });

  test("a row's prediction does not depend on the other rows in the batch", async () => {
    const model = trained();
    const batch = holdoutPredictions as number[];
    const picks = [0, 1, holdoutRows.length - 1, ...holdoutRows.flatMap((r, i) => (r.Horsepower === null ? [i] : []))];
    for (const i of picks) {
      const [alone] = await predictOn(model, [holdoutRows[i]]);
      expectSamePrediction(
        alone,
        batch[i],
        `${holdoutRows[i].Name} alone vs in the holdout batch (statistics come from the training rows only)`,
      );
    }
    const reversed = await predictOn(model, [...holdoutRows].reverse());
    reversed.forEach((p, i) =>
      expectSamePrediction(p, batch[batch.length - 1 - i], `${holdoutRows[batch.length - 1 - i].Name} in the holdout reversed vs in order`),
    );
  });

  test('predict on an empty list returns an empty array', async () => {
    expect(await predictOn(trained(), []), 'predict(model, []) should return []').toEqual([]);
  });

  test('predict leaves no tensors behind and does not consume the model', async () => {
    const model = trained();
    const before = await numTensors();
    const first = await predictOn(model, holdoutRows);
    let second: number[];
    try {
      second = await predictOn(model, holdoutRows.slice(0, 10));
    } catch (error) {
      throw new Error(`predict can be called any number of times, but a second call threw: ${(error as Error).message}`);
    }
    const after = await numTensors();
    expect(second, 'calling predict again should give the same predictions').toEqual(first.slice(0, 10));
    expect(after, `tf.memory().numTensors after two predict calls (it was ${before} before): predict must leave no tensor behind` +
      (after < before ? ' and must not free the model\'s' : '; wrap the work in tf.tidy or dispose')).toBe(before);
  });

  test('train and dispose together release every tensor', async () => {
    const before = await numTensors();
    const m = await trainOn(trainRows);
    await predictOn(m, holdoutRows);
    await solution.dispose(m);
    const leaked = (await numTensors()) - before;
    expect(
      leaked,
      `after train → predict → dispose, ${leaked} tensors were still allocated ` +
        '(training tensors, the network, the optimiser state?)',
    ).toBe(0);
  });

  test('train and predict do not modify the rows they are given', async () => {
    trained();
    // Compared with a fresh read of the files: trainCopy and holdoutCopy (in the host, the holdout without its
    // labels) went through train and predict.
    expect(
      changes(await trainCopy.$get(), readRows(fixturePath('cars-train.json'))).join('; '),
      'train changed the rows it was given (fill gaps in a copy, not in place)',
    ).toBe('');
    expect(
      changes(await holdoutCopy.$get(), withoutLabels(readRows(judgeFixturePath('cars-holdout.json')))).join('; '),
      'predict changed the rows it was given (fill gaps in a copy, not in place)',
    ).toBe('');
  });

  test('rows without Miles_per_Gallon are left out of training, and out of every statistic', async () => {
    // The same cars again, without a label and with absurd specs (10000 times the cylinders, displacement,
    // horsepower, weight and acceleration, the year 9000). A model that ignores them, as it must, is the same
    // model; one that trains on them as 0 mpg, or standardises with means and stds that include them
    // (squashing the real cars into a sliver of each feature), falls apart; one that takes the horsepower
    // median from them fills a missing Horsepower wrongly.
    const unlabelled = labelled(trainRows).map((r) => ({
      ...r,
      Name: `${r.Name} (no label)`,
      Miles_per_Gallon: null,
      Cylinders: r.Cylinders * 10000,
      Displacement: r.Displacement * 10000,
      Horsepower: (r.Horsepower ?? 100) * 10000,
      Weight_in_lbs: r.Weight_in_lbs * 10000,
      Acceleration: r.Acceleration * 10000,
      Year: '9000-01-01',
    }));
    const hpMedian = median(knownHorsepower(labelled(trainRows)));
    const baseline = rmse(holdoutRows, holdoutRows.map(() => mean(labelled(trainRows).map((r) => r.Miles_per_Gallon as number))));
    await withModel([...trainRows, ...unlabelled], async (m) => {
      const value = rmse(holdoutRows, await predictOn(m, holdoutRows));
      expect(
        value,
        `RMSE with ${unlabelled.length} absurd unlabelled rows added (mean predictor: ${baseline.toFixed(2)}): ` +
          'leave them out of training and of every statistic',
      ).toBeLessThan(RMSE_THRESHOLD);
      for (const row of holdoutRows.filter((r) => r.Horsepower === null)) {
        await expectImputed(m, row, hpMedian, `labelled rows only, not the ${unlabelled.length} absurd unlabelled ones`);
      }
    });
  });

  test('the model is learned from the rows passed to train (another split of cars.json)', async () => {
    const { train, holdout } = seededSplit(readRows(vegaDataPath('cars.json')), 7, 0.3);
    const baseline = rmse(holdout, holdout.map(() => mean(labelled(train).map((r) => r.Miles_per_Gallon as number))));
    const value = await withModel(train, async (m) => rmse(holdout, await predictOn(m, holdout)));
    expect(
      value,
      `RMSE on another seeded split of cars.json (${train.length} to train, ${holdout.length} held out; mean predictor: ${baseline.toFixed(2)})`,
    ).toBeLessThan(RMSE_THRESHOLD);
  });

  test('scaling comes from the rows passed to train: the same cars with Weight in other units predict as well', async () => {
    // Weight_in_lbs × 1000 in the training rows and in the predicted rows: scaling computed from the rows makes
    // the same standardised features, so the same RMSE; a scale worked out once from cars-train.json does not.
    const heavier = (rows: CarRow[]) => rows.map((r) => ({ ...r, Weight_in_lbs: r.Weight_in_lbs * 1000 }));
    trained();
    const before = rmse(holdoutRows, holdoutPredictions as number[]);
    const after = await withModel(heavier(trainRows), async (m) => rmse(holdoutRows, await predictOn(m, heavier(holdoutRows))));
    if (!(Math.abs(after - before) < 0.1)) {
      expect(
        after,
        `holdout RMSE with every Weight_in_lbs × 1000 (in train and in predict) should stay ${before.toFixed(3)} ± 0.1 mpg: ` +
          'the means and standard deviations come from the rows passed to train, never from numbers worked out once',
      ).toBe(before);
    }
  });

  test('predictions follow the training labels (every label + 10 mpg)', async () => {
    const shifted = trainRows.map((r) => ({
      ...r,
      Miles_per_Gallon: r.Miles_per_Gallon === null ? null : r.Miles_per_Gallon + 10,
    }));
    trained();
    const original = mean(holdoutPredictions as number[]);
    const moved = await withModel(shifted, async (m) => mean(await predictOn(m, holdoutRows)));
    const shift = moved - original;
    if (!(Math.abs(shift - 10) < 1.5)) {
      expect(
        shift,
        `every training label + 10 mpg moved the mean holdout prediction from ${original.toFixed(2)} to ${moved.toFixed(2)} (expected +10 ± 1.5)`,
      ).toBe(10);
    }
  });

  test("Origin is learned as a category (each country's labels + 10 mpg in turn)", async () => {
    // Only one country's labels move: a model that tells the three origins apart moves its predictions for
    // that country's cars by about 10 mpg and for the others by about 0. One that drops Origin can only spread
    // the shift over cars that look like that country's by their other specs, and one that codes Origin as a
    // single number (USA 0, Europe 1, Japan 2, in any order) cannot lift the country in the middle alone.
    trained();
    const original = holdoutPredictions as number[];
    const found: string[] = [];
    for (const country of ['Japan', 'Europe', 'USA']) {
      const fromThere = (r: CarRow) => r.Origin === country;
      const shifted = trainRows.map((r) =>
        fromThere(r) && r.Miles_per_Gallon !== null ? { ...r, Miles_per_Gallon: r.Miles_per_Gallon + 10 } : r,
      );
      const moved = await withModel(shifted, (m) => predictOn(m, holdoutRows));
      const shiftOf = (keep: (r: CarRow) => boolean) =>
        mean(holdoutRows.flatMap((r, i) => (keep(r) ? [moved[i] - original[i]] : [])));
      const [own, others] = [shiftOf(fromThere), shiftOf((r) => !fromThere(r))];
      if (!(Math.abs(own - 10) < 2.5 && Math.abs(others) < 2.5)) found.push(`${country}'s labels + 10: ${country} ${own.toFixed(2)}, the others ${others.toFixed(2)}`);
    }
    expect(
      found,
      'mean change of the holdout predictions after one country\'s training labels + 10 mpg (expected +10 for that country ' +
        'and 0 for the others, each ± 2.5): Origin is a category, and the model should give each country its own effect',
    ).toEqual([]);
  });
});
