// Hidden suite of stage 6 (monitor). The judge builds its own flights database (late February to early
// April, and May to early June 2001, eight origin airports), fills the features table with the training
// week, trains the learner's stage 4 model on it and starts the learner's createService. It writes the
// predictions table itself, as stage 5 defines it (the judge's features, the learner's own model's
// probabilities), so this stage is graded on correct predictions whatever stage 5 does; then it reads
// GET /metrics and recomputes every number: the PSI of each monitored value with the bins of the brief,
// its status, and the accuracy against the delays in flights at the time of the request.
import { cpSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSolution, type Host, type Remote, type ServedApp } from '@kata/harness';
import { FEATURE_NAMES, History, addDays, fillFeatures, insertFlights, judgeFlights, type Features, type FlightRow } from '../5-serve/judge.js';
import { errorOf } from '../5-serve/errors.js';
import { referenceModel, trainAndSave } from '../5-serve/model-contract.js';

const TRAIN = { from: '2001-03-25', to: '2001-03-31' };
const APRIL = ['2001-04-01', '2001-04-02', '2001-04-03', '2001-04-04', '2001-04-05', '2001-04-06', '2001-04-07'];
const JUNE = ['2001-06-01', '2001-06-02', '2001-06-03', '2001-06-04', '2001-06-05', '2001-06-06', '2001-06-07'];
/** A crafted day: the flights of 2001-06-01, every departure eight hours later. */
const CRAFTED = '2001-06-08';
/**
 * A crafted day of late rates on the edge of the last tenth: the flights of 2001-06-02 a week later, where
 * the route of every fourth flight (and the origin of every sixth) was late on every flight of its 28 days
 * (a rate of exactly 1.0) and that of the next one on 19 of 20 (0.95): both in the last tenth, [0.9, 1].
 */
const RATES = '2001-06-09';
const rateOf = (i: number, every: number) => (i % every === 0 ? 1 : i % every === 1 ? 19 / 20 : undefined);
/**
 * The training week replayed eleven weeks later (the same weekdays, 2001-06-10 .. 06-16): every flight of
 * `features` again, with most of its 07:00 departures moved to 22:00 and a few flights of other hours moved
 * by an hour or so, so that the dep_hour counts of the week are THRESHOLD_HOURS. Those counts were searched
 * (offline, a meet-in-the-middle over small moves) so that the brief's PSI of dep_hour comes out as exactly
 * the double 0.25, the boundary of "shifted": with the brief's formula summed over the bins in hour order
 * (the suite's psi() below), as ln(a) - ln(e), with a compensated sum, and in SQLite (SUM of ln). A nonzero
 * PSI of whole counts is never exactly 0.25 in real numbers (a sum of logarithms of rationals is
 * transcendental), so no data can put every implementation's double on the boundary: the status of each
 * PSI is graded on the PSI the service answers (see expectMetrics).
 */
const REPLAY = Array.from({ length: 7 }, (_, i) => addDays('2001-06-10', i));
const THRESHOLD_HOURS = new Map<number, number>([
  [0, 25], [1, 7], [2, 5], [5, 87], [6, 470], [7, 30], [8, 637], [9, 515], [10, 582], [11, 655], [12, 506],
  [13, 609], [14, 594], [15, 546], [16, 498], [17, 642], [18, 584], [19, 449], [20, 495], [21, 401], [22, 865], [23, 82],
]);
const MONITORED = [...FEATURE_NAMES, 'probability'] as const;
type Monitored = (typeof MONITORED)[number];
type Row = Record<Monitored, number | null>;
const EPSILON = 0.0001;

let host: Host;
let service: Remote;
let model: Remote;
let server: ServedApp;
let judgeDb: Database.Database;
let rows: FlightRow[];
let history: History;
let modelDir: string;
let baseline: Row[];
/** The judge's predictions row of every flight of the days it scores. */
const scored = new Map<string, (Row & { flight_id: number; flight_date: string; late: number })[]>();

