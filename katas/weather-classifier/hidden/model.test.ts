// Hidden suite for weather-classifier, part 2: trains the learner's model through `train` on
// seattle-weather-train.json with the pure-JS cpu backend and grades it on seattle-weather-holdout.json,
// days it never saw, by macro-F1 and mean per-class recall (so that ignoring the rare classes fails),
// then checks the engineering around it: labels never read at prediction time, batch independence,
// tensor leaks, reproducibility. The learner's code runs in the solution host: train and predict are
// remote (async), the trained model stays there as a remote object, and tf.memory() and CPU time are the
// host's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, fixturePath, judgeFixturePath, loadSolution, reportCurve, reportMetric, seededRandom } from '@kata/harness';

interface Day {
  date: string;
  precipitation: number;
  temp_max: number;
  temp_min: number;
  wind: number;
}
type Row = Day & { weather: string };
interface Trained {
  lossHistory: number[];
}
interface ModelModule {
  train(rows: Row[], options?: { epochs?: number }): Promise<Trained>;
  predictProba(trained: Trained, days: Day[]): Promise<number[][]>;
  predict(trained: Trained, days: Day[]): Promise<string[]>;
}

const WEATHER = ['drizzle', 'fog', 'rain', 'snow', 'sun'];
/**
 * Out of reach of the majority class (0.12), of "rain if it rained, else sun" (0.36), of the same rule with
 * snow on cold wet days (0.45) and of an unweighted logistic regression (0.36-0.41); class-weighted networks
 * with season and year features score 0.56-0.62 on this split (the reference 0.60). An unweighted network with date features can reach
 * it too: the recall test below is the one that needs class weights.
 */
const MACRO_F1_THRESHOLD = 0.48;
/**
 * Mean per-class recall (balanced accuracy). Networks trained without class weights find few drizzle and
 * fog days and score 0.39-0.62; class-weighted ones with season and year features score 0.70-0.77 (the
 * reference 0.76), without the year 0.63-0.70.
 */
const MACRO_RECALL_THRESHOLD = 0.65;
/**
 * CPU time (not wall time, so other work on the machine does not count) for the default training run;
 * the reference needs 2-4 s.
 */
const TRAIN_BUDGET_MS = 15_000;
/**
 * The long-epochs check: the first days of each class (8 each, 40 in all), trained this long. Their loss
 * flattens well before the end (early stopping on it with minDelta 0.01 stops near epoch 30), yet
 * `options.epochs` must be honoured.
 */
const FLAT_DAYS_PER_CLASS = 8;
const FLAT_EPOCHS = 60;
/**
 * The learns-from-its-rows check: the training rows with rain and sun swapped, trained this long. Correct
 * models then call 74-87% of the holdout rain days sun and at most 2% rain; a model that learnt from
 * anything but its rows would keep calling them rain.
 */
const SWAPPED_EPOCHS = 6;
/** How far a row of predictProba may be from summing to 1 (float32 softmax). */
const PROBABILITY_SUM_TOLERANCE = 1e-4;

const readRows = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Row[];
/** What predict receives: the measurements only, no label. */
const dayOf = (row: Row): Day => ({
  date: row.date,
  precipitation: row.precipitation,
  temp_max: row.temp_max,
  temp_min: row.temp_min,
  wind: row.wind,
});

function perClass(actual: string[], predicted: string[]) {
  return WEATHER.map((label) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    actual.forEach((a, i) => {
      if (a === label && predicted[i] === label) tp++;
      else if (predicted[i] === label) fp++;
      else if (a === label) fn++;
    });
    return {
      label,
      support: tp + fn,
      predicted: tp + fp,
      recall: tp === 0 ? 0 : tp / (tp + fn),
      f1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    };
  });
}

/** The holdout confusion matrix, one line per true class with its F1: shown under the metric in the report. */
function formatMatrix(actual: string[], predicted: string[]): string {
  const classes = perClass(actual, predicted);
  return WEATHER.map((a, k) => {
    const counts = WEATHER.map((p) => `${p} ${actual.filter((label, i) => label === a && predicted[i] === p).length}`);
    return `${`${a} days`.padEnd(12)} predicted as ${counts.join(', ')} (F1 ${classes[k].f1.toFixed(2)})`;
  }).join('\n');
}

