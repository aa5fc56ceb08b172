// Reference solution of stage 3: the features table, computed inside SQLite. Per-day counts of each route
// and each origin, a window function over the 28 days before each day (never the day itself), then one
// row per flight joined on (route, day) and (origin, day).
import type Database from 'better-sqlite3';

export interface FeatureReport {
  /** Rows in `features` after the build: one per flight. */
  rows: number;
  /** Distinct flight_date values among them. */
  days: number;
}

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

// The history of every (key, day) that has flights: the sums over the 28 days before it. RANGE over the
// day number (julianday) counts calendar days, so a day without flights still takes its place in the window.
const HISTORY = (keys: string, table: string) => `
CREATE TEMP TABLE ${table} AS
WITH daily AS (
  SELECT ${keys}, flight_date, COUNT(*) AS flights, SUM(delay >= 15) AS late
  FROM main.flights GROUP BY ${keys}, flight_date
)
SELECT ${keys}, flight_date,
       COALESCE(SUM(flights) OVER w, 0) AS flights,
       COALESCE(SUM(late) OVER w, 0) AS late
FROM daily
WINDOW w AS (PARTITION BY ${keys} ORDER BY julianday(flight_date) RANGE BETWEEN 28 PRECEDING AND 1 PRECEDING)`;

export function buildFeatures(db: Database.Database): FeatureReport {
  const build = db.transaction(() => {
    db.exec(FEATURES_DDL);
    db.exec('DROP TABLE IF EXISTS temp.route_history; DROP TABLE IF EXISTS temp.origin_history;');
    db.exec(HISTORY('origin, destination', 'route_history'));
    db.exec(HISTORY('origin', 'origin_history'));
    db.exec('CREATE UNIQUE INDEX temp.route_history_key ON route_history (origin, destination, flight_date)');
    db.exec('CREATE UNIQUE INDEX temp.origin_history_key ON origin_history (origin, flight_date)');
    db.exec('DELETE FROM features');
    db.exec(`
      INSERT INTO features (flight_id, flight_date, dep_hour, weekday, distance, route_flights, route_late_rate,
                            origin_flights, origin_late_rate, late)
      SELECT f.id, f.flight_date, f.dep_minute / 60, CAST(strftime('%w', f.flight_date) AS INTEGER), f.distance,
             r.flights, CASE WHEN r.flights > 0 THEN CAST(r.late AS REAL) / r.flights END,
             o.flights, CASE WHEN o.flights > 1 THEN CAST(o.late AS REAL) / o.flights END,
             f.delay >= 15
      FROM main.flights f
      JOIN route_history r ON r.origin = f.origin AND r.destination = f.destination AND r.flight_date = f.flight_date
      JOIN origin_history o ON o.origin = f.origin AND o.flight_date = f.flight_date`);
    db.exec('DROP TABLE temp.route_history; DROP TABLE temp.origin_history;');
    return db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT flight_date) AS days FROM features').get() as FeatureReport;
  });
  return build();
}
