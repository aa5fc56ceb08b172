// Stage 4: a classifier for "arrives 15+ minutes late" (read stages/4-model.md).
import * as tf from '@tensorflow/tfjs';
import type Database from 'better-sqlite3';

/** The model's inputs: a row of `features`. Other fields a row carries (flight_id, flight_date, late) are ignored. */
export interface FeatureRow {
  dep_hour: number;
  weekday: number;
  distance: number;
  route_flights: number;
  route_late_rate: number | null;
  origin_flights: number;
  origin_late_rate: number | null;
}

/** What train returns and load gives back. Add what you need (the network, normalisation statistics, ...). */
export interface LateModel {
  /** A flight is predicted late when its probability is >= threshold (0 < threshold < 1), chosen on training rows. */
  threshold: number;
  network?: tf.LayersModel;
}

/** Trains on the rows of `features` with flight_date in range.from .. range.to (both included), and nothing else. */
export async function train(db: Database.Database, range: { from: string; to: string }): Promise<LateModel> {
  throw new Error('not implemented: train (stage 4)');
}

/** Writes the model into the folder `dir` (created if missing), and nothing outside it. */
export async function save(model: LateModel, dir: string): Promise<void> {
  throw new Error('not implemented: save (stage 4)');
}

/** The model saved in `dir`; rejects when the folder holds none. */
export async function load(dir: string): Promise<LateModel> {
  throw new Error('not implemented: load (stage 4)');
}

/** One probability of arriving 15+ minutes late per row, in order. */
export function predict(model: LateModel, rows: FeatureRow[]): number[] {
  throw new Error('not implemented: predict (stage 4)');
}
