// Stage 3 as a sliding window walked day by day: JavaScript steps through every calendar day of the data
// (it reads only the first and last day), and SQL keeps a running 28-day total per route and per origin in
// temporary tables: before day D it adds the daily counts of D - 1 and takes away those of D - 29, then
// inserts the flights of D joined to the running totals. Each flight is counted in twice, not 28 times.
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

const SETUP = `
DROP TABLE IF EXISTS temp.route_day;   DROP TABLE IF EXISTS temp.origin_day;
DROP TABLE IF EXISTS temp.route_window; DROP TABLE IF EXISTS temp.origin_window;
CREATE TEMP TABLE route_day (flight_date TEXT, origin TEXT, destination TEXT, n INTEGER, late INTEGER,
                             PRIMARY KEY (flight_date, origin, destination));
INSERT INTO route_day
  SELECT flight_date, origin, destination, COUNT(*), COUNT(CASE WHEN delay >= 15 THEN 1 END)
  FROM flights GROUP BY flight_date, origin, destination;
CREATE TEMP TABLE origin_day (flight_date TEXT, origin TEXT, n INTEGER, late INTEGER, PRIMARY KEY (flight_date, origin));
INSERT INTO origin_day
  SELECT flight_date, origin, SUM(n), SUM(late) FROM route_day GROUP BY flight_date, origin;
CREATE TEMP TABLE route_window (origin TEXT, destination TEXT, n INTEGER NOT NULL, late INTEGER NOT NULL,
                                PRIMARY KEY (origin, destination));
CREATE TEMP TABLE origin_window (origin TEXT PRIMARY KEY, n INTEGER NOT NULL, late INTEGER NOT NULL);
CREATE INDEX temp.flights_by_day ON route_day (flight_date);
`;

const TEARDOWN = `
DROP TABLE temp.route_day; DROP TABLE temp.origin_day; DROP TABLE temp.route_window; DROP TABLE temp.origin_window;
`;

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function buildFeatures(db: Database.Database): FeatureReport {
  return db.transaction((): FeatureReport => {
    db.exec(FEATURES_DDL);
    db.exec('DELETE FROM features');
    db.exec(SETUP);
    const enterRoutes = db.prepare(`
      INSERT INTO route_window (origin, destination, n, late)
      SELECT origin, destination, n, late FROM route_day WHERE flight_date = ?
      ON CONFLICT (origin, destination) DO UPDATE SET n = n + excluded.n, late = late + excluded.late`);
    const leaveRoutes = db.prepare(`
      UPDATE route_window SET n = route_window.n - d.n, late = route_window.late - d.late
      FROM route_day d WHERE d.flight_date = ? AND d.origin = route_window.origin AND d.destination = route_window.destination`);
    const enterOrigins = db.prepare(`
      INSERT INTO origin_window (origin, n, late)
      SELECT origin, n, late FROM origin_day WHERE flight_date = ?
      ON CONFLICT (origin) DO UPDATE SET n = n + excluded.n, late = late + excluded.late`);
    const leaveOrigins = db.prepare(`
      UPDATE origin_window SET n = origin_window.n - d.n, late = origin_window.late - d.late
      FROM origin_day d WHERE d.flight_date = ? AND d.origin = origin_window.origin`);
    const insertDay = db.prepare(`
      INSERT INTO features
      SELECT f.id, f.flight_date, f.dep_minute / 60, CAST(strftime('%w', f.flight_date) AS INTEGER), f.distance,
             IFNULL(r.n, 0), IIF(r.n > 0, r.late * 1.0 / r.n, NULL),
             IFNULL(o.n, 0), IIF(o.n > 0, o.late * 1.0 / o.n, NULL),
             IIF(f.delay >= 15, 1, 0)
      FROM flights f
      LEFT JOIN route_window r ON r.origin = f.origin AND r.destination = f.destination
      LEFT JOIN origin_window o ON o.origin = f.origin
      WHERE f.flight_date = ?`);

    const span = db.prepare('SELECT MIN(flight_date) AS first, MAX(flight_date) AS last FROM flights').get() as {
      first: string | null;
      last: string | null;
    };
    if (span.first !== null && span.last !== null) {
      const last = Date.parse(`${span.last}T00:00:00Z`);
      for (let day = Date.parse(`${span.first}T00:00:00Z`); day <= last; day += DAY_MS) {
        const entering = isoDay(day - DAY_MS); // D - 1 joins the window
        const leaving = isoDay(day - 29 * DAY_MS); // D - 29 falls out of it
        enterRoutes.run(entering);
        leaveRoutes.run(leaving);
        enterOrigins.run(entering);
        leaveOrigins.run(leaving);
        insertDay.run(isoDay(day));
      }
    }
    db.exec(TEARDOWN);
    const report = db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT flight_date) AS days FROM features').get() as FeatureReport;
    return { rows: report.rows, days: report.days };
  })();
}
