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

/** The body of GET /metrics. */
export interface Metrics {
  window: { days: string[]; flights: number };
  baseline: { flights: number };
  drift: Record<Monitored, { psi: number; status: DriftStatus }> | null;
  accuracy: { flights: number; accuracy: number; predicted_late_rate: number; actual_late_rate: number } | null;
}

const DISTANCE_EDGES = [250, 500, 750, 1000, 1500, 2000];
const ROUTE_FLIGHTS_EDGES = [1, 10, 30, 100, 300];
const ORIGIN_FLIGHTS_EDGES = [1, 100, 1000, 3000, 10000];

/** The index of the bin [edges[i-1], edges[i]) holding `value` (below the first edge: 0). */
function edgeBin(value: number, edges: number[]): number {
  let i = 0;
  while (i < edges.length && value >= edges[i]) i++;
  return i;
}

const tenth = (value: number) => Math.min(9, Math.floor(value * 10));

/** The bin of one value of `name`, as the brief's table says. */
export function binOf(name: Monitored, value: number | null): string {
  switch (name) {
    case 'dep_hour':
    case 'weekday':
      return String(value);
    case 'distance':
      return String(edgeBin(value as number, DISTANCE_EDGES));
    case 'route_flights':
      return String(edgeBin(value as number, ROUTE_FLIGHTS_EDGES));
    case 'origin_flights':
      return String(edgeBin(value as number, ORIGIN_FLIGHTS_EDGES));
    case 'route_late_rate':
    case 'origin_late_rate':
      if (value === null) return 'null';
      for (let k = 0; k < 9; k++) if (value < 0.1 * (k + 1)) return String(k);
      return '9';
    case 'probability':
      return String(tenth(value as number));
  }
}

function shares(values: (number | null)[], name: Monitored): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) {
    const bin = binOf(name, value);
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  for (const [bin, n] of counts) counts.set(bin, n / values.length);
  return counts;
}

/** Population stability index of two lists of values of `name`, binned as the brief says. */
export function psi(baseline: (number | null)[], current: (number | null)[], name: Monitored): number {
  const e = shares(baseline, name);
  const a = shares(current, name);
  const bins = new Set([...e.keys(), ...a.keys()]);
  let sum = 0;
  for (const bin of bins) {
    const ei = Math.max(EPSILON, e.get(bin) ?? 0);
    const ai = Math.max(EPSILON, a.get(bin) ?? 0);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return sum;
}

export function statusOf(value: number): DriftStatus {
  return value < 0.1 ? 'stable' : value < 0.25 ? 'moderate' : 'shifted';
}

/** What the model was trained on: every row of `features`, with the model's probability for it. */
export type Baseline = Record<Monitored, number | null>[];

const FEATURE_COLUMNS = 'dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate';

/** The baseline of a loaded model (read it once, when the service starts). */
export function baselineOf(db: Database.Database, model: LateModel): Baseline {
  const rows = db.prepare(`SELECT ${FEATURE_COLUMNS} FROM features ORDER BY flight_id`).all() as FeatureRow[];
  const probabilities = predict(model, rows);
  return rows.map((row, i) => ({ ...row, probability: probabilities[i] }));
}

const hasPredictions = (db: Database.Database) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'predictions'").get() !== undefined;

/** The metrics of the `days` latest scored days against the baseline (see the brief). */
export function computeMetrics(db: Database.Database, baseline: Baseline, days: number): Metrics {
  const empty: Metrics = { window: { days: [], flights: 0 }, baseline: { flights: baseline.length }, drift: null, accuracy: null };
  if (!hasPredictions(db)) return empty;
  const latest = (db.prepare('SELECT DISTINCT flight_date FROM predictions ORDER BY flight_date DESC LIMIT ?').pluck().all(days) as string[]).sort();
  if (latest.length === 0) return empty;
  const inWindow = `flight_date IN (${latest.map(() => '?').join(', ')})`;
  const rows = db.prepare(`SELECT ${FEATURE_COLUMNS}, probability FROM predictions WHERE ${inWindow}`).all(...latest) as Record<Monitored, number | null>[];
  const drift = {} as Record<Monitored, { psi: number; status: DriftStatus }>;
  for (const name of MONITORED) {
    const value = psi(
      baseline.map((row) => row[name]),
      rows.map((row) => row[name]),
      name,
    );
    drift[name] = { psi: value, status: statusOf(value) };
  }
  const joined = db
    .prepare(
      `SELECT COUNT(*) AS n, SUM(p.late = (f.delay >= 15)) AS right, SUM(p.late) AS predicted, SUM(f.delay >= 15) AS actual
       FROM predictions p JOIN flights f ON f.id = p.flight_id WHERE p.${inWindow}`,
    )
    .get(...latest) as { n: number; right: number | null; predicted: number | null; actual: number | null };
  const accuracy =
    joined.n === 0
      ? null
      : { flights: joined.n, accuracy: (joined.right ?? 0) / joined.n, predicted_late_rate: (joined.predicted ?? 0) / joined.n, actual_late_rate: (joined.actual ?? 0) / joined.n };
  return { window: { days: latest, flights: rows.length }, baseline: { flights: baseline.length }, drift, accuracy };
}
