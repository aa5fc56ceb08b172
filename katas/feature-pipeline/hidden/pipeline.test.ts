// Hidden suite for feature-pipeline. The learner's fit() is run on seeded splits of vega-datasets' cars
// and penguins; every expected statistic and every expected cell is computed here, in plain JS, from the
// rows fit() was given — so statistics taken from any other rows (the whole file, the rows being
// transformed) show up as a mismatch. The learner's module runs in the solution host: every call is
// async and its arguments and results cross as structured clones; tensors come back as RemoteTensor and
// tensor counts are the host's tf.memory().
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, RemoteTensor, fixturePath, judgeFixturePath, loadSolution, seededRandom, vegaDataPath, type Remote } from '@kata/harness';

type Row = Record<string, unknown>;
interface FeatureSpec {
  numeric: string[];
  categorical: string[];
}
interface NumericStats {
  column: string;
  mean: number;
  std: number;
  median: number;
}
interface CategoricalStats {
  column: string;
  categories: string[];
  mode: string;
}
interface Pipeline {
  numeric: NumericStats[];
  categorical: CategoricalStats[];
}
/** The learner's src/pipeline.ts, remote: every function is async. Arguments may also be remote values. */
interface Solution {
  fit(rows: Row[] | Remote, spec: FeatureSpec | Remote): Promise<Pipeline | Remote>;
  transform(pipeline: Pipeline | Remote, rows: Row[] | Remote): Promise<number[][]>;
  featureNames(pipeline: Pipeline | Remote): Promise<string[]>;
  toTensor(pipeline: Pipeline | Remote, rows: Row[]): Promise<RemoteTensor>;
}

const CARS_SPEC: FeatureSpec = {
  numeric: ['Miles_per_Gallon', 'Horsepower', 'Weight_in_lbs', 'Acceleration'],
  categorical: ['Origin'],
};
const PENGUIN_SPEC: FeatureSpec = {
  numeric: ['Beak Length (mm)', 'Body Mass (g)', 'Flipper Length (mm)'],
  categorical: ['Island', 'Sex'],
};
/** Relative tolerance for statistics and cells (float32 arithmetic in tfjs is fine; n-1 is not). */
const TOLERANCE = 1e-5;

// ---- Plain-JS reference computations -------------------------------------------------------------

const present = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numericStats(rows: Row[], column: string): NumericStats {
  const values = rows.map((r) => r[column]).filter(present);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sorted = [...values].sort((a, b) => a - b);
  // The README: a column whose present values are all equal is constant, with std exactly 0.
  const std = sorted[0] === sorted[n - 1] ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { column, mean, std, median };
}

function categoricalStats(rows: Row[], column: string): CategoricalStats {
  const counts: Record<string, number> = {};
  for (const r of rows) if (typeof r[column] === 'string') counts[r[column] as string] = (counts[r[column] as string] ?? 0) + 1;
  const categories = Object.keys(counts).sort();
  let mode = categories[0];
  for (const c of categories) if (counts[c] > counts[mode]) mode = c;
  return { column, categories, mode };
}

function expectedPipeline(rows: Row[], spec: FeatureSpec): Pipeline {
  return {
    numeric: spec.numeric.map((c) => numericStats(rows, c)),
    categorical: spec.categorical.map((c) => categoricalStats(rows, c)),
  };
}

function expectedRow(p: Pipeline, row: Row): number[] {
  return [
    ...p.numeric.map((s) => {
      const v = present(row[s.column]) ? (row[s.column] as number) : s.median;
      return s.std === 0 ? 0 : (v - s.mean) / s.std;
    }),
    ...p.categorical.flatMap((s) => {
      const v = typeof row[s.column] === 'string' ? row[s.column] : s.mode;
      return s.categories.map((c) => (c === v ? 1 : 0));
    }),
  ];
}

const close = (actual: unknown, expected: number) =>
  typeof actual === 'number' && Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected));

