// Hidden suite for weather-classifier, part 1: the learner's confusionMatrix and macroF1, checked against
// this suite's own computation on hand-made inputs and on the real holdout labels. The learner's code runs
// in the solution host: every call is async, and what it throws arrives as a rejection with the error's
// name and message.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { judgeFixturePath, loadSolution, seededRandom, type Host, type Remote } from '@kata/harness';

interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}
/** Arguments may also be remote arrays (see `heldInHost`). */
interface MetricsModule {
  confusionMatrix(actual: string[] | Remote, predicted: string[] | Remote): Promise<ConfusionMatrix>;
  macroF1(actual: string[] | Remote, predicted: string[] | Remote): Promise<number>;
}
interface Row {
  date: string;
  precipitation: number;
  temp_max: number;
  temp_min: number;
  wind: number;
  weather: string;
}

const WEATHER = ['drizzle', 'fog', 'rain', 'snow', 'sun'];

/** This suite's own confusion matrix: sorted labels, rows = actual, columns = predicted. */
function expectedMatrix(actual: string[], predicted: string[]): ConfusionMatrix {
  const labels = [...new Set([...actual, ...predicted])].sort();
  const matrix = labels.map((a) => labels.map((p) => actual.filter((label, i) => label === a && predicted[i] === p).length));
  return { labels, matrix };
}

/** This suite's own macro-F1: per-class 2TP/(2TP+FP+FN), 0 without a true positive, averaged. */
function expectedMacroF1(actual: string[], predicted: string[]): number {
  const labels = [...new Set([...actual, ...predicted])];
  const f1s = labels.map((label) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    actual.forEach((a, i) => {
      if (a === label && predicted[i] === label) tp++;
      else if (predicted[i] === label) fp++;
      else if (a === label) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return f1s.reduce((s, f) => s + f, 0) / f1s.length;
}

// A hand-made case: drizzle is only ever predicted, fog is never predicted, rain and sun are mixed up.
const ACTUAL = ['sun', 'rain', 'rain', 'fog', 'sun', 'snow', 'rain'];
const PREDICTED = ['sun', 'sun', 'rain', 'sun', 'drizzle', 'snow', 'rain'];

let host: Host;
let mod: MetricsModule;
let holdout: Row[];
let truth: string[];

/**
 * Copies of `values` kept in the solution host, as remote arrays: passed to the learner's function they
 * are the host's own objects, not fresh copies, so reading them back afterwards shows whether it changed them.
 */
async function heldInHost(...values: unknown[]): Promise<Remote[]> {
  const holder = await host.instrument('recorder');
  await holder.record(...values);
  return values.map((_, i) => holder.entries[0][i]);
}

/**
 * The name of the error a call into the learner's code threw (it arrives as a rejection carrying the
 * error's name and message), or what the call returned instead.
 */
function errorNameOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    (value) => `no error: it returned ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`,
    (error: Error) => error.name,
  );
}

beforeAll(async () => {
  ({ module: mod, host } = (await loadSolution('src/metrics.ts')) as { module: MetricsModule; host: Host });
  holdout = JSON.parse(readFileSync(judgeFixturePath('seattle-weather-holdout.json'), 'utf8')) as Row[];
  truth = holdout.map((row) => row.weather);
});

afterAll(async () => {
  await host?.close();
});

describe('confusionMatrix', () => {
  test('a hand-made case: sorted labels, rows are the actual class, columns the predicted one', async () => {
    const result = await mod.confusionMatrix([...ACTUAL], [...PREDICTED]);
    expect(
      result,
      `confusionMatrix(${JSON.stringify(ACTUAL)}, ${JSON.stringify(PREDICTED)}) returned ${JSON.stringify(result)}; drizzle is only predicted, yet it is a label`,
    ).toEqual({
      labels: ['drizzle', 'fog', 'rain', 'snow', 'sun'],
      matrix: [
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 2, 0, 1],
        [0, 0, 0, 1, 0],
        [1, 0, 0, 0, 1],
      ],
    });
  });

  test('works for any string labels and does not reorder its inputs', async () => {
    // The arrays as the host holds them, so that sorting them in place is seen here.
    const [given, givenPredicted] = await heldInHost(['b', 'a', 'c', 'b'], ['a', 'a', 'b', 'b']);
    const result = await mod.confusionMatrix(given, givenPredicted);
    const actual = await given.$get();
    const predicted = await givenPredicted.$get();
    expect(result, `confusionMatrix(["b","a","c","b"], ["a","a","b","b"]) returned ${JSON.stringify(result)}`).toEqual({
      labels: ['a', 'b', 'c'],
      matrix: [
        [1, 0, 0],
        [1, 1, 0],
        [0, 1, 0],
      ],
    });
    expect(actual, 'confusionMatrix must not sort or change the arrays it is given').toEqual(['b', 'a', 'c', 'b']);
    expect(predicted, 'confusionMatrix must not sort or change the arrays it is given').toEqual(['a', 'a', 'b', 'b']);
  });

  test('labels are in Array.prototype.sort order (code units), mixed case and punctuation included', async () => {
    // Default sort order puts every upper-case letter before every lower-case one and '_' between them;
    // localeCompare would interleave them (rain, Rain, sun, Sun) and place '_fog' first.
    const actual = ['sun', 'Rain', 'rain', '_fog', 'Sun', 'rain', 'sun', 'Rain'];
    const predicted = ['Sun', 'rain', 'rain', 'sun', 'Sun', 'Rain', 'sun', '_fog'];
    const expected = expectedMatrix(actual, predicted);
    const result = await mod.confusionMatrix(actual, predicted);
    expect(
      result?.labels,
      `confusionMatrix(${JSON.stringify(actual)}, ${JSON.stringify(predicted)}).labels should be sorted as [...labels].sort() sorts them (UTF-16 code units)`,
    ).toEqual(expected.labels);
    expect(result?.matrix, `the matrix, rows and columns in the order ${JSON.stringify(expected.labels)}`).toEqual(expected.matrix);
  });

  test('matches a matrix computed from the real holdout labels and a rain-or-sun rule', async () => {
    const rule = holdout.map((row) => (row.precipitation > 0 ? 'rain' : 'sun'));
    const expected = expectedMatrix(truth, rule);
    const result = await mod.confusionMatrix(truth, rule);
    expect(
      result,
      `confusionMatrix(holdout labels, "rain if precipitation > 0 else sun") should be ${JSON.stringify(expected)}, got ${JSON.stringify(result)}`,
    ).toEqual(expected);
    const total = expected.matrix.flat().reduce((s, n) => s + n, 0);
    expect(total).toBe(holdout.length);
  });

  test('an empty input gives an empty matrix; different lengths throw a RangeError', async () => {
    expect(await mod.confusionMatrix([], []), 'confusionMatrix([], [])').toEqual({ labels: [], matrix: [] });
    expect(await errorNameOf(mod.confusionMatrix(['rain', 'sun'], ['rain'])), 'confusionMatrix(2 labels, 1 prediction) should throw a RangeError').toBe(
      'RangeError',
    );
  });
});

