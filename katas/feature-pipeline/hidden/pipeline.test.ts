// Hidden suite for feature-pipeline. The learner's fit() is run on seeded splits of vega-datasets' cars
// and penguins; every expected statistic and every expected cell is computed here, in plain JS, from the
// rows fit() was given — so statistics taken from any other rows (the whole file, the rows being
// transformed) show up as a mismatch.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, importSolution, seededRandom, vegaDataPath } from '@kata/harness';

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
interface Solution {
  fit(rows: Row[], spec: FeatureSpec): Pipeline;
  transform(pipeline: Pipeline, rows: Row[]): number[][];
  featureNames(pipeline: Pipeline): string[];
  toTensor(pipeline: Pipeline, rows: Row[]): tf.Tensor2D;
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
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const sorted = [...values].sort((a, b) => a - b);
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

let solution: Solution;
let cars: Row[];
let penguins: Row[];
let carSplit: { fitRows: Row[]; otherRows: Row[] };
let penguinSplit: { fitRows: Row[]; otherRows: Row[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
  cars = readJson(vegaDataPath('cars.json'));
  penguins = readJson(vegaDataPath('penguins.json'));
  carSplit = seededSplit(cars, 2024, 0.7);
  penguinSplit = seededSplit(penguins, 5, 0.6);
  solution = await importSolution<Solution>('src/pipeline.ts');
});

/** The learner's fit on a deep copy, so an in-place change cannot alter the reference rows. */
const fitOn = (rows: Row[], spec: FeatureSpec): Pipeline => solution.fit(structuredClone(rows), structuredClone(spec));
const transformOn = (p: Pipeline, rows: Row[]): number[][] => solution.transform(p, structuredClone(rows));
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

describe('feature-pipeline', () => {
  test('numeric statistics come from the rows passed to fit, and only those (cars)', () => {
    const p = fitOn(carSplit.fitRows, CARS_SPEC);
    expect(
      compareStats(p, carSplit.fitRows, cars, { numeric: CARS_SPEC.numeric, categorical: [] }, carSplit.otherRows),
      `fit on a seeded ${carSplit.fitRows.length}-row split of cars.json, numeric statistics`,
    ).toBe('');
  });

  test('categories are the sorted distinct values of the fitting rows, mode the most frequent (cars, penguins)', () => {
    const carsPipeline = fitOn(carSplit.fitRows, CARS_SPEC);
    expect(
      compareStats(carsPipeline, carSplit.fitRows, cars, { numeric: [], categorical: ['Origin'] }, carSplit.otherRows),
      'cars Origin',
    ).toBe('');
    const penguinPipeline = fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
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

  test('a tie for the mode goes to the category that sorts first', () => {
    const rows = [
      ...cars.filter((r) => r.Origin === 'USA').slice(0, 2),
      ...cars.filter((r) => r.Origin === 'Japan').slice(0, 3),
      ...cars.filter((r) => r.Origin === 'Europe').slice(0, 3),
    ];
    const p = fitOn(rows, { numeric: [], categorical: ['Origin'] });
    expect(
      p.categorical?.[0]?.mode,
      '3 Japanese, 3 European and 2 American cars: the tied modes are Europe and Japan',
    ).toBe('Europe');
  });

  test('the statistics work for any columns, not just the cars ones (penguins)', () => {
    const p = fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    expect(
      compareStats(p, penguinSplit.fitRows, penguins, { ...PENGUIN_SPEC, categorical: [] }, penguinSplit.otherRows),
      `fit on a seeded ${penguinSplit.fitRows.length}-row split of penguins.json, numeric statistics`,
    ).toBe('');
  });

  test('the median skips missing values and averages the two middle values of an even count', () => {
    // The first ten cars plus the ford pinto, whose Horsepower is null: 10 known values.
    const rows = [...cars.slice(0, 10), cars.find((r) => r.Horsepower === null && r.Miles_per_Gallon !== null)!];
    const want = numericStats(rows, 'Horsepower');
    const got = fitOn(rows, { numeric: ['Horsepower'], categorical: [] }).numeric?.[0]?.median;
    expect(got, `median Horsepower of ${rows.map((r) => String(r.Horsepower)).join(', ')}`).toBeCloseTo(want.median, 6);
  });

  test('transform imputes and standardises with the fitted statistics (cars holdout, nulls included)', () => {
    const trainRows = readJson(fixturePath('cars-train.json'));
    const holdoutRows = readJson(fixturePath('cars-holdout.json'));
    const p = fitOn(trainRows, CARS_SPEC);
    const reference = expectedPipeline(trainRows, CARS_SPEC);
    const names = [...CARS_SPEC.numeric, ...reference.categorical[0].categories.map((c) => `Origin=${c}`)];
    expect(
      cellMismatches(transformOn(p, holdoutRows), holdoutRows.map((r) => expectedRow(reference, r)), names, carName(holdoutRows)),
      'transform(fit(cars-train), cars-holdout): every cell should be (value or training median − mean) / std, then one-hot',
    ).toBe('');
  });

  test('missing categorical values take the training mode (penguins without a recorded Sex)', () => {
    const p = fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    const reference = expectedPipeline(penguinSplit.fitRows, PENGUIN_SPEC);
    const rows = penguins.filter((r) => r.Sex === null);
    const names = [
      ...PENGUIN_SPEC.numeric,
      ...reference.categorical.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`)),
    ];
    expect(
      cellMismatches(transformOn(p, rows), rows.map((r) => expectedRow(reference, r)), names, penguinName(rows)),
      `penguins with Sex null should be encoded as Sex=${reference.categorical[1].mode}, the mode of the fitting rows`,
    ).toBe('');
  });

  test('a category that was not in the fitting rows encodes as all zeros', () => {
    const fitRows = cars.filter((r) => r.Origin !== 'Europe');
    const p = fitOn(fitRows, { numeric: ['Weight_in_lbs'], categorical: ['Origin'] });
    expect(p.categorical?.[0]?.categories, 'fitted on USA and Japan cars only').toEqual(['Japan', 'USA']);
    const european = cars.filter((r) => r.Origin === 'Europe').slice(0, 3);
    const out = transformOn(p, european);
    expect(
      out.map((row) => row.slice(1)),
      `European cars (${european.map((r) => r.Name).join(', ')}): Origin one-hot should be all zeros`,
    ).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  test('null, an absent key and NaN all count as missing', () => {
    const p = fitOn(carSplit.fitRows, CARS_SPEC);
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
        cellMismatches(transformOn(p, [row]), [expectedRow(reference, row)], names, () => `${base.Name}, ${label}`),
        `${label}: imputed with the median Horsepower and the mode Origin`,
      ).toBe('');
    }
  });

  test("each row's features depend on that row alone; no rows give no features", () => {
    const p = fitOn(carSplit.fitRows, CARS_SPEC);
    const batch = transformOn(p, carSplit.otherRows);
    for (const i of [0, 7, carSplit.otherRows.findIndex((r) => r.Horsepower === null)]) {
      expect(
        transformOn(p, [carSplit.otherRows[i]])[0],
        `${carSplit.otherRows[i].Name} transformed alone should equal its row in the batch (never use statistics of the rows being transformed)`,
      ).toEqual(batch[i]);
    }
    expect(transformOn(p, []), 'transform(pipeline, []) should return []').toEqual([]);
  });

  test('featureNames lists the output columns in order: numeric in spec order, then each category', () => {
    const p = fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    const reference = expectedPipeline(penguinSplit.fitRows, PENGUIN_SPEC);
    const want = [
      ...PENGUIN_SPEC.numeric,
      ...reference.categorical.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`)),
    ];
    expect(solution.featureNames(p), 'featureNames(fit(penguins split, spec))').toEqual(want);
    const widths = new Set(transformOn(p, penguinSplit.otherRows).map((row) => row.length));
    expect([...widths], 'every transformed row should have one value per feature name').toEqual([want.length]);
  });

  test('a column that is constant in the fitting rows encodes as 0, not NaN', () => {
    const fourCylinders = cars.filter((r) => r.Cylinders === 4);
    const p = fitOn(fourCylinders, { numeric: ['Cylinders', 'Weight_in_lbs'], categorical: [] });
    expect(p.numeric?.[0]?.std, 'the std of Cylinders over 4-cylinder cars').toBe(0);
    const out = transformOn(p, [cars.find((r) => r.Cylinders === 4)!, cars.find((r) => r.Cylinders === 8)!]);
    expect(
      out.map((row) => row[0]),
      'Cylinders after fitting on 4-cylinder cars only: 0 for a 4- and an 8-cylinder car',
    ).toEqual([0, 0]);
  });

  test('fit rejects a column that has no values in the fitting rows, naming it', () => {
    const unlabelled = cars.filter((r) => r.Miles_per_Gallon === null);
    expect(
      () => fitOn(unlabelled, { numeric: ['Weight_in_lbs', 'Miles_per_Gallon'], categorical: [] }),
      `fit on the ${unlabelled.length} cars whose Miles_per_Gallon is null, with Miles_per_Gallon as a numeric column`,
    ).toThrow(/Miles_per_Gallon/);
    expect(
      () => fitOn(cars, { numeric: [], categorical: ['Colour'] }),
      'fit with a categorical column "Colour" that no row has',
    ).toThrow(/Colour/);
  });

  test('fit and transform leave their inputs untouched', () => {
    const rows = structuredClone(carSplit.fitRows);
    const spec = structuredClone(CARS_SPEC);
    const p = solution.fit(rows, spec);
    const frozen = JSON.stringify(p);
    const others = structuredClone(carSplit.otherRows);
    solution.transform(p, others);
    expect(JSON.stringify(rows) === JSON.stringify(carSplit.fitRows), 'fit changed the rows it was given').toBe(true);
    expect(spec, 'fit changed the spec it was given').toEqual(CARS_SPEC);
    expect(
      JSON.stringify(others) === JSON.stringify(carSplit.otherRows),
      'transform changed the rows it was given (impute into the output, not into the rows)',
    ).toBe(true);
    expect(JSON.stringify(p), 'transform changed the fitted pipeline').toBe(frozen);
  });

  test('the fitted pipeline is plain JSON: it survives JSON.stringify and JSON.parse', () => {
    const p = fitOn(penguinSplit.fitRows, PENGUIN_SPEC);
    const revived = JSON.parse(JSON.stringify(p)) as Pipeline;
    expect(revived, 'JSON.parse(JSON.stringify(pipeline)) should equal the pipeline (no Map, Set, tensor, NaN)').toEqual(
      p,
    );
    expect(
      transformOn(revived, penguinSplit.otherRows),
      'a pipeline revived from JSON should transform exactly like the original',
    ).toEqual(transformOn(p, penguinSplit.otherRows));
  });

  test('toTensor returns a [rows, features] float32 tensor of the transform, allocating nothing else', () => {
    const p = fitOn(carSplit.fitRows, CARS_SPEC);
    const rows = carSplit.otherRows.slice(0, 20);
    const width = expectedPipeline(carSplit.fitRows, CARS_SPEC).numeric.length + 3;
    const before = tf.memory().numTensors;
    const t = solution.toTensor(p, structuredClone(rows));
    const allocated = tf.memory().numTensors - before;
    try {
      expect(t instanceof tf.Tensor, 'toTensor should return a tf.Tensor2D').toBe(true);
      expect(allocated, 'toTensor should leave exactly one tensor allocated: the one it returns').toBe(1);
      expect([t.shape, t.dtype], 'shape and dtype').toEqual([[rows.length, width], 'float32']);
      const values = t.arraySync() as number[][];
      const want = transformOn(p, rows);
      expect(
        values.every((row, i) => row.every((v, j) => Math.abs(v - want[i][j]) < 1e-5)),
        'toTensor values should equal transform',
      ).toBe(true);
    } finally {
      t?.dispose?.();
    }
    const empty = solution.toTensor(p, []);
    try {
      expect(empty.shape, 'toTensor(pipeline, []) should still have the feature width').toEqual([0, width]);
    } finally {
      empty.dispose();
    }
  });
});
