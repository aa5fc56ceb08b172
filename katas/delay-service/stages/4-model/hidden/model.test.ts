// Hidden suite of delay-service stage 4 (model). The judge builds its own `features` table (the plain-JS
// recomputation of stage 3 over the real flights of April-June 2001, months the learner never had), opens
// it read-only in the solution host, trains the learner's model on May and grades it on June: ROC-AUC and
// F1 at the learner's own threshold, against a constant and the route-late-rate baseline. Then the
// engineering: the threshold picked on training rows, batch independence, labels never read, NULL rates,
// tensor leaks, save/load across processes, and - in one check - reproducibility and the training range.
import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Host, loadSolution, reportMetric, type Remote } from '@kata/harness';
import { MODEL_INPUTS, type Features } from '../3-features/reference.js';
import { TEST_MONTH, TRAIN_RANGE, bestF1, f1At, featureRows, featuresDb, insertFeatures, rocAuc } from './judge-data.js';

interface ModelModule {
  train(db: Remote, range: { from: string; to: string }): Promise<Remote>;
  save(model: Remote, dir: string): Promise<void>;
  load(dir: string): Promise<Remote>;
  predict(model: Remote, rows: object[]): Promise<number[]>;
}

/** README: "ROC-AUC >= 0.64" (constant 0.50, route late rate 0.603, dep_hour alone 0.635, reference 0.663). */
const AUC_THRESHOLD = 0.64;
/** README: "F1 >= 0.39" (all late 0.364, route late rate at its best training cut-off 0.382, reference 0.418). */
const F1_THRESHOLD = 0.39;
/** README: the F1 of the training rows at `threshold` within this of the best cut-off's. */
const THRESHOLD_F1_SLACK = 0.02;
/** README: "the same ... within 1e-6". */
const SAME = 1e-6;
/** The one-day range test: a model that learnt its day's (distance-rule) labels ranks them nearly perfectly. */
const ONE_DAY_AUC = 0.9;
const TEST_SAMPLE = { size: 20_000, seed: 6 };
const TRAIN_SAMPLE = { size: 20_000, seed: 5 };

let host: Host;
let mod: ModelModule;
let dbFile: string;
let trained: Remote | undefined;
let trainFailure: unknown;
let trainCpuMs = 0;
let threshold: unknown;
let testRows: Features[];
let truth: number[];
/** What predict receives for June: the model inputs and the id, no label. */
let testInputs: object[];
let probabilities: number[] = [];
let predictFailure: unknown;
let tf: Remote;

const inputsOf = (row: Features): Record<string, unknown> => Object.fromEntries(MODEL_INPUTS.map((k) => [k, row[k]]));
const withId = (row: Features) => ({ flight_id: row.flight_id, flight_date: row.flight_date, ...inputsOf(row) });

/** A field of the learner's model: a remote object (it holds a network) or, if it is plain data, a copy. */
async function field(model: unknown, name: string): Promise<unknown> {
  const value = (model as Record<string, any>)?.[name];
  return typeof value?.$get === 'function' ? await value.$get() : value;
}

async function numTensors(): Promise<number> {
  const memory = await host.memory();
  return memory ? memory.numTensors : 0;
}

beforeAll(async () => {
  host = await Host.start();
  tf = await host.import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  mod = (await loadSolution('src/model.ts', { host })).module as ModelModule;
  dbFile = await featuresDb(mkdtempSync(join(host.tempDir, 'features-')));
  testRows = await featureRows(TEST_MONTH, TEST_SAMPLE);
  truth = testRows.map((r) => r.late);
  testInputs = testRows.map(withId);
  try {
    const db = await host.openDb(dbFile, { readonly: true });
    const before = (await host.usage()).cpuMs;
    trained = await mod.train(db, { ...TRAIN_RANGE });
    trainCpuMs = (await host.usage()).cpuMs - before;
    threshold = await field(trained, 'threshold');
  } catch (error) {
    trainFailure = error;
    return;
  }
  try {
    probabilities = await mod.predict(trained, testInputs);
  } catch (error) {
    predictFailure = error;
  }
}, 120_000);

