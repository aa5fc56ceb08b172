// Stage 3: the features table. Daily counts per route and per origin go into temporary tables, a window
// function over each slides the 28 days before the row's day (RANGE over the day number, never the day
// itself), and one INSERT … SELECT joins every flight to its route's and its origin's history of its day.
// Everything runs in one transaction after a DELETE, so a re-run rebuilds the table from scratch.
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

const BUILD = `
DROP TABLE IF EXISTS temp.route_history;
DROP TABLE IF EXISTS temp.origin_history;

CREATE TEMP TABLE route_history AS
SELECT origin, destination, flight_date,
       COALESCE(SUM(n)    OVER w, 0) AS n,
       COALESCE(SUM(late) OVER w, 0) AS late
FROM (SELECT origin, destination, flight_date, COUNT(*) AS n, SUM(delay >= 15) AS late
      FROM flights GROUP BY origin, destination, flight_date)
WINDOW w AS (PARTITION BY origin, destination ORDER BY julianday(flight_date)
             RANGE BETWEEN 28 PRECEDING AND 1 PRECEDING);
CREATE UNIQUE INDEX temp.route_history_key ON route_history (origin, destination, flight_date);

CREATE TEMP TABLE origin_history AS
SELECT origin, flight_date,
       COALESCE(SUM(n)    OVER w, 0) AS n,
       COALESCE(SUM(late) OVER w, 0) AS late
FROM (SELECT origin, flight_date, COUNT(*) AS n, SUM(delay >= 15) AS late
      FROM flights GROUP BY origin, flight_date)
WINDOW w AS (PARTITION BY origin ORDER BY julianday(flight_date)
             RANGE BETWEEN 28 PRECEDING AND 1 PRECEDING);
CREATE UNIQUE INDEX temp.origin_history_key ON origin_history (origin, flight_date);

DELETE FROM features;
INSERT INTO features (flight_id, flight_date, dep_hour, weekday, distance,
                      route_flights, route_late_rate, origin_flights, origin_late_rate, late)
SELECT f.id, f.flight_date, CAST(ROUND(f.dep_minute / 60.0) AS INTEGER), CAST(strftime('%w', f.flight_date) AS INTEGER), f.distance,
       r.n, CASE WHEN r.n > 0 THEN CAST(r.late AS REAL) / r.n END,
       o.n, CASE WHEN o.n > 0 THEN CAST(o.late AS REAL) / o.n END,
       f.delay >= 15
FROM flights f
JOIN route_history r ON r.origin = f.origin AND r.destination = f.destination AND r.flight_date = f.flight_date
JOIN origin_history o ON o.origin = f.origin AND o.flight_date = f.flight_date;

DROP TABLE temp.route_history;
DROP TABLE temp.origin_history;
`;

export function buildFeatures(db: Database.Database): FeatureReport {
  return db.transaction(() => {
    db.exec(FEATURES_DDL);
    db.exec(BUILD);
    return db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT flight_date) AS days FROM features').get() as FeatureReport;
  })();
}