let host: Host;
let mod: ModelModule;
let trainRows: Row[];
let holdout: Row[];
let truth: string[];
let trained: Trained;
let predicted: string[];
let trainCpuMs: number;
let trainWallMs: number;

/** tf.memory().numTensors of the learner's tfjs, in the solution host. */
async function numTensors(): Promise<number> {
  const memory = await host.memory();
  if (!memory) throw new Error('src/model.ts never loaded @tensorflow/tfjs');
  return memory.numTensors;
}

beforeAll(async () => {
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend, before their module loads.
  const tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  mod = (await loadSolution('src/model.ts', { host })).module as ModelModule;
  trainRows = readRows(fixturePath('seattle-weather-train.json'));
  holdout = readRows(judgeFixturePath('seattle-weather-holdout.json'));
  truth = holdout.map((row) => row.weather);
  const started = performance.now();
  const cpuBefore = (await host.usage()).cpuMs;
  trained = await mod.train(trainRows);
  trainCpuMs = (await host.usage()).cpuMs - cpuBefore;
  trainWallMs = performance.now() - started;
  predicted = await mod.predict(trained, holdout.map(dayOf));
});

afterAll(async () => {
  await host?.close();
});

describe('training', () => {
  test('train returns a finite loss per epoch that goes down', (context) => {
    const losses = trained.lossHistory;
    expect(Array.isArray(losses), 'train(rows) should return { lossHistory: number[] }').toBe(true);
    reportCurve(context, { name: 'loss', values: losses });
    expect(losses.length, 'lossHistory should have one entry per epoch').toBeGreaterThanOrEqual(5);
    const bad = losses.findIndex((loss) => typeof loss !== 'number' || !Number.isFinite(loss));
    expect(bad, `lossHistory[${bad}] is ${losses[bad]}: a NaN loss usually means unscaled or broken features`).toBe(-1);
    expect(losses[losses.length - 1], `the last epoch's loss should be below the first (${losses[0]})`).toBeLessThan(
      losses[0],
    );
  });

  test('train honours options.epochs and is reproducible', async () => {
    const first = await mod.train(trainRows, { epochs: 2 });
    const second = await mod.train(trainRows, { epochs: 2 });
    expect(first.lossHistory.length, 'train(rows, { epochs: 2 }) should train exactly 2 epochs').toBe(2);
    expect(
      second.lossHistory,
      'training twice on the same rows should give the same loss history: seed the initialisers and do not shuffle with Math.random',
    ).toEqual(first.lossHistory);
  });

  test(`train honours options.epochs to the last epoch, even once the loss has flattened (${FLAT_EPOCHS} epochs)`, async () => {
    const few = WEATHER.flatMap((label) => trainRows.filter((row) => row.weather === label).slice(0, FLAT_DAYS_PER_CLASS));
    const long = await mod.train(few, { epochs: FLAT_EPOCHS });
    const losses = long.lossHistory ?? [];
    expect(
      losses.length,
      `train(${few.length} rows, { epochs: ${FLAT_EPOCHS} }) should train all ${FLAT_EPOCHS} epochs, however flat the loss gets (no early stopping); lossHistory has ${losses.length} entries, ending ${losses
        .slice(-3)
        .map((loss) => (typeof loss === 'number' ? loss.toFixed(4) : String(loss)))
        .join(', ')}`,
    ).toBe(FLAT_EPOCHS);
  });

  test('train learns from the rows it is given: with rain and sun swapped in them, the predictions swap', async () => {
    const swap: Record<string, string> = { rain: 'sun', sun: 'rain' };
    const swapped = trainRows.map((row) => ({ ...row, weather: swap[row.weather] ?? row.weather }));
    const other = await mod.train(swapped, { epochs: SWAPPED_EPOCHS });
    const got = await mod.predict(other, holdout.map(dayOf));
    const rainDays = holdout.flatMap((row, i) => (row.weather === 'rain' ? [i] : []));
    const share = (label: string) => rainDays.filter((i) => got[i] === label).length / rainDays.length;
    const asSun = share('sun');
    const asRain = share('rain');
    expect(
      asSun >= 0.5 && asRain <= 0.2,
      `trained ${SWAPPED_EPOCHS} epochs on the training rows with every rain label changed to sun and every sun label to rain, the model called ${(asSun * 100).toFixed(0)}% of the ${rainDays.length} holdout rain days sun and ${(asRain * 100).toFixed(0)}% rain (expected at least 50% sun and at most 20% rain): train must learn from the rows it is given, and nothing else`,
    ).toBe(true);
  });

  test('train rejects a row whose weather is not one of the five labels, with an error that names the label', async () => {
    for (const label of ['hail', 'Rain']) {
      const rows = trainRows.map((row, i) => (i === 500 ? { ...row, weather: label } : row));
      const outcome = await mod.train(rows, { epochs: 1 }).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      const what = `train with the row of ${rows[500].date} labelled ${JSON.stringify(label)}, which is not one of ${WEATHER.join(', ')}`;
      expect(outcome, `${what}, should reject, not train on it (an unknown class one-hot encodes to nothing)`).toBeTypeOf('string');
      expect(outcome, `${what}: the error should name the label, so that the bad row can be found; got ${JSON.stringify(outcome)}`).toContain(label);
    }
  });

  test(`training on seattle-weather-train.json takes under ${TRAIN_BUDGET_MS / 1000} s of CPU time`, () => {
    expect(
      Math.round(trainCpuMs),
      `train(rows) used this many milliseconds of CPU time on the cpu backend (${Math.round(trainWallMs)} ms of wall time): train fewer epochs or a smaller network`,
    ).toBeLessThan(TRAIN_BUDGET_MS);
  });
});