afterAll(async () => {
  await host?.close();
});

function trainedModel(): Remote {
  expect(trainFailure, `train(db, ${JSON.stringify(TRAIN_RANGE)}) on the judge's read-only features table should resolve; it threw`).toBeUndefined();
  return trained!;
}

function predicted(): number[] {
  trainedModel();
  expect(predictFailure, `predict(model, ${testInputs.length} June rows) threw`).toBeUndefined();
  expect(Array.isArray(probabilities) && probabilities.length, `predict(model, ${testInputs.length} rows) should return ${testInputs.length} numbers`).toBe(testInputs.length);
  return probabilities;
}

/** The first rows where two lists of probabilities differ by more than SAME, as text ('' when none). */
function differences(a: readonly number[], b: readonly number[], label: (i: number) => string): string {
  if (!Array.isArray(b) || a.length !== b.length) return `${a.length} probabilities vs ${Array.isArray(b) ? b.length : typeof b}`;
  const bad: string[] = [];
  let count = 0;
  a.forEach((x, i) => {
    if (!(Math.abs(x - b[i]) <= SAME)) {
      count++;
      if (bad.length < 3) bad.push(`${label(i)}: ${x} vs ${b[i]}`);
    }
  });
  return count ? `${count} of ${a.length} differ, e.g. ${bad.join('; ')}` : '';
}

const rowLabel = (rows: readonly Features[]) => (i: number) => `flight ${rows[i]?.flight_id} (${rows[i]?.flight_date}, hour ${rows[i]?.dep_hour})`;

function baselines(): string {
  const trainRate = 0.169; // only for the NULL stand-in of the baseline; the baseline's AUC hardly depends on it
  const route = testRows.map((r) => r.route_late_rate ?? trainRate);
  const hour = testRows.map((r) => r.dep_hour);
  return `baselines on these flights: constant 0.500, route_late_rate ${rocAuc(route, truth).toFixed(3)}, dep_hour ${rocAuc(hour, truth).toFixed(3)}`;
}

