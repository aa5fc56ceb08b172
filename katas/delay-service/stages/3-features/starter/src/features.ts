// Stage 3: the features table (read stages/3-features.md). Fill `features` from `flights`, in SQL.
import type Database from 'better-sqlite3';

export interface FeatureReport {
  /** Rows in `features` after the build: one per flight. */
  rows: number;
  /** Distinct flight_date values among them. */
  days: number;
}

/** The table this stage fills, exactly as the brief gives it. */
export const FEATURES_DDL = `
CREATE TABLE IF NOT EXISTS features (
  flight_id        INTEGER PRIMARY KEY REFERENCES flights(id),
  flight_date      TEXT    NOT NULL,
  dep_hour         INTEGER NOT NULL,
  weekday          INTEGER NOT NULL,
  distance         INTEGER NOT NULL,
  route_flights    INTEGER NOT NULL,
  route_late_rate  REAL,
  origin_flights   INTEGER NOT NULL,
  origin_late_rate REAL,
  late             INTEGER NOT NULL
)`;

export function buildFeatures(db: Database.Database): FeatureReport {
  throw new Error('not implemented: buildFeatures (stage 3)');
}