// ---- The brief's PSI, recomputed ----------------------------------------------------------------
const byEdges = (edges: number[]) => (value: number) => {
  let k = 0;
  while (k + 1 < edges.length && value >= edges[k + 1]) k++;
  return k;
};
const tenths = (value: number) => Math.min(9, Math.floor(value * 10));
const BINS: Record<Monitored, (value: number) => number> = {
  dep_hour: (value) => value,
  weekday: (value) => value,
  distance: byEdges([0, 250, 500, 750, 1000, 1500, 2000]),
  route_flights: byEdges([0, 1, 10, 30, 100, 300]),
  route_late_rate: tenths,
  origin_flights: byEdges([0, 1, 100, 1000, 3000, 10000]),
  origin_late_rate: tenths,
  probability: tenths,
};

function shares(list: Row[], name: Monitored): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of list) {
    const value = row[name];
    const bin = value === null ? 'null' : String(BINS[name](value));
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  return new Map([...counts].map(([bin, count]) => [bin, count / list.length]));
}

function psi(expectedRows: Row[], actualRows: Row[], name: Monitored): number {
  const e = shares(expectedRows, name);
  const a = shares(actualRows, name);
  let total = 0;
  for (const bin of new Set([...e.keys(), ...a.keys()])) {
    const ei = Math.max(e.get(bin) ?? 0, EPSILON);
    const ai = Math.max(a.get(bin) ?? 0, EPSILON);
    total += (ai - ei) * Math.log(ai / ei);
  }
  return total;
}
const statusOf = (value: number) => (value < 0.1 ? 'stable' : value < 0.25 ? 'moderate' : 'shifted');
const STATUS_RULE = 'below 0.1 "stable", from 0.1 to below 0.25 "moderate", 0.25 and above "shifted"';

// ---- The judge's predictions ------------------------------------------------------------------------

/**
 * Scores the flights of each day with the learner's own model, in one call: the judge's predictions rows
 * (`crafted`: feature values the judge writes instead of the recomputed ones, by flight id).
 */
async function scoreAs(
  days: Map<string, FlightRow[]>,
  scores: (rows: Features[]) => Promise<{ probability: number; late: boolean }[]>,
  crafted = new Map<number, Partial<Features>>(),
): Promise<void> {
  const flights = [...days.values()].flat();
  const features = flights.map((flight) => ({ ...history.features(flight), ...crafted.get(flight.id) }));
  const answers = await scores(features);
  flights.forEach((flight, i) => {
    const list = scored.get(flight.flight_date) ?? [];
    list.push({ flight_id: flight.id, flight_date: flight.flight_date, ...features[i], probability: answers[i].probability, late: answers[i].late ? 1 : 0 });
    scored.set(flight.flight_date, list);
  });
}

/** The predictions table holding exactly the judge's rows of `days` (stage 5's schema). */
function predictionsOf(days: string[]): void {
  judgeDb.exec(`CREATE TABLE IF NOT EXISTS predictions (
    flight_id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_hour INTEGER NOT NULL, weekday INTEGER NOT NULL,
    distance INTEGER NOT NULL, route_flights INTEGER NOT NULL, route_late_rate REAL, origin_flights INTEGER NOT NULL,
    origin_late_rate REAL, probability REAL NOT NULL, late INTEGER NOT NULL)`);
  const insert = judgeDb.prepare(`INSERT INTO predictions VALUES (@flight_id, @flight_date, @dep_hour, @weekday, @distance,
    @route_flights, @route_late_rate, @origin_flights, @origin_late_rate, @probability, @late)`);
  judgeDb.transaction(() => {
    judgeDb.exec('DELETE FROM predictions');
    for (const day of days) for (const row of scored.get(day)!) insert.run(row);
  })();
}

interface Reply {
  status: number;
  body: any;
  text: string;
}