describe(`trained on ${TRAIN_RANGE.from} .. ${TRAIN_RANGE.to}, graded on ${TEST_MONTH} (flights it never saw)`, () => {
  test('predict returns one finite probability in [0, 1] per row, in order', () => {
    const p = predicted();
    const bad = p.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1);
    expect(bad, `predict returned ${JSON.stringify(p[bad])} for ${rowLabel(testRows)(bad)}: every value should be a probability in [0, 1]`).toBe(-1);
    expect(new Set(p.map((x) => Math.round(x * 1e6))).size, 'predict gives every June flight the same probability: a constant scores no better than a coin').toBeGreaterThan(1);
  });

  test(`ROC-AUC on ${TEST_SAMPLE.size.toLocaleString('en-US')} June flights ≥ ${AUC_THRESHOLD}`, (context) => {
    const p = predicted();
    const auc = rocAuc(p, truth);
    reportMetric(context, {
      name: 'ROC-AUC (June 2001)',
      value: auc,
      threshold: AUC_THRESHOLD,
      higherIsBetter: true,
      detail: `${baselines()}\ntrain used ${Math.round(trainCpuMs)} ms of CPU time in the solution host`,
    });
    expect(auc, `ROC-AUC of your June probabilities is ${auc.toFixed(4)}; ${baselines()}`).toBeGreaterThanOrEqual(AUC_THRESHOLD);
  });

  test(`F1 of the June flights at your threshold ≥ ${F1_THRESHOLD}`, (context) => {
    const p = predicted();
    const t = threshold as number;
    const f1 = f1At(p, truth, t);
    const allLate = f1At(truth.map(() => 1), truth, 0.5);
    const best = bestF1(p, truth);
    reportMetric(context, {
      name: 'F1 at your threshold (June 2001)',
      value: f1,
      threshold: F1_THRESHOLD,
      higherIsBetter: true,
      detail: `threshold ${t}; predicting every flight late scores ${allLate.toFixed(3)}; the best cut-off for your June probabilities (hindsight) would give ${best.f1.toFixed(3)} at ${best.threshold.toFixed(4)}`,
    });
    expect(
      f1,
      `F1 on June at your threshold ${t} is ${f1.toFixed(4)} (${p.filter((x) => x >= t).length} of ${p.length} flights predicted late, ${truth.filter((y) => y === 1).length} were); predicting every flight late scores ${allLate.toFixed(4)}`,
    ).toBeGreaterThanOrEqual(F1_THRESHOLD);
  });

  test(`threshold is in (0, 1) and picked on the training rows: their F1 at it within ${THRESHOLD_F1_SLACK} of the best cut-off`, async () => {
    const model = trainedModel();
    expect(typeof threshold === 'number' && threshold > 0 && threshold < 1, `model.threshold should be a number strictly between 0 and 1, got ${JSON.stringify(threshold)}`).toBe(true);
    const rows = await featureRows(TRAIN_RANGE.from.slice(0, 7), TRAIN_SAMPLE);
    const p = await mod.predict(model, rows.map(withId));
    const labels = rows.map((r) => r.late);
    const at = f1At(p, labels, threshold as number);
    const best = bestF1(p, labels);
    expect(
      at,
      `on ${rows.length} training-range flights, F1 at your threshold ${threshold} is ${at.toFixed(4)}, and the best cut-off for your probabilities gives ${best.f1.toFixed(4)} (at ${best.threshold.toFixed(4)}): pick the threshold that maximises the training rows' F1`,
    ).toBeGreaterThanOrEqual(best.f1 - THRESHOLD_F1_SLACK);
  });
});

describe('predict', () => {
  test('a row gets the same probability alone, in another batch, with extra fields, and never reads late', async () => {
    const model = trainedModel();
    const p = predicted();
    const picks = [0, 1, 2, 3, 4, 997, 5003, 12_345, 19_999].filter((i) => i < testRows.length);
    const alone: number[] = [];
    for (const i of picks) alone.push(...(await mod.predict(model, [testInputs[i]])));
    expect(differences(picks.map((i) => p[i]), alone, (k) => rowLabel(testRows)(picks[k])), 'each row predicted alone vs in the batch of 20,000').toBe('');
    const reversed = await mod.predict(model, picks.map((i) => testInputs[i]).reverse());
    expect(differences(picks.map((i) => p[i]).reverse(), reversed, (k) => `row ${k}`), 'the same rows in reverse order').toBe('');
    // The rows as stage 5 reads them (SELECT * FROM features): with their label, here the wrong one, and a stray field.
    const labelled = picks.map((i) => ({ ...testRows[i], late: 1 - testRows[i].late, note: 'extra' }));
    const withLabels = await mod.predict(model, labelled);
    expect(differences(picks.map((i) => p[i]), withLabels, (k) => rowLabel(testRows)(picks[k])), 'rows carrying a (flipped) late field and an extra field: predict must ignore them').toBe('');
  });

  test('rows with NULL rates (no history) get finite probabilities', async () => {
    const model = trainedModel();
    const base = testRows.slice(0, 5).map(withId);
    const rows = [
      ...testRows.filter((r) => r.route_late_rate === null).slice(0, 5).map(withId),
      ...base.map((r) => ({ ...r, route_flights: 0, route_late_rate: null })),
      ...base.map((r) => ({ ...r, route_flights: 0, route_late_rate: null, origin_flights: 0, origin_late_rate: null })),
    ];
    const got = await mod.predict(model, rows);
    const bad = got.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1);
    expect(bad, `predict returned ${JSON.stringify(got[bad])} for ${JSON.stringify(rows[bad])}`).toBe(-1);
  });

  test('predict of no rows is [], and predict leaves no tensor behind', async () => {
    const model = trainedModel();
    const before = await numTensors();
    expect(await mod.predict(model, []), 'predict(model, [])').toEqual([]);
    await mod.predict(model, testInputs.slice(0, 5000));
    const after = await numTensors();
    expect(after - before, `tensors left in the solution host by predict([]) and predict(5,000 rows) (tf.memory().numTensors ${before} → ${after})`).toBe(0);
  });
});