describe('holdout', () => {
  test('every prediction is one of the five weather labels, one per day', () => {
    expect(Array.isArray(predicted), 'predict(trained, days) should return an array').toBe(true);
    expect(predicted.length, `predict got ${holdout.length} days`).toBe(holdout.length);
    const unknown = [...new Set(predicted.filter((label) => !WEATHER.includes(label)))];
    expect(unknown, `predictions must be one of ${WEATHER.join(', ')}`).toEqual([]);
  });

  test(`macro-F1 on the holdout is at least ${MACRO_F1_THRESHOLD}`, (context) => {
    const classes = perClass(truth, predicted);
    const value = classes.reduce((s, c) => s + c.f1, 0) / classes.length;
    reportMetric(context, { name: 'macro-F1', value, threshold: MACRO_F1_THRESHOLD, higherIsBetter: true, detail: formatMatrix(truth, predicted) });
    const accuracy = predicted.filter((label, i) => label === truth[i]).length / truth.length;
    expect(
      value,
      `holdout macro-F1 is ${value.toFixed(3)} with accuracy ${accuracy.toFixed(3)} (per class: ${classes.map((c) => `${c.label} ${c.f1.toFixed(2)}`).join(', ')})`,
    ).toBeGreaterThanOrEqual(MACRO_F1_THRESHOLD);
  });

  test(`the rare classes are found: mean per-class recall is at least ${MACRO_RECALL_THRESHOLD}`, () => {
    const classes = perClass(truth, predicted);
    const value = classes.reduce((s, c) => s + c.recall, 0) / classes.length;
    expect(
      value,
      `mean recall over the five classes is ${value.toFixed(3)} (${classes
        .map((c) => `${c.label} ${c.recall.toFixed(2)}, predicted ${c.predicted}×`)
        .join('; ')}): a model that rarely predicts drizzle, fog or snow needs class weights`,
    ).toBeGreaterThanOrEqual(MACRO_RECALL_THRESHOLD);
  });
});

