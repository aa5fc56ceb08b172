// Stage 5 (serve), SQL-heavy: the features of a whole batch in one statement (json_each of the batch,
// one LEFT JOIN aggregate per distinct (day, route) and (day, origin)), and scoreDay as INSERT ... SELECT
// followed by an UPDATE of the probabilities, all in one transaction.
import type Database from 'better-sqlite3';
import { load, predict, type FeatureRow } from './model';

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

export function createIndexes(db: Database.Database): void {
  db.exec(`CREATE INDEX IF NOT EXISTS idx_flights_route_history ON flights (origin, destination, flight_date, delay);
           CREATE INDEX IF NOT EXISTS idx_flights_origin_history ON flights (origin, flight_date, delay);
           CREATE INDEX IF NOT EXISTS idx_flights_flight_date ON flights (flight_date);`);
}

// `req(i, d, m, o, de, dist)` is the CTE of the flights to featurise; the rest is the same for both uses.
const FEATURES_OF = (req: string) => `
WITH req AS (${req}),
route_keys AS (SELECT DISTINCT d, o, de FROM req),
origin_keys AS (SELECT DISTINCT d, o FROM req),
route_history AS (
  SELECT k.d, k.o, k.de, COUNT(f.id) AS n, COALESCE(SUM(f.delay >= 15), 0) AS late
  FROM route_keys k LEFT JOIN flights f
    ON f.origin = k.o AND f.destination = k.de AND f.flight_date BETWEEN date(k.d, '-28 days') AND date(k.d, '-1 day')
  GROUP BY k.d, k.o, k.de),
origin_history AS (
  SELECT k.d, k.o, COUNT(f.id) AS n, COALESCE(SUM(f.delay >= 15), 0) AS late
  FROM origin_keys k LEFT JOIN flights f
    ON f.origin = k.o AND f.flight_date BETWEEN date(k.d, '-28 days') AND date(k.d, '-1 day')
  GROUP BY k.d, k.o)
SELECT req.i AS i,
       req.d AS flight_date,
       req.m / 60 AS dep_hour,
       CAST(strftime('%w', req.d) AS INTEGER) AS weekday,
       req.dist AS distance,
       r.n AS route_flights,
       CASE WHEN r.n > 0 THEN CAST(r.late AS REAL) / r.n END AS route_late_rate,
       o.n AS origin_flights,
       CASE WHEN o.n > 0 THEN CAST(o.late AS REAL) / o.n END AS origin_late_rate
FROM req
JOIN route_history r ON r.d = req.d AND r.o = req.o AND r.de = req.de
JOIN origin_history o ON o.d = req.d AND o.o = req.o
ORDER BY req.i`;

const BATCH = FEATURES_OF(`SELECT key AS i, value ->> 'flight_date' AS d, value ->> 'dep_minute' AS m, value ->> 'origin' AS o,
  value ->> 'destination' AS de, value ->> 'distance' AS dist FROM json_each(?)`);

/** The features of validated scheduled flights, in their order, from `flights` as it is now. */
export function batchFeatures(db: Database.Database, flights: readonly ScheduledFlight[]): FeatureRow[] {
  const rows = db.prepare(BATCH).all(JSON.stringify(flights)) as (FeatureRow & { i: number; flight_date?: string })[];
  return rows.map(({ i: _i, flight_date: _d, ...features }) => features);
}

const DAY = FEATURES_OF(`SELECT id AS i, flight_date AS d, dep_minute AS m, origin AS o, destination AS de, distance AS dist
  FROM flights WHERE flight_date = @day`);

/**
 * Scores every flight of `day` ('YYYY-MM-DD') in `flights` with the model saved in `modelDir`, and
 * replaces the day's rows of `predictions` with them: a re-run replaces, never duplicates.
 */
export async function scoreDay(db: Database.Database, modelDir: string, day: string): Promise<ScoreReport> {
  const model = await load(modelDir);
  db.exec(`CREATE TABLE IF NOT EXISTS predictions (
    flight_id        INTEGER PRIMARY KEY,
    flight_date      TEXT    NOT NULL,
    dep_hour         INTEGER NOT NULL,
    weekday          INTEGER NOT NULL,
    distance         INTEGER NOT NULL,
    route_flights    INTEGER NOT NULL,
    route_late_rate  REAL,
    origin_flights   INTEGER NOT NULL,
    origin_late_rate REAL,
    probability      REAL    NOT NULL,
    late             INTEGER NOT NULL)`);
  createIndexes(db);
  const replace = db.transaction((): number => {
    db.prepare('DELETE FROM predictions WHERE flight_date = @day').run({ day });
    db.prepare(`INSERT INTO predictions (flight_id, flight_date, dep_hour, weekday, distance, route_flights, route_late_rate,
                                         origin_flights, origin_late_rate, probability, late)
                SELECT i, flight_date, dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate, 0, 0
                FROM (${DAY})`).run({ day });
    const rows = db
      .prepare(`SELECT flight_id, dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate
                FROM predictions WHERE flight_date = @day ORDER BY flight_id`)
      .all({ day }) as (FeatureRow & { flight_id: number })[];
    const probabilities = predict(model, rows);
    const update = db.prepare('UPDATE predictions SET probability = @p, late = @p >= @t WHERE flight_id = @id');
    rows.forEach((row, k) => update.run({ id: row.flight_id, p: probabilities[k], t: model.threshold }));
    return rows.length;
  });
  return { day, scored: replace() };
}
