// Stage 6 (monitor): drift between what the model was trained on and what it has been scoring, and how
// right it has been once the actual delays are in `flights`. Read stages/6-monitor.md for the contract;
// GET /metrics itself goes into src/service.ts.
import type Database from 'better-sqlite3';
import type { LateModel } from './model.js';

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

/** Population stability index of two lists of values of `name`, binned as the brief says. */
export function psi(baseline: (number | null)[], current: (number | null)[], name: Monitored): number {
  throw new Error(`not implemented: psi(${baseline.length} values, ${current.length} values, ${name})`);
}

/** What the model was trained on: every row of `features`, with the model's probability for it. */
export type Baseline = Record<Monitored, number | null>[];

/** The baseline of a loaded model (read it once, when the service starts). */
export function baselineOf(db: Database.Database, model: LateModel): Baseline {
  throw new Error('not implemented: baselineOf(db, model)');
}

/** The metrics of the `days` latest scored days against the baseline (see the brief). */
export function computeMetrics(db: Database.Database, baseline: Baseline, days: number): Metrics {
  throw new Error(`not implemented: computeMetrics(db, ${baseline.length} baseline rows, ${days})`);
}
