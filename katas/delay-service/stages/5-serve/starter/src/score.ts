// Stage 5 (serve): the features of scheduled flights, looked up in the database as stage 3 defines them,
// and the batch job that scores every flight of a day into the `predictions` table.
import type Database from 'better-sqlite3';

/** A flight as it is scheduled: what is known before it departs (no delay). */
export interface ScheduledFlight {
  flight_date: string;
  dep_minute: number;
  origin: string;
  destination: string;
  distance: number;
}

export interface ScoreReport {
  day: string;
  /** How many flights of the day were scored (= the day's rows in `predictions` now). */
  scored: number;
}

/**
 * Scores every flight of `day` ('YYYY-MM-DD') in `flights` with the model saved in `modelDir`, and
 * replaces the day's rows of `predictions` with them: a re-run replaces, never duplicates.
 */
export async function scoreDay(db: Database.Database, modelDir: string, day: string): Promise<ScoreReport> {
  throw new Error(`not implemented: scoreDay(db, ${JSON.stringify(modelDir)}, ${JSON.stringify(day)})`);
}
