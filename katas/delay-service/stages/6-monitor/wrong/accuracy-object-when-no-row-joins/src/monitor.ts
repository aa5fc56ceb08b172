// Stage 6 (monitor): drift between what the model was trained on and what it has been scoring, and how
// right it has been once the actual delays are in `flights`.
import type Database from 'better-sqlite3';
import { predict, type FeatureRow, type LateModel } from './model.js';

/** Every share below this counts as this much, so that an empty bin does not make the PSI infinite. */
export const EPSILON = 0.0001;
/** What a PSI says: below 0.1 stable, below 0.25 moderate, from 0.25 on shifted. */
export type DriftStatus = 'stable' | 'moderate' | 'shifted';
export const MONITORED = ['dep_hour', 'weekday', 'distance', 'route_flights', 'route_late_rate', 'origin_flights', 'origin_late_rate', 'probability'] as const;
export type Monitored = (typeof MONITORED)[number];

export interface Metrics {
  window: { days: string[]; flights: number };
  baseline: { flights: number };
  drift: Record<Monitored, { psi: number; status: DriftStatus }> | null;
  accuracy: { flights: number; accuracy: number; predicted_late_rate: number; actual_late_rate: number } | null;
}

/** The first bin whose lower edge the value reaches: bin k holds edges[k] <= value < edges[k + 1]. */
function byEdges(edges: number[]): (value: number) => number {
  return (value) => {
    let k = 0;
    while (k + 1 < edges.length && value >= edges[k + 1]) k++;
    return k;
  };
}
const tenths = (value: number) => Math.min(9, Math.floor(value * 10));

/** The bin of each monitored value (null: the bin of its own, for the rates that can be NULL). */
export const BINS: Record<Monitored, (value: number) => number> = {
  dep_hour: (value) => value,
  weekday: (value) => value,
  distance: byEdges([0, 250, 500, 750, 1000, 1500, 2000]),
  route_flights: byEdges([0, 1, 10, 30, 100, 300]),
  route_late_rate: tenths,
  origin_flights: byEdges([0, 1, 100, 1000, 3000, 10000]),
  origin_late_rate: tenths,
  probability: tenths,
};

type Row = Record<Monitored, number | null>;

function shares(values: (number | null)[], name: Monitored): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) {
    const bin = value === null ? 'null' : String(BINS[name](value));
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  return new Map([...counts].map(([bin, count]) => [bin, count / values.length]));
}

/** Population stability index: sum over bins of (a - e) ln(a / e), each share at least EPSILON. */
export function psi(baseline: (number | null)[], current: (number | null)[], name: Monitored): number {
  const expected = shares(baseline, name);
  const actual = shares(current, name);
  let total = 0;
  for (const bin of new Set([...expected.keys(), ...actual.keys()])) {
    const e = Math.max(expected.get(bin) ?? 0, EPSILON);
    const a = Math.max(actual.get(bin) ?? 0, EPSILON);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

export const statusOf = (value: number): DriftStatus => (value < 0.1 ? 'stable' : value < 0.25 ? 'moderate' : 'shifted');

const FEATURE_COLUMNS = 'dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate';

/** What the model was trained on: every row of `features`, with the model's probability for it. */
export type Baseline = Row[];

/** The baseline of `model`: read once, when the service starts (the features table does not change while it runs). */
export function baselineOf(db: Database.Database, model: LateModel): Baseline {
  const features = db.prepare(`SELECT ${FEATURE_COLUMNS} FROM features ORDER BY flight_id`).all() as FeatureRow[];
  const probabilities = features.length === 0 ? [] : predict(model, features);
  return features.map((row, i) => ({ ...row, probability: probabilities[i] }));
}

/** The metrics of the `days` latest scored days (distinct flight_date of `predictions`) against the baseline. */
export function computeMetrics(db: Database.Database, baselineRows: Baseline, days: number): Metrics {
  const hasPredictions = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'predictions'").get() !== undefined;
  const window = hasPredictions
    ? (db.prepare('SELECT DISTINCT flight_date FROM predictions ORDER BY flight_date DESC LIMIT ?').pluck().all(days) as string[]).reverse()
    : [];
  const baseline: Metrics['baseline'] = { flights: baselineRows.length };
  if (window.length === 0) return { window: { days: [], flights: 0 }, baseline, drift: null, accuracy: null };
  const inWindow = `flight_date BETWEEN '${window[0]}' AND '${window[window.length - 1]}'`;
  const current = db.prepare(`SELECT ${FEATURE_COLUMNS}, probability FROM predictions WHERE ${inWindow} ORDER BY flight_id`).all() as Row[];
  const drift = Object.fromEntries(
    MONITORED.map((name) => {
      const value = psi(baselineRows.map((row) => row[name]), current.map((row) => row[name]), name);
      return [name, { psi: value, status: statusOf(value) }];
    }),
  ) as Metrics['drift'];
  const outcome = db
    .prepare(
      `SELECT COUNT(*) AS flights, SUM(p.late = (f.delay >= 15)) AS right, SUM(p.late) AS predicted, SUM(f.delay >= 15) AS actual
       FROM predictions p JOIN flights f ON f.id = p.flight_id WHERE p.${inWindow}`,
    )
    .get() as { flights: number; right: number; predicted: number; actual: number };
  // The window is not empty (checked above), so there is always an accuracy to give.
  const accuracy = {
    flights: outcome.flights,
    accuracy: outcome.right / outcome.flights,
    predicted_late_rate: outcome.predicted / outcome.flights,
    actual_late_rate: outcome.actual / outcome.flights,
  };
  return { window: { days: window, flights: current.length }, baseline, drift, accuracy };
}