async function metrics(query = ''): Promise<Reply> {
  const response = await fetch(`${server.url}/metrics${query}`);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

/** The expected metrics of the window `days` (ascending), recomputed from the judge's rows and the flights table now. */
function expectedMetrics(days: string[]) {
  const current = days.flatMap((day) => scored.get(day)!);
  const drift = Object.fromEntries(MONITORED.map((name) => [name, psi(baseline, current, name)])) as Record<Monitored, number>;
  const delay = new Map((judgeDb.prepare('SELECT id, delay FROM flights WHERE flight_date BETWEEN ? AND ?').all(days[0], days.at(-1)) as { id: number; delay: number }[]).map((r) => [r.id, r.delay]));
  const known = current.filter((row) => delay.has(row.flight_id));
  const actual = (row: { flight_id: number }) => (delay.get(row.flight_id)! >= 15 ? 1 : 0);
  const accuracy =
    known.length === 0
      ? null
      : {
          flights: known.length,
          accuracy: known.filter((row) => row.late === actual(row)).length / known.length,
          predicted_late_rate: known.filter((row) => row.late === 1).length / known.length,
          actual_late_rate: known.filter((row) => actual(row) === 1).length / known.length,
        };
  return { flights: current.length, drift, accuracy };
}

/** Checks a 200 of GET /metrics against the recomputation for the window `days`. */
function expectMetrics(reply: Reply, days: string[], what: string): void {
  expect(reply.status, `${what} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(200);
  const body = reply.body;
  const want = expectedMetrics(days);
  expect(body?.window?.days, `${what}: window.days (the latest scored days, ascending)`).toEqual(days);
  expect(body?.window?.flights, `${what}: window.flights (rows of predictions in the window)`).toBe(want.flights);
  expect(body?.baseline?.flights, `${what}: baseline.flights (rows of features)`).toBe(baseline.length);
  for (const name of MONITORED) {
    const got = body?.drift?.[name];
    const value = want.drift[name];
    expect(typeof got?.psi === 'number' && Math.abs(got.psi - value) <= 1e-6, `${what}: drift.${name}.psi should be ${value}, got ${JSON.stringify(got?.psi)}`).toBe(true);
    // The status of the PSI the service answers (within 1e-6 of the suite's here): they differ only on a
    // boundary, where two correct sums of the same PSI can be a last bit apart.
    expect(got?.status, `${what}: drift.${name}.status for your PSI of ${got?.psi} (${STATUS_RULE})`).toBe(statusOf(got.psi));
  }
  if (want.accuracy === null) {
    expect(body?.accuracy, `${what}: accuracy with no actual delay known for the window`).toBeNull();
    return;
  }
  for (const key of ['flights', 'accuracy', 'predicted_late_rate', 'actual_late_rate'] as const) {
    const got = body?.accuracy?.[key];
    expect(typeof got === 'number' && Math.abs(got - want.accuracy[key]) <= 1e-9, `${what}: accuracy.${key} should be ${want.accuracy[key]}, got ${JSON.stringify(got)}`).toBe(true);
  }
}

beforeAll(async () => {
  ({ module: service, host } = await loadSolution('src/service.ts'));
  model = await host.load('src/model.ts');
  const dbFile = join(host.tempDir, 'monitor.db');
  rows = await judgeFlights(dbFile, [
    { from: '2001-02-25', to: '2001-04-07' },
    { from: '2001-05-04', to: '2001-06-07' },
  ]);
  history = new History(rows);
  judgeDb = new Database(dbFile);
  judgeDb.pragma('busy_timeout = 5000');
  fillFeatures(judgeDb, rows, history, TRAIN.from, TRAIN.to);
  const db = await host.openDb(dbFile);
  modelDir = join(host.tempDir, 'model');
  await trainAndSave(model, db, TRAIN, modelDir);
  const referenceDir = join(host.tempDir, 'model-reference');
  cpSync(modelDir, referenceDir, { recursive: true });
  const scores = await referenceModel(model, referenceDir);
  const baselineRows = judgeDb.prepare(`SELECT ${FEATURE_NAMES.join(', ')} FROM features ORDER BY flight_id`).all() as Features[];
  const answers = await scores(baselineRows);
  baseline = baselineRows.map((features, i) => ({ ...features, probability: answers[i].probability }));
  // The crafted day: the real flights of June 1, each eight hours later, as new flights.
  const crafted = rows
    .filter((row) => row.flight_date === JUNE[0])
    .map((row) => ({ ...row, id: row.id + 10_000_000, flight_date: CRAFTED, dep_minute: (row.dep_minute + 480) % 1440 }));
  insertFlights(judgeDb, crafted);
  // The late rates on the edge: the flights of June 2 a week later, some rates set to 1.0 and 0.95.
  const rated = rows
    .filter((row) => row.flight_date === JUNE[1])
    .map((row) => ({ ...row, id: row.id + 30_000_000, flight_date: RATES }));
  insertFlights(judgeDb, rated);
  const rates = new Map<number, Partial<Features>>();
  rated.forEach((row, i) => {
    const values: Partial<Features> = {};
    const route = rateOf(i, 4);
    const origin = rateOf(i, 6);
    if (route !== undefined) values.route_late_rate = route;
    if (origin !== undefined) values.origin_late_rate = origin;
    rates.set(row.id, values);
  });
  const replay = replayWeek();
  insertFlights(judgeDb, replay);
  const days = new Map<string, FlightRow[]>([...APRIL, ...JUNE].map((day) => [day, rows.filter((row) => row.flight_date === day)]));
  days.set(CRAFTED, crafted);
  days.set(RATES, rated);
  for (const day of REPLAY) days.set(day, replay.filter((row) => row.flight_date === day));
  await scoreAs(days, scores, rates);
  server = await host.serve(service.createService(db, modelDir));
  // The service loaded its model at start-up: /metrics must not need the folder any more.
  renameSync(modelDir, join(host.tempDir, 'model-moved'));
}, 170_000);

/** The training week's flights (those of `features`) 77 days later, new ids, departures moved to give THRESHOLD_HOURS. */
function replayWeek(): FlightRow[] {
  const ids = new Set(judgeDb.prepare('SELECT flight_id FROM features').pluck().all() as number[]);
  const week = rows.filter((row) => ids.has(row.id)).map((row) => ({ ...row, id: row.id + 20_000_000, flight_date: addDays(row.flight_date, 77) }));
  const byHour = new Map<number, FlightRow[]>();
  for (const row of week) {
    const hour = Math.floor(row.dep_minute / 60);
    const list = byHour.get(hour) ?? [];
    list.push(row);
    byHour.set(hour, list);
  }
  const spare = [...byHour].flatMap(([hour, list]) => list.slice(THRESHOLD_HOURS.get(hour) ?? 0));
  for (const [hour, want] of THRESHOLD_HOURS) {
    for (let k = byHour.get(hour)?.length ?? 0; k < want; k++) {
      const row = spare.pop()!;
      row.dep_minute = hour * 60 + (row.dep_minute % 60);
    }
  }
  const total = [...THRESHOLD_HOURS.values()].reduce((sum, n) => sum + n, 0);
  if (spare.length !== 0 || total !== week.length) throw new Error(`suite error: the replayed week has ${week.length} flights, THRESHOLD_HOURS ${total}`);
  return week;
}

afterAll(async () => {
  judgeDb?.close();
  await server?.close();
  await host?.close();
});

describe('GET /metrics', () => {
  test('with nothing scored yet: an empty window, no drift, no accuracy', async () => {
    const reply = await metrics();
    expect(reply.status, `GET /metrics before any day was scored → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(200);
    expect(reply.body?.window, 'window before any day was scored').toEqual({ days: [], flights: 0 });
    expect(reply.body?.baseline?.flights, 'baseline.flights (rows of features)').toBe(baseline.length);
    expect(reply.body?.drift, 'drift before any day was scored').toBeNull();
    expect(reply.body?.accuracy, 'accuracy before any day was scored').toBeNull();
  });

  test('the week after training: every PSI, status and the accuracy as recomputed; the schedule features stable', async () => {
    predictionsOf(APRIL);
    const reply = await metrics();
    expectMetrics(reply, APRIL, 'GET /metrics with 2001-04-01..07 scored');
    for (const name of ['dep_hour', 'weekday', 'distance'] as const) {
      expect(reply.body.drift[name].status, `drift.${name}.status the week after training`).toBe('stable');
    }
  });

  test('June against a model trained in March: the latest 7 scored days, and the late-rate history has shifted', async () => {
    predictionsOf([...APRIL, ...JUNE]);
    const reply = await metrics();
    expectMetrics(reply, JUNE, 'GET /metrics with April 1-7 and June 1-7 scored');
    expect(reply.body.drift.route_late_rate.status, 'drift.route_late_rate.status for June 1-7 against the March training week').toBe('shifted');
  });

  test('?days=N: the N latest scored days', async () => {
    predictionsOf([...APRIL, ...JUNE]);
    expectMetrics(await metrics('?days=14'), [...APRIL, ...JUNE], 'GET /metrics?days=14');
    expectMetrics(await metrics('?days=3'), JUNE.slice(-3), 'GET /metrics?days=3');
    expectMetrics(await metrics('?days=31'), [...APRIL, ...JUNE], 'GET /metrics?days=31 with 14 days scored');
  });

  test('a crafted shift: a day whose flights all leave eight hours later shows in dep_hour', async () => {
    predictionsOf([...JUNE, CRAFTED]);
    const reply = await metrics('?days=1');
    expectMetrics(reply, [CRAFTED], `GET /metrics?days=1 with ${CRAFTED} crafted`);
    expect(reply.body.drift.dep_hour.status, `drift.dep_hour.status of ${CRAFTED}`).toBe('shifted');
  });

  test('late rates of exactly 1.0 (every flight of the 28 days before late) are in the last tenth, [0.9, 1], with those of 0.95', async () => {
    predictionsOf([JUNE[6], RATES]);
    const reply = await metrics('?days=1');
    expectMetrics(reply, [RATES], `GET /metrics?days=1 with ${RATES} crafted: every 4th route_late_rate and every 6th origin_late_rate 1.0, the next 0.95 (bin min(9, Math.floor(rate * 10)): both in [0.9, 1])`);
  });

  test('a PSI of exactly 0.25 is "shifted": the training week replayed with most 07:00 departures moved to 22:00', async () => {
    const judged = psi(baseline, REPLAY.flatMap((day) => scored.get(day)!), 'dep_hour');
    expect(judged, 'suite error: the dep_hour PSI of the replayed week should be exactly 0.25 (THRESHOLD_HOURS)').toBe(0.25);
    predictionsOf(REPLAY);
    const reply = await metrics();
    // A service whose own sum of this PSI is exactly 0.25 must call it "shifted" (expectMetrics).
    expectMetrics(reply, REPLAY, `GET /metrics with ${REPLAY[0]}..${REPLAY[6]} scored (the training week replayed, its dep_hour PSI exactly 0.25)`);
  });

  test('accuracy uses the delays in flights at the time of the request: corrected and missing actuals', async () => {
    predictionsOf(JUNE);
    const ids = scored.get(JUNE[6])!.slice(0, 400).map((row) => row.flight_id);
    const gone = scored.get(JUNE[5])!.slice(0, 300).map((row) => row.flight_id);
    // Corrected actuals: 400 flights of June 7 arrive 60 minutes late after all; 300 of June 6 are not loaded (yet).
    judgeDb.prepare(`UPDATE flights SET delay = 60 WHERE id IN (${ids.join(',')})`).run();
    const removed = judgeDb.prepare(`SELECT * FROM flights WHERE id IN (${gone.join(',')})`).all() as FlightRow[];
    judgeDb.prepare(`DELETE FROM flights WHERE id IN (${gone.join(',')})`).run();
    try {
      expectMetrics(await metrics(), JUNE, 'GET /metrics after 400 delays of June 7 were corrected and 300 flights of June 6 removed from flights');
    } finally {
      insertFlights(judgeDb, removed);
    }
  });

  test('a window whose flights are all gone from flights has no accuracy (null), though it has drift', async () => {
    predictionsOf(JUNE);
    const day = JUNE[6];
    // Every flight of the latest scored day leaves flights: its rows of predictions join nothing.
    const removed = judgeDb.prepare('SELECT * FROM flights WHERE flight_date = ?').all(day) as FlightRow[];
    judgeDb.prepare('DELETE FROM flights WHERE flight_date = ?').run(day);
    try {
      const reply = await metrics('?days=1');
      expectMetrics(reply, [day], `GET /metrics?days=1 after every flight of ${day} was removed from flights`);
      expect(reply.body?.accuracy, `GET /metrics?days=1 after every flight of ${day} was removed from flights: no row of the window is in flights, so accuracy is null`).toBeNull();
    } finally {
      insertFlights(judgeDb, removed);
    }
  });

  test('?days that is not a whole number from 1 to 31 → 400 naming days', async () => {
    for (const days of ['0', '32', 'abc', '7.5', '-1', '']) {
      const reply = await metrics(`?days=${days}`);
      expect(reply.status, `GET /metrics?days=${days} → ${reply.status} ${reply.text.slice(0, 200)}`).toBe(400);
      expect(errorOf(reply, `GET /metrics?days=${days}`).field, `GET /metrics?days=${days}: "error.field"`).toBe('days');
    }
  });
});
