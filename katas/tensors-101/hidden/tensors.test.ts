// Hidden suite for tensors-101: every function runs on vega-datasets' cars.json and is compared with the
// same computation in plain JavaScript (float64). Every call is also checked for tensor leaks: a function
// that returns a tensor must leave exactly that one new tensor, a function that returns numbers none,
// and no function may dispose or change the tensors it is given.
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

beforeAll(async () => {
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend, before their module loads.
  const tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
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
  expect((await x.refresh()).array(), `${what} was changed`).toEqual(expected);
}

function expectClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  expect(actual.length, `${what}: expected ${expected.length} values, got ${actual.length}`).toBe(expected.length);
  actual.forEach((v, i) => {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(
      Math.abs(v - expected[i]) / scale,
      `${what}[${i}] should be ${expected[i].toPrecision(6)}, got ${v}`,
    ).toBeLessThan(tolerance);
  });
}

function expectMatrixClose(actual: number[][], expected: number[][], tolerance: number, what: string): void {
  expect([actual.length, actual[0]?.length], `${what}: shape`).toEqual([expected.length, expected[0]?.length]);
  for (let i = 0; i < expected.length; i++) {
    for (let j = 0; j < expected[i].length; j++) {
      const v = actual[i][j];
      if (!(Math.abs(v - expected[i][j]) < tolerance)) {
        expect(v, `${what}[${i}][${j}] should be ${expected[i][j].toPrecision(6)}`).toBeCloseTo(expected[i][j], 3);
      }
    }
  }
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
    expectMatrixClose(x.array(), expected, 1e-3, 'toTensor(cars)');
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
    expectClose(result.mean, expected.mean, 1e-4, 'mean');
    expectClose(result.std, expected.std, 1e-4, 'std (population: divide by n)');
    await expectUntouched(x, snapshot, 'the input of columnStats');
    await x.dispose();
  });

  test('works on a single row (std 0) without leaking', async () => {
    const row = matrixOf(cars, COLUMNS).slice(7, 8);
    const x = await input(row);
    const { result, grew } = await withTensorCount<{ mean: number[]; std: number[] }>(() => mod.columnStats(x));
    expect(grew, 'tensors left behind').toBe(0);
    expectClose(result.mean, row[0], 1e-4, 'mean of one row');
    expectClose(result.std, [0, 0, 0, 0], 1e-4, 'std of one row');
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
    expectMatrixClose(z.array(), standardised(matrix), 1e-3, 'standardise(cars)');
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
    expectMatrixClose(values, standardised(matrix), 1e-3, 'standardise(8-cylinder cars)');
    await z.dispose();
    await x.dispose();
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
    expectMatrixClose(d.array(), expected, 1e-3, 'distance');
    await expectUntouched(a, matrix.slice(0, 25).map((r) => r.map(Math.fround)), 'a');
    await expectUntouched(b, matrix.slice(100, 140).map((r) => r.map(Math.fround)), 'b');
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
    expectClose(values.map((row, i) => row[i]), matrix.map(() => 0), 1e-2, 'diagonal');
    expectMatrixClose(values, values[0].map((_, j) => values.map((row) => row[j])), 1e-3, 'transpose of the distances');
    await d.dispose();
    await x.dispose();
  });

  test('rows of different lengths are rejected with an Error, leaking nothing', async () => {
    // [5, 1, 4] - [1, 5, 1] would broadcast without complaint: the check has to be explicit.
    const a = await input(matrixOf(cars, COLUMNS).slice(0, 5));
    const b = await input(matrixOf(cars, COLUMNS.slice(0, 1)).slice(0, 5));
    const before = await numTensors();
    const error = await rejection(mod.pairwiseDistances(a, b));
    expect(error, 'pairwiseDistances of a [5, 4] and a [5, 1] tensor should throw').toBeInstanceOf(Error);
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
      expect(
        distance(p, chosen),
        `query row ${i}: reference row ${result[i]} is not the closest (closest distance ${best.toFixed(4)})`,
      ).toBeCloseTo(best, 3);
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
});
