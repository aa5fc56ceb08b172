// Hidden suite for linear-regression. Every expected value is computed here from the data: the mean
// predictor's RMSE, the training median horsepower, the splits. The learner's model is trained on the
// pure-JS cpu backend. The learner's code runs in the solution host: train, predict and dispose are
// remote (async), the trained model stays there (its network and optimiser as remote objects), and
// tensor counts are the host's tf.memory().
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, fixturePath, loadSolution, reportCurve, reportMetric, seededRandom, vegaDataPath, type Remote } from '@kata/harness';

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
  trainRows = readRows(fixturePath('cars-train.json'));
  holdoutRows = readRows(fixturePath('cars-holdout.json'));
  [trainCopy, holdoutCopy] = await heldInHost(trainRows, holdoutRows);
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

/** Calls the learner's predict; the rows cross as a copy, so a solution that fills gaps in place cannot
 * change the rows the expected values are computed from (the mutation test catches it separately). */
function predictOn(m: Model, rows: CarRow[]): Promise<number[]> {
  return solution.predict(m, rows);
}

/** The model trained on cars-train.json; fails the calling test with the setup error if there is none. */
function trained(): Model {
  if (setupError || !model) throw new Error(setupError ?? 'train() returned nothing');
  return model;
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
    const hpMedian = median(
      labelled(trainRows).flatMap((r) => (r.Horsepower === null ? [] : [r.Horsepower])),
    );
    const missing = holdoutRows.filter((r) => r.Horsepower === null);
    expect(missing.length, 'the holdout fixture should contain cars without Horsepower').toBeGreaterThan(0);
    for (const row of missing) {
      const [asGiven] = await predictOn(model, [row]);
      const [filled] = await predictOn(model, [{ ...row, Horsepower: hpMedian }]);
      expect(
        Math.abs(asGiven - filled),
        `${row.Name} has no Horsepower: its prediction (${asGiven}) should equal the prediction with ` +
          `Horsepower = ${hpMedian}, the training median (${filled})`,
      ).toBeLessThan(1e-3);
    }
  });

  test("a row's prediction does not depend on the other rows in the batch", async () => {
    const model = trained();
    const batch = holdoutPredictions as number[];
    const picks = [0, 1, holdoutRows.length - 1, ...holdoutRows.flatMap((r, i) => (r.Horsepower === null ? [i] : []))];
    for (const i of picks) {
      const [alone] = await predictOn(model, [holdoutRows[i]]);
      expect(
        Math.abs(alone - batch[i]),
        `${holdoutRows[i].Name} predicted alone gave ${alone}, in the full holdout batch ${batch[i]}: ` +
          'statistics must come from the training rows, never from the rows being predicted',
      ).toBeLessThan(1e-3);
    }
    const reversed = await predictOn(model, [...holdoutRows].reverse());
    expect(
      reversed.map((p, i) => Math.abs(p - batch[batch.length - 1 - i])).every((d) => d < 1e-3),
      'predicting the holdout rows in reverse order should give the same predictions, reversed',
    ).toBe(true);
  });

  test('predict on an empty list returns an empty array', async () => {
    expect(await predictOn(trained(), []), 'predict(model, []) should return []').toEqual([]);
  });

  test('predict leaves no tensors behind and does not consume the model', async () => {
    const model = trained();
    const before = await numTensors();
    const first = await predictOn(model, holdoutRows);
    const second = await predictOn(model, holdoutRows.slice(0, 10));
    const leaked = (await numTensors()) - before;
    expect(leaked, `two predict calls left ${leaked} tensors allocated; wrap the work in tf.tidy or dispose`).toBe(0);
    expect(second, 'calling predict again should give the same predictions').toEqual(first.slice(0, 10));
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
    // Compared with a fresh read of the files: trainCopy and holdoutCopy (in the host) went through train and predict.
    expect(
      changes(await trainCopy.$get(), readRows(fixturePath('cars-train.json'))).join('; '),
      'train changed the rows it was given (fill gaps in a copy, not in place)',
    ).toBe('');
    expect(
      changes(await holdoutCopy.$get(), readRows(fixturePath('cars-holdout.json'))).join('; '),
      'predict changed the rows it was given (fill gaps in a copy, not in place)',
    ).toBe('');
  });

  test('rows without Miles_per_Gallon are left out of training', async () => {
    // The same cars again, with the label removed and 230 horsepower: a model that trains on them as 0 mpg
    // falls apart, and one that takes the horsepower median from them fills a missing Horsepower wrongly.
    const unlabelled = labelled(trainRows).map((r) => ({ ...r, Miles_per_Gallon: null, Horsepower: 230 }));
    const hpMedian = median(labelled(trainRows).flatMap((r) => (r.Horsepower === null ? [] : [r.Horsepower])));
    const missing = holdoutRows.find((r) => r.Horsepower === null)!;
    const { value, asGiven, filled } = await withModel([...trainRows, ...unlabelled], async (m) => ({
      value: rmse(holdoutRows, await predictOn(m, holdoutRows)),
      asGiven: (await predictOn(m, [missing]))[0],
      filled: (await predictOn(m, [{ ...missing, Horsepower: hpMedian }]))[0],
    }));
    expect(
      value,
      `with ${unlabelled.length} extra unlabelled rows in the training data, holdout RMSE should stay below ${RMSE_THRESHOLD.toFixed(1)} mpg`,
    ).toBeLessThan(RMSE_THRESHOLD);
    expect(
      Math.abs(asGiven - filled),
      `with ${unlabelled.length} extra unlabelled rows (all 230 hp) in the training data, ${missing.Name} (no Horsepower) ` +
        `was predicted ${asGiven}; filled with ${hpMedian}, the median of the labelled rows only, it is ${filled}`,
    ).toBeLessThan(1e-3);
  });

  test('the model is learned from the rows passed to train (another split of cars.json)', async () => {
    const { train, holdout } = seededSplit(readRows(vegaDataPath('cars.json')), 7, 0.3);
    const baseline = rmse(holdout, holdout.map(() => mean(labelled(train).map((r) => r.Miles_per_Gallon as number))));
    const value = await withModel(train, async (m) => rmse(holdout, await predictOn(m, holdout)));
    expect(
      value,
      `trained on ${train.length} rows of another seeded split, RMSE on the other ${holdout.length} should be ` +
        `below ${RMSE_THRESHOLD.toFixed(1)} mpg (the mean predictor scores ${baseline.toFixed(2)})`,
    ).toBeLessThan(RMSE_THRESHOLD);
  });

  test('predictions follow the training labels (every label + 10 mpg)', async () => {
    const shifted = trainRows.map((r) => ({
      ...r,
      Miles_per_Gallon: r.Miles_per_Gallon === null ? null : r.Miles_per_Gallon + 10,
    }));
    trained();
    const original = mean(holdoutPredictions as number[]);
    const moved = await withModel(shifted, async (m) => mean(await predictOn(m, holdoutRows)));
    expect(
      Math.abs(moved - original - 10),
      `with every training label raised by 10 mpg, the mean holdout prediction moved from ${original.toFixed(2)} ` +
        `to ${moved.toFixed(2)}; it should move by about 10`,
    ).toBeLessThan(1.5);
  });
});
