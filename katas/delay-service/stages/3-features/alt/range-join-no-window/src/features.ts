// Stage 3, without window functions (temp tables, each filled by one GROUP BY): daily counts per route and per origin, keyed by an integer day number
// (temp tables whose primary key is the index the range join needs); each daily row is LEFT JOINed to the
// daily rows of the same key whose day number is between its own minus 28 and minus 1, and summed (a range
// join over daily rows, not over the flights). Flights then take their route's and origin's sums of their day.
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
DROP TABLE IF EXISTS temp.route_day;
DROP TABLE IF EXISTS temp.origin_day;
DROP TABLE IF EXISTS temp.route_hist;
DROP TABLE IF EXISTS temp.origin_hist;

CREATE TEMP TABLE route_day (origin TEXT, destination TEXT, day INTEGER, n INTEGER, late INTEGER,
                             PRIMARY KEY (origin, destination, day));
INSERT INTO route_day
SELECT origin, destination, CAST(julianday(flight_date) AS INTEGER),
       COUNT(*), SUM(CASE WHEN delay >= 15 THEN 1 ELSE 0 END)
FROM flights GROUP BY origin, destination, flight_date;

CREATE TEMP TABLE origin_day (origin TEXT, day INTEGER, n INTEGER, late INTEGER, PRIMARY KEY (origin, day));
INSERT INTO origin_day
SELECT origin, day, SUM(n), SUM(late) FROM route_day GROUP BY origin, day;

CREATE TEMP TABLE route_hist (origin TEXT, destination TEXT, day INTEGER, n REAL, late REAL,
                              PRIMARY KEY (origin, destination, day));
INSERT INTO route_hist
SELECT cur.origin, cur.destination, cur.day, TOTAL(prev.n), TOTAL(prev.late)
FROM route_day cur
LEFT JOIN route_day prev
  ON prev.origin = cur.origin AND prev.destination = cur.destination
 AND prev.day BETWEEN cur.day - 28 AND cur.day - 1
GROUP BY cur.origin, cur.destination, cur.day;

CREATE TEMP TABLE origin_hist (origin TEXT, day INTEGER, n REAL, late REAL, PRIMARY KEY (origin, day));
INSERT INTO origin_hist
SELECT cur.origin, cur.day, TOTAL(prev.n), TOTAL(prev.late)
FROM origin_day cur
LEFT JOIN origin_day prev ON prev.origin = cur.origin AND prev.day BETWEEN cur.day - 28 AND cur.day - 1
GROUP BY cur.origin, cur.day;

INSERT INTO features
SELECT f.id, f.flight_date, f.dep_minute / 60, CAST(strftime('%w', f.flight_date) AS INTEGER), f.distance,
       CAST(r.n AS INTEGER), CASE WHEN r.n > 0 THEN r.late / r.n ELSE NULL END,
       CAST(o.n AS INTEGER), CASE WHEN o.n > 0 THEN o.late / o.n ELSE NULL END,
       CASE WHEN f.delay >= 15 THEN 1 ELSE 0 END
FROM flights f
CROSS JOIN route_hist r ON r.origin = f.origin AND r.destination = f.destination
                       AND r.day = CAST(julianday(f.flight_date) AS INTEGER)
CROSS JOIN origin_hist o ON o.origin = f.origin AND o.day = CAST(julianday(f.flight_date) AS INTEGER);

DROP TABLE temp.route_hist;
DROP TABLE temp.origin_hist;
DROP TABLE temp.route_day;
DROP TABLE temp.origin_day;
`;

const build = (db: Database.Database): FeatureReport => {
  db.exec(FEATURES_DDL);
  db.exec('DELETE FROM features');
  db.exec(BUILD);
  const rows = (db.prepare('SELECT COUNT(*) FROM features').pluck().get() as number) ?? 0;
  const days = (db.prepare('SELECT COUNT(DISTINCT flight_date) FROM features').pluck().get() as number) ?? 0;
  return { rows, days };
};

export function buildFeatures(db: Database.Database): FeatureReport {
  return db.transaction(build)(db);
}