describe('save and load', () => {
  test('save writes a folder that a new process loads: the same probabilities and threshold, nothing written outside it', async () => {
    const model = trainedModel();
    const p = predicted();
    const parent = mkdtempSync(join(host.tempDir, 'models-'));
    const dir = join(parent, 'late', 'v1');
    const listing = (root: string) => readdirSync(root, { recursive: true }).map(String).sort();
    const before = listing(host.tempDir);
    await mod.save(model, dir);
    const written = listing(host.tempDir).filter((f) => !before.includes(f));
    const outside = written.filter((f) => !join(host.tempDir, f).startsWith(dir) && !dir.startsWith(join(host.tempDir, f)));
    expect(outside, `files save(model, '<tmp>/${relative(host.tempDir, dir)}') wrote outside its folder`).toEqual([]);
    expect(readdirSync(dir).length, 'save wrote no file into its folder').toBeGreaterThan(0);
    // A new solution host: the folder copied elsewhere, no database.
    const second = await Host.start();
    try {
      const copy = join(second.tempDir, 'served-model');
      mkdirSync(copy);
      cpSync(dir, copy, { recursive: true });
      const htf = await second.import('@tensorflow/tfjs');
      await htf.setBackend('cpu');
      const other = (await loadSolution('src/model.ts', { host: second })).module as ModelModule;
      const loaded = await other.load(copy);
      expect(await field(loaded, 'threshold'), 'the loaded model’s threshold').toBe(threshold);
      const rows = testInputs.slice(0, 2000);
      const again = await other.predict(loaded, rows);
      expect(differences(p.slice(0, 2000), again, rowLabel(testRows)), 'probabilities of the loaded model (a new process, the folder copied) vs the trained one').toBe('');
      const empty = join(second.tempDir, 'no-model');
      mkdirSync(empty);
      const outcome = await other.load(empty).then(
        () => 'resolved',
        () => 'rejected',
      );
      expect(outcome, 'load of an empty folder should reject').toBe('rejected');
    } finally {
      await second.close();
    }
  });
});