/** Every mismatching cell as "row i (name), feature: expected x, got y", at most 5. */
function cellMismatches(actual: unknown, expected: number[][], names: string[], label: (i: number) => string): string {
  if (!Array.isArray(actual)) return `transform returned ${typeof actual}, expected number[][]`;
  if (actual.length !== expected.length) return `transform returned ${actual.length} rows for ${expected.length}`;
  const problems: string[] = [];
  expected.forEach((row, i) => {
    const got = actual[i] as unknown;
    if (!Array.isArray(got) || got.length !== row.length) {
      problems.push(`row ${i} (${label(i)}) has ${Array.isArray(got) ? got.length : typeof got} values, expected ${row.length}`);
      return;
    }
    row.forEach((want, j) => {
      if (!close(got[j], want)) problems.push(`row ${i} (${label(i)}), ${names[j]}: expected ${want}, got ${got[j]}`);
    });
  });
  return problems.slice(0, 5).join('; ');
}

function seededSplit<T>(rows: T[], seed: number, fitFraction: number): { fitRows: T[]; otherRows: T[] } {
  const random = seededRandom(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cut = Math.round(rows.length * fitFraction);
  return { fitRows: order.slice(0, cut).map((i) => rows[i]), otherRows: order.slice(cut).map((i) => rows[i]) };
}

const readJson = (file: string): Row[] => JSON.parse(readFileSync(file, 'utf8')) as Row[];

// ---- Setup ---------------------------------------------------------------------------------------

let host: Host;
let solution: Solution;
let cars: Row[];
let penguins: Row[];
let carSplit: { fitRows: Row[]; otherRows: Row[] };
let penguinSplit: { fitRows: Row[]; otherRows: Row[] };

beforeAll(async () => {
  host = await Host.start();
  // The learner's tfjs on the pure-JS backend, before their module loads.
  const tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  solution = (await loadSolution('src/pipeline.ts', { host })).module as Solution;
  cars = readJson(vegaDataPath('cars.json'));
  penguins = readJson(vegaDataPath('penguins.json'));
  carSplit = seededSplit(cars, 2024, 0.7);
  penguinSplit = seededSplit(penguins, 5, 0.6);
});

afterAll(async () => {
  await host?.close();
});

/** tf.memory().numTensors of the learner's tfjs, in the solution host. */
async function numTensors(): Promise<number> {
  return (await host.memory())?.numTensors ?? 0;
}

/** A value that stayed in the host (a class instance, a function): its members are read with `$get()`. */
const isRemote = (value: unknown): value is Remote => typeof value === 'function' && typeof (value as Remote).$type === 'string';

/** Pipelines that fit() returned as a class instance, which stays in the host: the data read from it → the instance. */
const instances = new WeakMap<object, Remote>();

/** A pipeline's data as the checks read it: a plain object crosses as it is; an instance's fields are read. */
async function pipelineData(p: Pipeline | Remote): Promise<Pipeline> {
  if (!isRemote(p)) return p as Pipeline;
  return { numeric: await p.numeric.$get(), categorical: await p.categorical.$get() } as Pipeline;
}

/** What to hand back to the learner's code for a pipeline fitOn returned: the instance itself, if it was one. */
const inHost = (p: Pipeline): Pipeline | Remote => instances.get(p) ?? p;

/**
 * Copies of `values` kept in the solution host, as remote values: passed to the learner's function they
 * are the host's own objects, not fresh copies, so reading them back afterwards shows whether it changed them.
 */
async function heldInHost(...values: unknown[]): Promise<Remote[]> {
  const holder = await host.instrument('recorder');
  await holder.record(...values);
  return values.map((_, i) => holder.entries[0][i]);
}

/**
 * What a call into the learner's code threw: its message if it was an Error, or a note saying what was
 * thrown or returned instead (so that a check for the column's name fails with the reason).
 */
async function thrownMessage(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    // An Error crosses from the host with its name and message; anything else thrown crosses as itself.
    if (error instanceof Error || (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string' && typeof (error as Error).name === 'string')) {
      return (error as Error).message;
    }
    return `(not an Error: it threw the ${typeof error} ${JSON.stringify(error)})`;
  }
  return '(nothing was thrown: it returned)';
}

/** The learner's fit; its rows and spec cross as copies, so an in-place change cannot alter the reference rows. */
async function fitOn(rows: Row[], spec: FeatureSpec): Promise<Pipeline> {
  const fitted = await solution.fit(rows, spec);
  const data = await pipelineData(fitted);
  if (isRemote(fitted)) instances.set(data, fitted);
  return data;
}
const transformOn = (p: Pipeline, rows: Row[]): Promise<number[][]> => solution.transform(inHost(p), rows);
const carName = (rows: Row[]) => (i: number) => String(rows[i].Name);
const penguinName = (rows: Row[]) => (i: number) => `${rows[i].Species} on ${rows[i].Island}`;

/** Compares fitted statistics with the reference and, on a mismatch, says which rows they came from. */
function compareStats(actual: Pipeline, fitRows: Row[], allRows: Row[], spec: FeatureSpec, otherRows: Row[]): string {
  const problems: string[] = [];
  const numeric = (actual?.numeric ?? []) as unknown[];
  spec.numeric.forEach((column, i) => {
    const want = numericStats(fitRows, column);
    const got = numeric[i] as Partial<NumericStats> | undefined;
    if (got?.column !== column) {
      problems.push(`numeric[${i}] should describe "${column}", got ${JSON.stringify(got?.column)}`);
      return;
    }
    for (const key of ['mean', 'std', 'median'] as const) {
      if (close(got[key], want[key])) continue;
      let why = '';
      if (close(got[key], numericStats(allRows, column)[key])) why = ' — that is its value over ALL rows: fit only on the rows you are given';
      else if (close(got[key], numericStats(otherRows, column)[key])) why = ' — that is its value over the rows being transformed';
      else if (key === 'std') {
        const n = fitRows.map((r) => r[column]).filter(present).length;
        if (close(got.std, want.std * Math.sqrt(n / (n - 1)))) why = ' — that is the sample (n-1) standard deviation';
      }
      problems.push(`${column} ${key}: expected ${want[key]} over the ${fitRows.length} fitting rows, got ${got[key]}${why}`);
    }
  });
  const categorical = (actual?.categorical ?? []) as unknown[];
  spec.categorical.forEach((column, i) => {
    const want = categoricalStats(fitRows, column);
    const got = categorical[i] as Partial<CategoricalStats> | undefined;
    if (JSON.stringify({ column: got?.column, categories: got?.categories, mode: got?.mode }) !== JSON.stringify(want)) {
      problems.push(`categorical[${i}]: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  });
  return problems.slice(0, 6).join('; ');
}

// ---- Tests ---------------------------------------------------------------------------------------

describe('feature-pipeline', async () => {
  test('numeric statistics come from the rows passed to fit, and only those (cars)', async () => {
    const p = await fitOn(carSplit.fitRows, CARS_SPEC);
    expect(
      compareStats(p, carSplit.fitRows, cars, { numeric: CARS_SPEC.numeric, categorical: [] }, carSplit.otherRows),
      `fit on a seeded ${carSplit.fitRows.length}-row split of cars.json, numeric statistics`,
    ).toBe('');
  });

  test('categories are the sorted distinct values of the fitting rows, mode the most frequent (cars, penguins)', async () => {
    const carsPipeline = await fitOn(carSplit.fitRows, CARS_SPEC);
    expect(
      compareStats(carsPipeline, carSplit.fitRows, cars, { numeric: [], categorical: ['Origin'] }, carSplit.otherRows),
      'cars Origin',
    ).toBe('');
    const penguinPipeline = await fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    expect(
      compareStats(
        penguinPipeline,
        penguinSplit.fitRows,
        penguins,
        { numeric: [], categorical: PENGUIN_SPEC.categorical },
        penguinSplit.otherRows,
      ),
      'penguins Island and Sex (Sex has nulls, and a "." that is a category like any other string)',
    ).toBe('');
  });

  test('a tie for the mode goes to the category that sorts first', async () => {
    const rows = [
      ...cars.filter((r) => r.Origin === 'USA').slice(0, 2),
      ...cars.filter((r) => r.Origin === 'Japan').slice(0, 3),
      ...cars.filter((r) => r.Origin === 'Europe').slice(0, 3),
    ];
    const p = await fitOn(rows, { numeric: [], categorical: ['Origin'] });
    expect(
      p.categorical?.[0]?.mode,
      '3 Japanese, 3 European and 2 American cars: the tied modes are Europe and Japan',
    ).toBe('Europe');
  });

  test('the statistics work for any columns, not just the cars ones (penguins)', async () => {
    const p = await fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    expect(
      compareStats(p, penguinSplit.fitRows, penguins, { ...PENGUIN_SPEC, categorical: [] }, penguinSplit.otherRows),
      `fit on a seeded ${penguinSplit.fitRows.length}-row split of penguins.json, numeric statistics`,
    ).toBe('');
  });

  test('the median skips missing values and averages the two middle values of an even count', async () => {
    // The first ten cars plus the ford pinto, whose Horsepower is null: 10 known values.
    const rows = [...cars.slice(0, 10), cars.find((r) => r.Horsepower === null && r.Miles_per_Gallon !== null)!];
    const want = numericStats(rows, 'Horsepower');
    const got = (await fitOn(rows, { numeric: ['Horsepower'], categorical: [] })).numeric?.[0]?.median;
    expect(got, `median Horsepower of ${rows.map((r) => String(r.Horsepower)).join(', ')}`).toBeCloseTo(want.median, 6);
  });

  test('transform imputes and standardises with the fitted statistics (cars holdout, nulls included)', async () => {
    const trainRows = readJson(fixturePath('cars-train.json'));
    const holdoutRows = readJson(judgeFixturePath('cars-holdout.json'));
    const p = await fitOn(trainRows, CARS_SPEC);
    const reference = expectedPipeline(trainRows, CARS_SPEC);
    const names = [...CARS_SPEC.numeric, ...reference.categorical[0].categories.map((c) => `Origin=${c}`)];
    expect(
      cellMismatches(await transformOn(p, holdoutRows), holdoutRows.map((r) => expectedRow(reference, r)), names, carName(holdoutRows)),
      'transform(fit(cars-train), cars-holdout): every cell should be (value or training median − mean) / std, then one-hot',
    ).toBe('');
  });

  test('missing categorical values take the training mode (penguins without a recorded Sex)', async () => {
    const p = await fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    const reference = expectedPipeline(penguinSplit.fitRows, PENGUIN_SPEC);
    const rows = penguins.filter((r) => r.Sex === null);
    const names = [
      ...PENGUIN_SPEC.numeric,
      ...reference.categorical.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`)),
    ];
    expect(
      cellMismatches(await transformOn(p, rows), rows.map((r) => expectedRow(reference, r)), names, penguinName(rows)),
      `penguins with Sex null should be encoded as Sex=${reference.categorical[1].mode}, the mode of the fitting rows`,
    ).toBe('');
  });

  test('a category that was not in the fitting rows encodes as all zeros', async () => {
    const fitRows = cars.filter((r) => r.Origin !== 'Europe');
    const p = await fitOn(fitRows, { numeric: ['Weight_in_lbs'], categorical: ['Origin'] });
    expect(p.categorical?.[0]?.categories, 'fitted on USA and Japan cars only').toEqual(['Japan', 'USA']);
    const european = cars.filter((r) => r.Origin === 'Europe').slice(0, 3);
    const out = await transformOn(p, european);
    expect(
      out.map((row) => row.slice(1)),
      `European cars (${european.map((r) => r.Name).join(', ')}): Origin one-hot should be all zeros`,
    ).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  test('a numeric value is present only if it is a finite number: 0 is, ±Infinity, strings and booleans are not', async () => {
    // Cars with one derived column, Cylinders − 4 (0 for every 4-cylinder car), and a copy of Horsepower in
    // which some cells hold what a sloppy upstream job writes: ±Infinity, numeric strings, '', booleans.
    const junk: unknown[] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '130', '', true, false, '0'];
    const rows = carSplit.fitRows.map((r, i) => ({
      ...r,
      Extra_cylinders: typeof r.Cylinders === 'number' ? r.Cylinders - 4 : null,
      Horsepower_raw: i % 5 === 0 ? junk[(i / 5) % junk.length] : r.Horsepower,
    }));
    const spec = { numeric: ['Extra_cylinders', 'Horsepower_raw'], categorical: [] };
    const p = await fitOn(rows, spec);
    const zeros = rows.filter((r) => r.Extra_cylinders === 0).length;
    expect(
      compareStats(p, rows, rows, spec, []),
      `fit on ${rows.length} cars: Extra_cylinders has ${zeros} zeros, which are values like any other; Horsepower_raw has ${junk.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ')} in some rows, which are all missing`,
    ).toBe('');
    const reference = expectedPipeline(rows, spec);
    const probes: Row[] = [
      { Extra_cylinders: 0, Horsepower_raw: Number.POSITIVE_INFINITY },
      { Extra_cylinders: 4, Horsepower_raw: '95' },
      { Extra_cylinders: -1, Horsepower_raw: true },
      { Extra_cylinders: 0, Horsepower_raw: 0 },
    ];
    expect(
      cellMismatches(await transformOn(p, probes), probes.map((r) => expectedRow(reference, r)), spec.numeric, (i) => JSON.stringify(probes[i], (_, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v))),
      'transform: 0 is standardised like any value; Infinity, "95" and true are missing and take the median',
    ).toBe('');
  });

  test('any string is a category, the empty string included, in default sort order (mixed case)', async () => {
    // Penguins whose Sex column mixes conventions: '' (an empty cell), lower-case spellings, '.' and null.
    const rows = penguinSplit.fitRows.map((r, i) => ({
      ...r,
      Sex: i % 9 === 0 ? '' : i % 7 === 0 && typeof r.Sex === 'string' ? r.Sex.toLowerCase() : r.Sex,
    }));
    const spec = { numeric: [], categorical: ['Sex'] };
    const p = await fitOn(rows, spec);
    const want = categoricalStats(rows, 'Sex');
    expect(
      p.categorical?.[0]?.categories,
      `categories of a Sex column holding ${JSON.stringify(want.categories)}: every string counts (the empty one too), sorted with [...].sort(), which puts capitals before small letters`,
    ).toEqual(want.categories);
    const reference = expectedPipeline(rows, spec);
    const probes: Row[] = [{ Sex: '' }, { Sex: 'female' }, { Sex: null }, { Sex: 'Female' }];
    const names = want.categories.map((c) => `Sex=${c}`);
    expect(
      cellMismatches(await transformOn(p, probes), probes.map((r) => expectedRow(reference, r)), names, (i) => JSON.stringify(probes[i])),
      `transform: '' and 'female' are categories of their own, null takes the mode ${JSON.stringify(want.mode)}, 'Female' was never seen`,
    ).toBe('');
  });

  test('null, an absent key and NaN all count as missing', async () => {
    const p = await fitOn(carSplit.fitRows, CARS_SPEC);
    const reference = expectedPipeline(carSplit.fitRows, CARS_SPEC);
    const base = carSplit.otherRows.find((r) => r.Horsepower !== null && r.Miles_per_Gallon !== null)!;
    const absent = { ...base } as Row;
    delete absent.Horsepower;
    delete absent.Origin;
    const variants: [string, Row][] = [
      ['Horsepower: null, Origin: null', { ...base, Horsepower: null, Origin: null }],
      ['no Horsepower or Origin key', absent],
      ['Horsepower: NaN, Origin: undefined', { ...base, Horsepower: Number.NaN, Origin: undefined }],
    ];
    const names = [...CARS_SPEC.numeric, ...reference.categorical[0].categories.map((c) => `Origin=${c}`)];
    for (const [label, row] of variants) {
      expect(
        cellMismatches(await transformOn(p, [row]), [expectedRow(reference, row)], names, () => `${base.Name}, ${label}`),
        `${label}: imputed with the median Horsepower and the mode Origin`,
      ).toBe('');
    }
  });

  test("each row's features depend on that row alone; no rows give no features", async () => {
    const p = await fitOn(carSplit.fitRows, CARS_SPEC);
    const batch = await transformOn(p, carSplit.otherRows);
    for (const i of [0, 7, carSplit.otherRows.findIndex((r) => r.Horsepower === null)]) {
      expect(
        (await transformOn(p, [carSplit.otherRows[i]]))[0],
        `${carSplit.otherRows[i].Name} transformed alone should equal its row in the batch (never use statistics of the rows being transformed)`,
      ).toEqual(batch[i]);
    }
    expect(await transformOn(p, []), 'transform(pipeline, []) should return []').toEqual([]);
  });

  test('featureNames lists the output columns in order: numeric in spec order, then each category', async () => {
    const p = await fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    const reference = expectedPipeline(penguinSplit.fitRows, PENGUIN_SPEC);
    const want = [
      ...PENGUIN_SPEC.numeric,
      ...reference.categorical.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`)),
    ];
    expect(await solution.featureNames(inHost(p)), 'featureNames(fit(penguins split, spec))').toEqual(want);
    const widths = new Set((await transformOn(p, penguinSplit.otherRows)).map((row) => row.length));
    expect([...widths], 'every transformed row should have one value per feature name').toEqual([want.length]);
  });

  test('a column that is constant in the fitting rows encodes as 0, not NaN', async () => {
    const fourCylinders = cars.filter((r) => r.Cylinders === 4);
    const p = await fitOn(fourCylinders, { numeric: ['Cylinders', 'Weight_in_lbs'], categorical: [] });
    expect(p.numeric?.[0]?.std, 'the std of Cylinders over 4-cylinder cars').toBe(0);
    const out = await transformOn(p, [cars.find((r) => r.Cylinders === 4)!, cars.find((r) => r.Cylinders === 8)!]);
    expect(
      out.map((row) => row[0]),
      'Cylinders after fitting on 4-cylinder cars only: 0 for a 4- and an 8-cylinder car',
    ).toEqual([0, 0]);
  });

  test('a constant column of non-integers has std exactly 0 and encodes as 0, despite rounding', async () => {
    // The cars whose Acceleration is 16.4 s: the two-pass formula leaves a std of a few 1e-15 there, and
    // (value − mean) / that is about ±1, not 0.
    const fitRows = cars.filter((r) => r.Acceleration === 16.4);
    const values = fitRows.map((r) => r.Acceleration as number);
    const naiveMean = values.reduce((a, b) => a + b, 0) / values.length;
    const naiveStd = Math.sqrt(values.reduce((a, b) => a + (b - naiveMean) ** 2, 0) / values.length);
    expect(naiveStd, 'this test needs a column where a two-pass std is rounding noise, not 0').toBeGreaterThan(0);
    const p = await fitOn(fitRows, { numeric: ['Acceleration', 'Weight_in_lbs'], categorical: [] });
    expect(
      p.numeric?.[0]?.std,
      `the std of Acceleration over the ${fitRows.length} cars whose Acceleration is 16.4 (a constant column: exactly 0, not the ${naiveStd.toExponential(2)} a two-pass formula leaves)`,
    ).toBe(0);
    const others = [fitRows[0], cars.find((r) => typeof r.Acceleration === 'number' && r.Acceleration !== 16.4)!];
    const out = await transformOn(p, others);
    expect(
      out.map((row) => row[0]),
      `Acceleration after fitting on the cars with Acceleration 16.4 only, for a car with ${others.map((r) => r.Acceleration).join(' and one with ')}: a constant column always encodes as 0`,
    ).toEqual([0, 0]);
  });

  test('fit rejects a column that has no values in the fitting rows, naming it', async () => {
    const unlabelled = cars.filter((r) => r.Miles_per_Gallon === null);
    expect(
      await thrownMessage(solution.fit(unlabelled, { numeric: ['Weight_in_lbs', 'Miles_per_Gallon'], categorical: [] })),
      `fit on the ${unlabelled.length} cars whose Miles_per_Gallon is null, with Miles_per_Gallon as a numeric column: it should throw an Error whose message names the column`,
    ).toMatch(/^(?!\(not an Error).*Miles_per_Gallon/);
    expect(
      await thrownMessage(solution.fit(cars, { numeric: [], categorical: ['Colour'] })),
      'fit with a categorical column "Colour" that no row has: it should throw an Error whose message names the column',
    ).toMatch(/^(?!\(not an Error).*Colour/);
  });

  test('fit and transform leave their inputs untouched', async () => {
    // The rows, the spec and the pipeline stay in the host, where the learner's code could change them.
    const [rows, spec] = await heldInHost(carSplit.fitRows, CARS_SPEC);
    const fitted = await solution.fit(rows, spec);
    const frozen = JSON.stringify(await pipelineData(fitted));
    const [others] = await heldInHost(carSplit.otherRows);
    const p = isRemote(fitted) ? fitted : (await heldInHost(fitted))[0];
    await solution.transform(p, others);
    expect(JSON.stringify(await rows.$get()) === JSON.stringify(carSplit.fitRows), 'fit changed the rows it was given').toBe(true);
    expect(await spec.$get(), 'fit changed the spec it was given').toEqual(CARS_SPEC);
    expect(
      JSON.stringify(await others.$get()) === JSON.stringify(carSplit.otherRows),
      'transform changed the rows it was given (impute into the output, not into the rows)',
    ).toBe(true);
    expect(JSON.stringify(await pipelineData(isRemote(fitted) ? fitted : await p.$get())), 'transform changed the fitted pipeline').toBe(frozen);
  });

  test('the fitted pipeline is plain JSON: it survives JSON.stringify and JSON.parse', async () => {
    const p = await fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    const revived = JSON.parse(JSON.stringify(p)) as Pipeline;
    expect(revived, 'JSON.parse(JSON.stringify(pipeline)) should equal the pipeline (no Map, Set, tensor, NaN)').toEqual(
      p,
    );
    expect(
      await transformOn(revived, penguinSplit.otherRows),
      'a pipeline revived from JSON should transform exactly like the original',
    ).toEqual(await transformOn(p, penguinSplit.otherRows));
  });

  test('toTensor returns a [rows, features] float32 tensor of the transform, allocating nothing else', async () => {
    const p = await fitOn(carSplit.fitRows, CARS_SPEC);
    const rows = carSplit.otherRows.slice(0, 20);
    const width = expectedPipeline(carSplit.fitRows, CARS_SPEC).numeric.length + 3;
    const before = await numTensors();
    const t = await solution.toTensor(inHost(p), rows);
    const allocated = (await numTensors()) - before;
    try {
      expect(t instanceof RemoteTensor, 'toTensor should return a tf.Tensor2D').toBe(true);
      expect(allocated, 'toTensor should leave exactly one tensor allocated: the one it returns').toBe(1);
      expect([t.shape, t.dtype], 'shape and dtype').toEqual([[rows.length, width], 'float32']);
      const values = t.array() as number[][];
      const want = await transformOn(p, rows);
      expect(
        values.every((row, i) => row.every((v, j) => Math.abs(v - want[i][j]) < 1e-5)),
        'toTensor values should equal transform',
      ).toBe(true);
    } finally {
      if (t instanceof RemoteTensor) await t.dispose();
    }
    const empty = await solution.toTensor(inHost(p), []);
    try {
      expect(empty.shape, 'toTensor(pipeline, []) should still have the feature width').toEqual([0, width]);
    } finally {
      if (empty instanceof RemoteTensor) await empty.dispose();
    }
  });
});
