// Hidden suite for tensors-101: every function runs on vega-datasets' cars.json and is compared with the
// same computation in plain JavaScript (float64). Every call is also checked for tensor leaks: a function
// that returns a tensor must leave exactly that one new tensor, a function that returns numbers none,
// and no function may dispose or change the tensors it is given. Values are compared with the README's
// precision rule: |received - expected| <= 1e-3 * max(1, |expected|).
// The learner's module runs in its own solution host: every call is async, tensors come back as
// RemoteTensor (values plus a handle, still alive in the host), and tensor counts are the host's
// tf.memory() (host.memory()).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, loadSolution, vegaDataPath, type Remote, type RemoteTensor } from '@kata/harness';

type Row = Record<string, unknown>;

const COLUMNS = ['Miles_per_Gallon', 'Horsepower', 'Weight_in_lbs', 'Acceleration'];

/** The learner's src/tensors.ts: toTensor, columnStats, standardise, pairwiseDistances, nearest (remote). */
let mod: Remote;
let host: Host;
let cars: Row[];
/** The learner's tfjs engine (remote): its Engine class counts every tensor ever created. */
let engine: Remote;

beforeAll(async () => {
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend, before their module loads.
  const tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  engine = await tf.engine();
  mod = (await loadSolution('src/tensors.ts', { host })).module;
  cars = JSON.parse(readFileSync(vegaDataPath('cars.json'), 'utf8')) as Row[];
});

afterAll(async () => {
  await host?.close();
});

// ---- plain-JS reference computations (float64) -------------------------------------------------

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const matrixOf = (rows: Row[], columns: string[]) =>
  rows.filter((row) => columns.every((c) => isNumber(row[c]))).map((row) => columns.map((c) => row[c] as number));

function statsOf(matrix: number[][]): { mean: number[]; std: number[] } {
  const k = matrix[0].length;
  const mean = Array.from({ length: k }, (_, j) => matrix.reduce((s, r) => s + r[j], 0) / matrix.length);
  const std = mean.map((m, j) => Math.sqrt(matrix.reduce((s, r) => s + (r[j] - m) ** 2, 0) / matrix.length));
  return { mean, std };
}

function standardised(matrix: number[][]): number[][] {
  const { mean, std } = statsOf(matrix);
  return matrix.map((row) => row.map((v, j) => (std[j] === 0 ? 0 : (v - mean[j]) / std[j])));
}

const distance = (p: number[], q: number[]) => Math.sqrt(p.reduce((s, v, j) => s + (v - q[j]) ** 2, 0));

// ---- helpers ---------------------------------------------------------------------------------

/** tf.memory().numTensors of the learner's tfjs, in the solution host. */
async function numTensors(): Promise<number> {
  return (await host.memory())?.numTensors ?? 0;
}

/** Runs fn and returns its result with the change in the host's tf.memory().numTensors. */
async function withTensorCount<T>(fn: () => Promise<T>): Promise<{ result: T; grew: number }> {
  const before = await numTensors();
  const result = await fn();
  return { result, grew: (await numTensors()) - before };
}

async function expectUntouched(x: RemoteTensor, expected: number[][], what: string): Promise<void> {
  expect(await x.isDisposed(), `${what} was disposed: a function must not dispose the tensors it is given`).toBe(false);
  expect((await x.refresh()).array(), `${what} was changed: a function must not modify the tensors it is given`).toEqual(expected);
}

/** The README's precision rule: within 1e-3, or within 1e-3 x |expected| when |expected| > 1. */
const TOLERANCE = 1e-3;
const toleranceFor = (expected: number) => TOLERANCE * Math.max(1, Math.abs(expected));
const isClose = (actual: unknown, expected: number) =>
  typeof actual === 'number' && Math.abs(actual - expected) <= toleranceFor(expected);

/** Fails on the first value outside the precision rule, showing the expected and the received value. */
function expectValueClose(actual: unknown, expected: number, what: string): void {
  if (isClose(actual, expected)) return;
  expect(actual, `${what}, to within ${toleranceFor(expected).toPrecision(2)} (1e-3 x max(1, |expected|))`).toBe(expected);
}

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, `${what}: expected ${expected.length} values, got ${actual.length}`).toBe(expected.length);
  actual.forEach((v, i) => expectValueClose(v, expected[i], `${what}[${i}]`));
}

