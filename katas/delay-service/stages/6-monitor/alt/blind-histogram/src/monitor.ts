// Stage 6 (monitor), histogram style: every monitored value has a fixed number of numbered bins; each
// population is a Float64Array of counts per value, filled by streaming rows (.iterate()), and the
// baseline's histograms are built once. Live accuracy streams the window's predictions and looks up
// each flight's delay by id.
import type Database from 'better-sqlite3';
import { predict, type FeatureRow, type LateModel } from './model.js';

/** Every share below this counts as this much, so that an empty bin does not make the PSI infinite. */
export const EPSILON = 0.0001;
/** What a PSI says: below 0.1 stable, below 0.25 moderate, from 0.25 on shifted. */
export type DriftStatus = 'stable' | 'moderate' | 'shifted';
export const MONITORED = ['dep_hour', 'weekday', 'distance', 'route_flights', 'route_late_rate', 'origin_flights', 'origin_late_rate', 'probability'] as const;
export type Monitored = (typeof MONITORED)[number];

/** The body of GET /metrics. */
export interface Metrics {
  window: { days: string[]; flights: number };
  baseline: { flights: number };
  drift: Record<Monitored, { psi: number; status: DriftStatus }> | null;
  accuracy: { flights: number; accuracy: number; predicted_late_rate: number; actual_late_rate: number } | null;
}

interface Binning {
  size: number;
  index(value: number | null): number;
}

/** Bins [0, e1) [e1, e2) ... [ek, ∞), by binary search over the edges. */
function edges(...cuts: number[]): Binning {
  return {
    size: cuts.length + 1,
    index(value) {
      let lo = 0;
      let hi = cuts.length; // the answer is the number of cuts <= value
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cuts[mid] <= (value as number)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

const categories = (size: number): Binning => ({ size, index: (value) => value as number });
/** Tenths 0..9 from Math.floor(v * 10), 1.0 in the last; with `nullable`, NULL is bin 10. */
const tenths = (nullable: boolean): Binning => ({
  size: nullable ? 11 : 10,
  index: (value) => (value === null ? 10 : Math.min(9, Math.floor(value * 10))),
});

const BINNING: Record<Monitored, Binning> = {
  dep_hour: categories(24),
  weekday: categories(7),
  distance: edges(250, 500, 750, 1000, 1500, 2000),
  route_flights: edges(1, 10, 30, 100, 300),
  route_late_rate: tenths(true),
  origin_flights: edges(1, 100, 1000, 3000, 10000),
  origin_late_rate: tenths(true),
  probability: tenths(false),
};

type Histograms = { rows: number; counts: Record<Monitored, Float64Array> };

function emptyHistograms(): Histograms {
  return { rows: 0, counts: Object.fromEntries(MONITORED.map((name) => [name, new Float64Array(BINNING[name].size)])) as Record<Monitored, Float64Array> };
}

function add(histograms: Histograms, row: Record<Monitored, number | null>): void {
  histograms.rows++;
  for (const name of MONITORED) histograms.counts[name][BINNING[name].index(row[name])]++;
}

/** PSI of two count vectors over the same bins (a bin empty on both sides adds (ε − ε)·ln 1 = 0). */
function psiOfCounts(expected: Float64Array, expectedRows: number, actual: Float64Array, actualRows: number): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(EPSILON, expected[i] / expectedRows);
    const a = Math.max(EPSILON, actual[i] / actualRows);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Population stability index of two lists of values of `name`, binned as the brief says. */
export function psi(baseline: (number | null)[], current: (number | null)[], name: Monitored): number {
  const count = (values: (number | null)[]) => {
    const counts = new Float64Array(BINNING[name].size);
    for (const value of values) counts[BINNING[name].index(value)]++;
    return counts;
  };
  return psiOfCounts(count(baseline), baseline.length, count(current), current.length);
}

/** What the model was trained on: every row of `features`, with the model's probability for it. */
export type Baseline = Record<Monitored, number | null>[];

const COLUMNS = 'dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate';

/** The baseline of a loaded model (read it once, when the service starts). */
export function baselineOf(db: Database.Database, model: LateModel): Baseline {
  const rows = db.prepare(`SELECT ${COLUMNS} FROM features`).all() as FeatureRow[];
  const probabilities = predict(model, rows);
  return rows.map((row, i) => ({ ...row, probability: probabilities[i] }));
}

/** The baseline's histograms, built once per baseline array. */
const histogramsOf = new WeakMap<Baseline, Histograms>();
function baselineHistograms(baseline: Baseline): Histograms {
  let found = histogramsOf.get(baseline);
  if (!found) {
    found = emptyHistograms();
    for (const row of baseline) add(found, row);
    histogramsOf.set(baseline, found);
  }
  return found;
}

function status(value: number): DriftStatus {
  if (value >= 0.25) return 'shifted';
  if (value >= 0.1) return 'moderate';
  return 'stable';
}

/** The metrics of the `days` latest scored days against the baseline (see the brief). */
export function computeMetrics(db: Database.Database, baseline: Baseline, days: number): Metrics {
  const base = { flights: baseline.length };
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'predictions'").get();
  const scoredDays = table ? (db.prepare('SELECT DISTINCT flight_date FROM predictions').pluck().all() as string[]) : [];
  scoredDays.sort();
  const windowDays = scoredDays.slice(Math.max(0, scoredDays.length - days));
  if (windowDays.length === 0) return { window: { days: [], flights: 0 }, baseline: base, drift: null, accuracy: null };

  const current = emptyHistograms();
  const delayOf = db.prepare('SELECT delay FROM flights WHERE id = ?').pluck();
  let known = 0;
  let right = 0;
  let predictedLate = 0;
  let actualLate = 0;
  const rows = db.prepare(`SELECT flight_id, ${COLUMNS}, probability, late FROM predictions WHERE flight_date = ?`);
  for (const day of windowDays) {
    for (const row of rows.iterate(day) as Iterable<Record<Monitored, number | null> & { flight_id: number; late: number }>) {
      add(current, row);
      const delay = delayOf.get(row.flight_id) as number | undefined;
      if (delay === undefined || delay === null) continue;
      const late = delay >= 15 ? 1 : 0;
      known++;
      if (row.late === late) right++;
      if (row.late === 1) predictedLate++;
      actualLate += late;
    }
  }
  const expected = baselineHistograms(baseline);
  const drift = {} as Record<Monitored, { psi: number; status: DriftStatus }>;
  for (const name of MONITORED) {
    const value = psiOfCounts(expected.counts[name], expected.rows, current.counts[name], current.rows);
    drift[name] = { psi: value, status: status(value) };
  }
  const accuracy =
    known === 0 ? null : { flights: known, accuracy: right / known, predicted_late_rate: predictedLate / known, actual_late_rate: actualLate / known };
  return { window: { days: windowDays, flights: current.rows }, baseline: base, drift, accuracy };
}