describe('macroF1', () => {
  test('a hand-made case: classes without a true positive score 0 and still count in the mean', async () => {
    // drizzle 0, fog 0, rain 0.8, snow 1, sun 0.4
    const value = await mod.macroF1([...ACTUAL], [...PREDICTED]);
    expect(typeof value, 'macroF1 should return a number').toBe('number');
    expect(value, `macroF1(${JSON.stringify(ACTUAL)}, ${JSON.stringify(PREDICTED)}) should be 0.44`).toBeCloseTo(0.44, 10);
  });

  test('perfect predictions score 1, whatever the class balance', async () => {
    expect(await mod.macroF1(truth, [...truth]), 'macroF1(holdout labels, the same labels)').toBeCloseTo(1, 10);
    expect(await mod.macroF1(['snow'], ['snow']), 'macroF1(["snow"], ["snow"])').toBeCloseTo(1, 10);
  });

  test('is not accuracy: predicting the majority class everywhere scores low', async () => {
    for (const constant of ['rain', 'sun']) {
      const predicted = truth.map(() => constant);
      const expected = expectedMacroF1(truth, predicted);
      const accuracy = truth.filter((label) => label === constant).length / truth.length;
      expect(
        await mod.macroF1(truth, predicted),
        `macroF1 of predicting "${constant}" for every holdout day should be ${expected.toFixed(4)} (its accuracy is ${accuracy.toFixed(3)})`,
      ).toBeCloseTo(expected, 10);
    }
  });

  test('matches this suite on seeded random predictions over the real holdout labels', async () => {
    const random = seededRandom(2015);
    for (let round = 0; round < 3; round++) {
      // Skewed guesses, so some classes are over- and some under-predicted.
      const predicted = truth.map((label) => (random() < 0.5 ? label : WEATHER[Math.floor(random() ** 2 * WEATHER.length)]));
      const expected = expectedMacroF1(truth, predicted);
      expect(await mod.macroF1(truth, predicted), `macroF1 on random predictions, round ${round + 1}`).toBeCloseTo(expected, 10);
    }
  });

  test('does not sort or change the arrays it is given', async () => {
    // Unsorted, so that sorting either array in place is seen; the arrays stay in the host.
    const actual = ['sun', 'rain', 'fog', 'rain', 'drizzle', 'sun'];
    const predicted = ['rain', 'rain', 'sun', 'fog', 'drizzle', 'sun'];
    const [givenActual, givenPredicted] = await heldInHost(actual, predicted);
    const value = await mod.macroF1(givenActual, givenPredicted);
    expect(value, `macroF1(${JSON.stringify(actual)}, ${JSON.stringify(predicted)})`).toBeCloseTo(expectedMacroF1(actual, predicted), 10);
    expect(await givenActual.$get(), 'macroF1 must not sort or change its first argument (actual)').toEqual(actual);
    expect(await givenPredicted.$get(), 'macroF1 must not sort or change its second argument (predicted)').toEqual(predicted);
  });

  test('empty input or different lengths throw a RangeError', async () => {
    expect(await errorNameOf(mod.macroF1([], [])), 'macroF1([], []) has nothing to score: it should throw a RangeError').toBe('RangeError');
    expect(await errorNameOf(mod.macroF1(['rain'], ['rain', 'sun'])), 'macroF1(1 label, 2 predictions) should throw a RangeError').toBe(
      'RangeError',
    );
  });
});