function expectMatrixClose(actual: number[][], expected: number[][], what: string): void {
  expect([actual.length, actual[0]?.length], `${what}: shape`).toEqual([expected.length, expected[0]?.length]);
  for (let i = 0; i < expected.length; i++) {
    for (let j = 0; j < expected[i].length; j++) expectValueClose(actual[i][j], expected[i][j], `${what}[${i}][${j}]`);
  }
}

/** How many tensors the learner's tfjs created (intermediates included, disposed or not) while fn ran. */
async function withTensorsCreated<T>(fn: () => Promise<T>): Promise<{ result: T; created: number }> {
  const before = (await engine.constructor.nextTensorId.$get()) as number;
  const result = await fn();
  return { result, created: ((await engine.constructor.nextTensorId.$get()) as number) - before };
}

/** What a call into the learner's code threw (it rejects across the host), or undefined if it returned. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  return undefined;
}

// Every tensor the suite creates itself (in the learner's tfjs, in the host) is disposed at the end of
// its test, so counts stay meaningful.
function input(matrix: number[][]): Promise<RemoteTensor> {
  return host.tensor(matrix, [matrix.length, matrix[0]?.length ?? 0], 'float32');
}

// ---- tests -------------------------------------------------------------------------------------

describe('toTensor', () => {
  test('builds a [n, k] float32 tensor of the complete rows, columns in the order asked', async () => {
    const { result: x, grew } = await withTensorCount<RemoteTensor>(() => mod.toTensor(cars, COLUMNS));
    const expected = matrixOf(cars, COLUMNS);
    expect(x.shape, `cars.json has ${expected.length} cars with all of ${COLUMNS.join(', ')}`).toEqual([expected.length, 4]);
    expect(x.dtype, 'dtype').toBe('float32');
    expect(grew, 'toTensor should create exactly one tensor: the one it returns').toBe(1);
    expectMatrixClose(x.array(), expected, 'toTensor(cars)');
    await x.dispose();

    const reordered = ['Weight_in_lbs', 'Cylinders'];
    const y: RemoteTensor = await mod.toTensor(cars, reordered);
    expect(y.shape, `every car has ${reordered.join(' and ')}`).toEqual([cars.length, 2]);
    expect(y.array()[0], `the first car's [Weight_in_lbs, Cylinders]`).toEqual([cars[0].Weight_in_lbs, cars[0].Cylinders]);
    await y.dispose();
  });

  test('an empty input or no complete row gives a [0, k] tensor', async () => {
    const empty: RemoteTensor = await mod.toTensor([], COLUMNS);
    expect(empty.shape, 'toTensor([], 4 columns)').toEqual([0, 4]);
    await empty.dispose();
    const noHorsepower = cars.filter((car) => car.Horsepower === null);
    const none: RemoteTensor = await mod.toTensor(noHorsepower, ['Horsepower']);
    expect(none.shape, `toTensor of the ${noHorsepower.length} cars whose Horsepower is null`).toEqual([0, 1]);
    await none.dispose();
  });
  test('a row is kept only when each asked-for value is a finite number (0 is one; null, missing, strings, NaN, ±Infinity are not)', async () => {
    // Two real cars; the second one's Horsepower is replaced by each case in turn.
    const columns = ['Horsepower', 'Weight_in_lbs'];
    const [first, second] = cars.filter((car) => columns.every((c) => isNumber(car[c]))).slice(0, 2);
    const cases: { label: string; value: unknown; kept: boolean }[] = [
      { label: '0', value: 0, kept: true },
      { label: '-0.5 (negative, not an integer)', value: -0.5, kept: true },
      { label: 'null', value: null, kept: false },
      { label: 'missing (no such key)', value: undefined, kept: false },
      { label: "the string '130'", value: '130', kept: false },
      { label: 'the empty string', value: '', kept: false },
      { label: 'NaN', value: NaN, kept: false },
      { label: 'Infinity', value: Infinity, kept: false },
      { label: '-Infinity', value: -Infinity, kept: false },
      { label: 'true', value: true, kept: false },
    ];
    for (const { label, value, kept } of cases) {
      const variant: Row = { ...second };
      if (value === undefined) delete variant.Horsepower;
      else variant.Horsepower = value;
      const expected = matrixOf([first, variant], columns);
      const { result: x, grew } = await withTensorCount<RemoteTensor>(() => mod.toTensor([first, variant], columns));
      expect(grew, `toTensor should create exactly one tensor: the one it returns (Horsepower ${label})`).toBe(1);
      expect(
        x.shape,
        `a row whose Horsepower is ${label} should be ${kept ? 'kept' : 'skipped'} (only finite numbers count): expected shape [${expected.length}, 2]`,
      ).toEqual([expected.length, 2]);
      expectMatrixClose(x.array(), expected, `toTensor with Horsepower ${label}`);
      await x.dispose();
    }
    // A column that is not asked for does not matter: Miles_per_Gallon is null here, the row is kept.
    const noMpg = cars.find((car) => car.Miles_per_Gallon === null && isNumber(car.Horsepower) && isNumber(car.Weight_in_lbs));
    const y: RemoteTensor = await mod.toTensor([noMpg], columns);
    expect(y.shape, 'a null in a column that was not asked for (Miles_per_Gallon) does not skip the row').toEqual([1, 2]);
    await y.dispose();
  });
});

describe('columnStats', () => {
  test('mean and population std of each column, as plain numbers', async () => {
    const matrix = matrixOf(cars, COLUMNS);
    const x = await input(matrix);
    const snapshot = x.array();
    const { result, grew } = await withTensorCount<{ mean: number[]; std: number[] }>(() => mod.columnStats(x));
    const expected = statsOf(matrix);
    expect(grew, 'columnStats returns numbers, so it should leave no tensor behind').toBe(0);
    expect(Array.isArray(result.mean) && Array.isArray(result.std), 'columnStats should return { mean: number[], std: number[] }').toBe(true);
    expectClose(result.mean, expected.mean, 'mean');
    expectClose(result.std, expected.std, 'std (population: divide by n)');
    await expectUntouched(x, snapshot, 'the input of columnStats');
    await x.dispose();
  });

  test('population std on a small sample, where dividing by n - 1 differs by 4%', async () => {
    const matrix = matrixOf(cars, COLUMNS).slice(40, 52); // 12 cars
    const x = await input(matrix);
    const { result, grew } = await withTensorCount<{ mean: number[]; std: number[] }>(() => mod.columnStats(x));
    expect(grew, 'columnStats returns numbers, so it should leave no tensor behind').toBe(0);
    const expected = statsOf(matrix);
    expectClose(result.mean, expected.mean, 'mean of 12 cars');
    expectClose(result.std, expected.std, 'population std of 12 cars (divide by n = 12, not n - 1)');
    await x.dispose();
  });

  test('works on a single row (std 0) without leaking', async () => {
    const row = matrixOf(cars, COLUMNS).slice(7, 8);
    const x = await input(row);
    const { result, grew } = await withTensorCount<{ mean: number[]; std: number[] }>(() => mod.columnStats(x));
    expect(grew, 'tensors left behind').toBe(0);
    expectClose(result.mean, row[0], 'mean of one row');
    expectClose(result.std, [0, 0, 0, 0], 'std of one row');
    await x.dispose();
  });
});

describe('standardise', () => {
  test('subtracts the column mean and divides by the column std', async () => {
    const matrix = matrixOf(cars, COLUMNS);
    const x = await input(matrix);
    const snapshot = x.array();
    const { result: z, grew } = await withTensorCount<RemoteTensor>(() => mod.standardise(x));
    await expectUntouched(x, snapshot, 'the input of standardise');
    expect(grew, 'standardise should leave exactly one new tensor: the one it returns').toBe(1);
    expect(z.shape, 'standardise keeps the shape').toEqual(x.shape);
    expectMatrixClose(z.array(), standardised(matrix), 'standardise(cars)');
    await z.dispose();
    await x.dispose();
  });

  test('a constant column becomes zeros, not NaN', async () => {
    // Every 8-cylinder car: the Cylinders column is constant.
    const matrix = matrixOf(
      cars.filter((car) => car.Cylinders === 8),
      ['Cylinders', 'Horsepower', 'Weight_in_lbs'],
    );
    const x = await input(matrix);
    const { result: z, grew } = await withTensorCount<RemoteTensor>(() => mod.standardise(x));
    expect(await x.isDisposed(), 'standardise must not dispose its input').toBe(false);
    expect(grew, 'tensors left behind besides the result').toBe(1);
    const values = z.array() as number[][];
    const notZero = values.map((row) => row[0]).filter((v) => v !== 0);
    expect(notZero, 'values of the standardised Cylinders column (std 0) that are not 0').toEqual([]);
    expectMatrixClose(values, standardised(matrix), 'standardise(8-cylinder cars)');
    await z.dispose();
    await x.dispose();
  });
  test('works on the whole tensor: the number of tensors it creates does not grow with the number of rows', async () => {
    const matrix = matrixOf(cars, COLUMNS);
    const small = await input(matrix.slice(0, 20));
    const large = await input(matrix);
    const few = await withTensorsCreated<RemoteTensor>(() => mod.standardise(small));
    const many = await withTensorsCreated<RemoteTensor>(() => mod.standardise(large));
    expect(
      many.created,
      `standardise created ${few.created} tensors on 20 rows, ${many.created} on ${matrix.length}: the count must not grow with n (broadcast; no tensor per row)`,
    ).toBeLessThan(few.created + 20);
    expectMatrixClose(many.result.array(), standardised(matrix), 'standardise(cars)');
    for (const t of [few.result, many.result, small, large]) await t.dispose();
  });
});

describe('pairwiseDistances', () => {
  test('a [n, k] and a [m, k] tensor give the [n, m] Euclidean distances', async () => {
    const matrix = standardised(matrixOf(cars, COLUMNS));
    const a = await input(matrix.slice(0, 25));
    const b = await input(matrix.slice(100, 140));
    const { result: d, grew } = await withTensorCount<RemoteTensor>(() => mod.pairwiseDistances(a, b));
    expect(grew, 'pairwiseDistances should leave exactly one new tensor: the one it returns').toBe(1);
    expect(d.shape, 'distances between 25 and 40 rows').toEqual([25, 40]);
    const expected = matrix.slice(0, 25).map((p) => matrix.slice(100, 140).map((q) => distance(p, q)));
    expectMatrixClose(d.array(), expected, 'distance (standardised rows)');
    await expectUntouched(a, matrix.slice(0, 25).map((r) => r.map(Math.fround)), 'a');
    await expectUntouched(b, matrix.slice(100, 140).map((r) => r.map(Math.fround)), 'b');
    await d.dispose();
    await a.dispose();
    await b.dispose();
  });

  test('raw, unscaled columns (weights in the thousands) keep the precision: subtract first, then square', async () => {
    // |a|^2 + |b|^2 - 2 a.b cancels in float32 here: squared norms near 1e7 leave errors near 1 in distances near 1.
    const matrix = matrixOf(cars, COLUMNS);
    const rows = matrix.slice(0, 80);
    const expected = rows.map((p) => matrix.map((q) => distance(p, q)));
    const a = await input(rows);
    const b = await input(matrix);
    const { result: d, grew } = await withTensorCount<RemoteTensor>(() => mod.pairwiseDistances(a, b));
    expect(grew, 'pairwiseDistances should leave exactly one new tensor: the one it returns').toBe(1);
    expect(d.shape, `distances between 80 and ${matrix.length} rows`).toEqual([80, matrix.length]);
    expectMatrixClose(d.array(), expected, 'distance between raw rows');
    await d.dispose();
    await a.dispose();
    await b.dispose();
  });

  test("a tensor's distances to itself: zeros on the diagonal, no NaN, symmetric", async () => {
    const matrix = standardised(matrixOf(cars, COLUMNS)).slice(0, 60);
    const x = await input(matrix);
    const d: RemoteTensor = await mod.pairwiseDistances(x, x);
    const values = d.array() as number[][];
    const nan = values.flat().filter((v) => Number.isNaN(v)).length;
    expect(nan, 'NaN distances (a square root of a slightly negative number?)').toBe(0);
    expectClose(values.map((row, i) => row[i]), matrix.map(() => 0), 'diagonal of pairwiseDistances(x, x)');
    expectMatrixClose(values, values[0].map((_, j) => values.map((row) => row[j])), 'transpose of the distances');
    await d.dispose();
    await x.dispose();
  });

  test('rows of different lengths are rejected with an Error, leaking nothing', async () => {
    // [5, 1, 4] - [1, 5, 1] would broadcast without complaint: the check has to be explicit.
    const a = await input(matrixOf(cars, COLUMNS).slice(0, 5));
    const b = await input(matrixOf(cars, COLUMNS.slice(0, 1)).slice(0, 5));
    const before = await numTensors();
    const error = await rejection(mod.pairwiseDistances(a, b));
    expect(error, 'pairwiseDistances of a [5, 4] and a [5, 1] tensor should throw an Error object').toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(/\b4\b/.test(message) && /\b1\b/.test(message), `the Error's message should give both column counts (4 and 1), so the caller sees what did not match; it was ${JSON.stringify(message)}`).toBe(true);
    expect((await numTensors()) - before, 'tensors left behind by the failed call').toBe(0);
    await a.dispose();
    await b.dispose();
  });
});

describe('nearest', () => {
  test('finds the closest reference row for every query row', async () => {
    const matrix = standardised(matrixOf(cars, COLUMNS));
    const query = matrix.filter((_, i) => i % 9 === 0); // 44 cars
    const reference = matrix.filter((_, i) => i % 9 !== 0); // the other 348
    const q = await input(query);
    const r = await input(reference);
    const { result, grew } = await withTensorCount<number[]>(() => mod.nearest(q, r));
    expect(grew, 'nearest returns numbers, so it should leave no tensor behind').toBe(0);
    expect(Array.isArray(result), 'nearest should return a number[]').toBe(true);
    expect(result.length, 'one index per query row').toBe(query.length);
    query.forEach((p, i) => {
      const best = Math.min(...reference.map((ref) => distance(p, ref)));
      const chosen = reference[result[i]];
      expect(chosen, `nearest(...)[${i}] = ${result[i]} is not a row of reference`).toBeDefined();
      const closest = reference.findIndex((ref) => distance(p, ref) === best);
      expectValueClose(distance(p, chosen), best, `query row ${i}: the distance to reference row ${result[i]} (closest: row ${closest})`);
    });
    await expectUntouched(q, query.map((row) => row.map(Math.fround)), 'query');
    await q.dispose();
    await r.dispose();
  });

  test('a row present in the reference is its own nearest neighbour; ties go to the lower index', async () => {
    const matrix = matrixOf(cars, COLUMNS).slice(0, 30);
    const reference = await input([...matrix, ...matrix]); // every row twice: rows i and i + 30 tie
    const query = await input(matrix.slice(10, 20));
    const result: number[] = await mod.nearest(query, reference);
    expect(result, 'rows 10-19 of the reference, each found at its lower index').toEqual(
      Array.from({ length: 10 }, (_, i) => 10 + i).map((i) => matrix.findIndex((row) => row.every((v, j) => v === matrix[i][j]))),
    );
    await reference.dispose();
    await query.dispose();
  });

  test('an empty reference throws an Error (there is no closest row), leaking nothing', async () => {
    const query = await input(matrixOf(cars, COLUMNS).slice(0, 3));
    const reference: RemoteTensor = await host.tensor([], [0, COLUMNS.length], 'float32');
    const before = await numTensors();
    const error = await rejection(mod.nearest(query, reference));
    expect(error, 'nearest(a [3, 4] query, a [0, 4] reference) should throw an Error object, not return an index that is no row').toBeInstanceOf(Error);
    expect((await numTensors()) - before, 'tensors left behind by the failed call').toBe(0);
    await reference.dispose();
    await query.dispose();
  });
});