describe('predictProba', () => {
  test('predictProba gives five probabilities per day in WEATHER order, and predict names the largest', async () => {
    const days = holdout.map(dayOf);
    const probabilities = await mod.predictProba(trained, days);
    expect(Array.isArray(probabilities), 'predictProba(trained, days) should return number[][]').toBe(true);
    expect(probabilities.length, `predictProba got ${days.length} days`).toBe(days.length);
    const badRow = probabilities.findIndex(
      (p) =>
        !Array.isArray(p) ||
        p.length !== WEATHER.length ||
        p.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1)) ||
        Math.abs(p.reduce((sum, v) => sum + v, 0) - 1) > PROBABILITY_SUM_TOLERANCE,
    );
    expect(
      badRow,
      badRow < 0
        ? ''
        : `predictProba for ${holdout[badRow].date} is ${JSON.stringify(probabilities[badRow])}: it should be ${WEATHER.length} probabilities (${WEATHER.join(', ')}), each between 0 and 1, summing to 1`,
    ).toBe(-1);
    const largest = probabilities.map((p) => WEATHER[p.indexOf(Math.max(...p))]);
    const differs = largest.findIndex((label, i) => label !== predicted[i]);
    expect(
      differs,
      differs < 0
        ? ''
        : `${holdout[differs].date}: predictProba is [${probabilities[differs].map((v) => v.toFixed(3)).join(', ')}], whose largest is ${largest[differs]} in WEATHER order (${WEATHER.join(', ')}), but predict said ${predicted[differs]}: the probabilities must be in WEATHER order (encode the labels in that order when training), and predict must name the largest`,
    ).toBe(-1);
  });

  test('predictProba depends on the day alone, leaks no tensors, and returns [] for no days', async () => {
    const days = holdout.map(dayOf);
    const batch = await mod.predictProba(trained, days);
    const before = await numTensors();
    const alone = await mod.predictProba(trained, [days[200]]);
    await mod.predictProba(trained, days);
    expect((await numTensors()) - before, 'tf.memory().numTensors grew during predictProba: wrap it in tf.tidy or dispose').toBe(0);
    const drift = Math.max(...alone[0].map((v, k) => Math.abs(v - batch[200][k])));
    expect(
      drift,
      `${holdout[200].date}: predictProba alone gave [${alone[0].map((v) => v.toFixed(4)).join(', ')}], in the holdout batch [${batch[200].map((v) => v.toFixed(4)).join(', ')}]: standardise with the training statistics, never the batch's`,
    ).toBeLessThan(1e-5);
    expect(await mod.predictProba(trained, []), 'predictProba(trained, []) should return []').toEqual([]);
    expect((await numTensors()) - before, 'numTensors growth after predictProba(trained, [])').toBe(0);
  });
});

describe('prediction', () => {
  test('predict never reads a label: scrambled weather fields change nothing', async () => {
    const random = seededRandom(99);
    const labelled = holdout.map((row) => ({ ...row, weather: WEATHER[Math.floor(random() * WEATHER.length)] }));
    const again = await mod.predict(trained, labelled as Day[]);
    const changed = again.findIndex((label, i) => label !== predicted[i]);
    expect(
      changed,
      changed < 0 ? '' : `${holdout[changed].date} was predicted ${predicted[changed]} without a label and ${again[changed]} with one`,
    ).toBe(-1);
  });

  test('a day gets the same prediction alone, in a batch, or in a shuffled batch', async () => {
    const random = seededRandom(7);
    const order = holdout.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const shuffledPredictions = await mod.predict(trained, order.map((i) => dayOf(holdout[i])));
    order.forEach((original, position) => {
      expect(
        shuffledPredictions[position],
        `${holdout[original].date} changed its prediction when the batch was reordered: standardise with the training statistics, never the batch's`,
      ).toBe(predicted[original]);
    });
    for (const i of [0, 100, 200, 364]) {
      const [alone] = await mod.predict(trained, [dayOf(holdout[i])]);
      expect(alone, `${holdout[i].date} predicted alone vs. in the holdout batch`).toBe(predicted[i]);
    }
    // A batch of dry days only has statistics of its own (no precipitation at all).
    const dry = holdout.flatMap((row, i) => (row.precipitation === 0 ? [i] : []));
    const dryPredictions = await mod.predict(trained, dry.map((i) => dayOf(holdout[i])));
    const moved = dry.findIndex((original, position) => dryPredictions[position] !== predicted[original]);
    expect(
      moved,
      moved < 0
        ? ''
        : `${holdout[dry[moved]].date} was predicted ${predicted[dry[moved]]} among all ${holdout.length} holdout days and ${dryPredictions[moved]} among the ${dry.length} dry days only: standardise with the training statistics, never the batch's`,
    ).toBe(-1);
  });

  test('predict leaks no tensors and handles an empty array', async () => {
    const days = holdout.map(dayOf);
    await mod.predict(trained, days.slice(0, 1));
    const before = await numTensors();
    await mod.predict(trained, days);
    await mod.predict(trained, days.slice(0, 1));
    expect((await numTensors()) - before, 'tf.memory().numTensors grew during predict: wrap it in tf.tidy or dispose').toBe(0);
    expect(await mod.predict(trained, []), 'predict(trained, []) should return []').toEqual([]);
    expect((await numTensors()) - before, 'numTensors growth after predict(trained, [])').toBe(0);
  });
});