describe('the training data', () => {
  test(`train is seeded and learns only from ${TRAIN_RANGE.from} .. ${TRAIN_RANGE.to}: a table with other June rows gives the same model`, async () => {
    trainedModel();
    const p = predicted();
    // A copy of the table whose June rows (the graded month) say the opposite: labels flipped, rates mirrored.
    const file = join(mkdtempSync(join(host.tempDir, 'other-june-')), 'features.db');
    cpSync(dbFile, file);
    const judge = new Database(file);
    try {
      const changed = judge
        .prepare(
          "UPDATE features SET late = 1 - late, route_late_rate = 1 - route_late_rate, origin_late_rate = 1 - origin_late_rate WHERE flight_date >= ?",
        )
        .run(`${TEST_MONTH}-01`).changes;
      expect(changed, 'June rows changed in the copy').toBeGreaterThan(0);
    } finally {
      judge.close();
    }
    const db = await host.openDb(file, { readonly: true });
    const other = await mod.train(db, { ...TRAIN_RANGE });
    const again = await mod.predict(other, testInputs);
    expect(
      differences(p, again, rowLabel(testRows)),
      `train run again on the same May rows (only June changed) should give the same model: either train is not reproducible (seed every initialiser, sample and shuffle with a seeded generator) or it read rows after ${TRAIN_RANGE.to}`,
    ).toBe('');
    expect(await field(other, 'threshold'), 'the threshold of the second training').toBe(threshold);
  });

  test(`both bounds are included: a range of one day (from = to = ${TRAIN_RANGE.to}) learns from that day's rows`, async () => {
    // A copy of the table in which the flights of one day are late exactly when they fly at least the day's
    // median distance (every model sees the distance): a model trained on { from: day, to: day } learns that
    // and ranks the day's flights almost perfectly; a range read as from <= date < to holds no row at all.
    const day = TRAIN_RANGE.to;
    const file = join(mkdtempSync(join(host.tempDir, 'one-day-')), 'features.db');
    cpSync(dbFile, file);
    const judge = new Database(file);
    let rows: Features[];
    let cut: number;
    try {
      const distances = judge.prepare('SELECT distance FROM features WHERE flight_date = ? ORDER BY distance').pluck().all(day) as number[];
      expect(distances.length, `rows of ${day} in the judge's table`).toBeGreaterThan(1000);
      cut = distances[Math.floor(distances.length / 2)];
      judge.prepare('UPDATE features SET late = (distance >= ?) WHERE flight_date = ?').run(cut, day);
      rows = judge.prepare('SELECT * FROM features WHERE flight_date = ? ORDER BY flight_id').all(day) as Features[];
    } finally {
      judge.close();
    }
    const range = { from: day, to: day };
    const db = await host.openDb(file, { readonly: true });
    const outcome = await mod.train(db, range).then(
      (model) => ({ model, error: undefined as unknown }),
      (error: unknown) => ({ model: undefined, error }),
    );
    expect(
      outcome.error,
      `train(db, ${JSON.stringify(range)}) threw: a range from a day to the same day is that one day (the brief: "between from and to, both included"), ${rows.length} rows here`,
    ).toBeUndefined();
    const p = await mod.predict(outcome.model, rows.map(withId));
    const labels = rows.map((r) => r.late);
    const auc = rocAuc(p, labels);
    expect(
      auc,
      `train(db, ${JSON.stringify(range)}) on a copy of the table whose ${rows.length} flights of ${day} are late exactly when distance >= ${cut}: ` +
        `the model's ROC-AUC on those very rows is ${Number.isFinite(auc) ? auc.toFixed(4) : auc} (a model that learnt from them scores ~1; 0.5 is a coin). ` +
        `It did not learn from the day \`to\`: the brief's range is from <= flight_date <= to, both included (BETWEEN from AND to, not flight_date < to)`,
    ).toBeGreaterThanOrEqual(ONE_DAY_AUC);
  });

  test('any training table: finite probabilities and the best-F1 threshold, on few rows with no tie and on rows that all tie', async () => {
    trainedModel();
    const day = TRAIN_RANGE.to;
    const source = new Database(await featuresDb(), { readonly: true });
    let known: Features[];
    try {
      known = source
        .prepare('SELECT * FROM features WHERE flight_date = ? AND route_late_rate IS NOT NULL AND origin_late_rate IS NOT NULL ORDER BY flight_id')
        .all(day) as Features[];
    } finally {
      source.close();
    }
    // Few rows, every rate known (a 0/1 "was NULL" input never varies), no two alike, so no two
    // probabilities tie; late exactly when the flight is at least the median distance, so a cut-off matters.
    const seen = new Set<string>();
    const distinct = known.filter((r) => {
      const key = JSON.stringify(inputsOf(r));
      return !seen.has(key) && seen.add(key);
    }).slice(0, 500);
    const median = distinct.map((r) => r.distance).sort((a, b) => a - b)[Math.floor(distinct.length / 2)];
    const few = distinct.map((r) => ({ ...r, late: r.distance >= median ? 1 : 0 }));
    // Two feature vectors only, 1,000 rows each: an evening long flight late 9 times in 10, a morning short
    // one late 1 time in 10 (the day's longest evening and shortest morning flights). Every
    // probability ties with 999 others.
    const longest = (rows: Features[]) => rows.reduce((a, b) => (b.distance > a.distance ? b : a));
    const shortest = (rows: Features[]) => rows.reduce((a, b) => (b.distance < a.distance ? b : a));
    const evening = longest(known.filter((r) => r.dep_hour >= 17));
    const morning = shortest(known.filter((r) => r.dep_hour <= 8));
    /** 1,000 copies of each flight, interleaved by flight_id; copy i of the morning flight is late when `morningLate(i)`. */
    const twoFlights = (morningLate: (i: number) => boolean): Features[] =>
      Array.from({ length: 1000 }, (_, i) => [
        { ...evening, flight_id: 2 * i + 1, late: i % 10 === 0 ? 0 : 1 },
        { ...morning, flight_id: 2 * i + 2, late: morningLate(i) ? 1 : 0 },
      ]).flat();
    const alike = twoFlights((i) => i % 10 === 0);
    // The same two flights, the morning one late 35% of the time: its whole tie group is best left out (F1
    // 0.800 without it, 0.769 with it), but some prefix of it, scored row by row, beats 0.800 when its late
    // rows come early. Which rows come early is the solution's own order (its sample, its sort), so the late
    // morning rows are put first, in the middle and last by flight_id: per-row scoring in any order
    // meets at least one of the three with a run of late rows before its punctual ones.
    const prefixTable = (where: 'first' | 'middle' | 'last') => {
      const lateFrom = { first: 0, middle: 325, last: 650 }[where];
      const rows = twoFlights((i) => i >= lateFrom && i < lateFrom + 350);
      return {
        name: `${rows.length} rows of ${day} that are copies of two flights (hour ${evening.dep_hour}: 90% late; hour ${morning.dep_hour}: 35% late, the late ones ${where} by flight_id)`,
        rows,
      };
    };
    const tables = [
      { name: `${few.length} rows of ${day} with every rate known and no two alike, late when distance >= ${median}`, rows: few },
      { name: `${alike.length} rows of ${day} that are copies of two flights (hour ${evening.dep_hour}, ${evening.distance} mi: 90% late; hour ${morning.dep_hour}, ${morning.distance} mi: 10% late)`, rows: alike },
      prefixTable('first'),
      prefixTable('middle'),
      prefixTable('last'),
    ];
    expect(few.length, `flights of ${day} with both rates known`).toBeGreaterThan(400);
    for (const { name, rows } of tables) {
      const file = join(mkdtempSync(join(host.tempDir, 'small-table-')), 'features.db');
      const judge = new Database(file);
      try {
        insertFeatures(judge, rows);
      } finally {
        judge.close();
      }
      const range = { from: day, to: day };
      const db = await host.openDb(file, { readonly: true });
      const model = await mod.train(db, range).then(
        (m) => m,
        (error: unknown) => {
          throw new Error(`train(db, ${JSON.stringify(range)}) on a table of ${name} threw: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      const p = await mod.predict(model, rows.map(withId));
      const bad = p.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1);
      expect(
        bad,
        `trained on a table of ${name}: predict returned ${JSON.stringify(p[bad])} for ${JSON.stringify(bad < 0 ? null : inputsOf(rows[bad]))}. ` +
          'A column that never varies in the training rows has a standard deviation of 0: standardise it by 1 (or leave it out)',
      ).toBe(-1);
      const t = (await field(model, 'threshold')) as number;
      const labels = rows.map((r) => r.late);
      const at = f1At(p, labels, t);
      const best = bestF1(p, labels);
      expect(
        at,
        `trained on a table of ${name}: the training rows' F1 at your threshold ${t} is ${at.toFixed(4)}, and the best cut-off for your probabilities gives ${best.f1.toFixed(4)} (at ${best.threshold}). ` +
          'Score every distinct probability once as a cut-off, counting every row at or above it as late (a group of tied probabilities all in or all out)',
      ).toBeGreaterThanOrEqual(best.f1 - THRESHOLD_F1_SLACK);
    }
  });
});
