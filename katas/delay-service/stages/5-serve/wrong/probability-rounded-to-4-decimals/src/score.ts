// Stage 5 (serve): the features of scheduled flights, looked up in the database as stage 3 defines them,
// and the batch job that scores every flight of a day into the `predictions` table.
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

export const PREDICTIONS_DDL = `
CREATE TABLE IF NOT EXISTS predictions (
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
  late             INTEGER NOT NULL
)`;

/** The indexes the look-ups need: each history count is an index range. */
export function ensureIndexes(db: Database.Database): void {
  db.exec(`
    CREATE INDEX IF NOT EXISTS flights_route_day ON flights (origin, destination, flight_date, delay);
    CREATE INDEX IF NOT EXISTS flights_origin_day ON flights (origin, flight_date, delay);
    CREATE INDEX IF NOT EXISTS flights_day ON flights (flight_date);`);
}

interface Counts {
  flights: number;
  late: number;
}

/** Computes stage 3's features of scheduled flights from `flights` as it is now; one look-up per key. */
export function featureLookup(db: Database.Database): (flights: readonly ScheduledFlight[]) => FeatureRow[] {
  const route = db.prepare(`SELECT COUNT(*) AS flights, COALESCE(SUM(delay >= 15), 0) AS late FROM flights
    WHERE origin = ? AND destination = ? AND flight_date BETWEEN date(?, '-28 days') AND date(?, '-1 day')`);
  const origin = db.prepare(`SELECT COUNT(*) AS flights, COALESCE(SUM(delay >= 15), 0) AS late FROM flights
    WHERE origin = ? AND flight_date BETWEEN date(?, '-28 days') AND date(?, '-1 day')`);
  return (flights) => {
    const routes = new Map<string, Counts>();
    const origins = new Map<string, Counts>();
    return flights.map((f) => {
      const routeKey = `${f.flight_date}|${f.origin}|${f.destination}`;
      let r = routes.get(routeKey);
      if (!r) routes.set(routeKey, (r = route.get(f.origin, f.destination, f.flight_date, f.flight_date) as Counts));
      const originKey = `${f.flight_date}|${f.origin}`;
      let o = origins.get(originKey);
      if (!o) origins.set(originKey, (o = origin.get(f.origin, f.flight_date, f.flight_date) as Counts));
      return {
        dep_hour: Math.floor(f.dep_minute / 60),
        weekday: new Date(`${f.flight_date}T00:00:00Z`).getUTCDay(),
        distance: f.distance,
        route_flights: r.flights,
        route_late_rate: r.flights > 0 ? r.late / r.flights : null,
        origin_flights: o.flights,
        origin_late_rate: o.flights > 0 ? o.late / o.flights : null,
      };
    });
  };
}

/**
 * Scores every flight of `day` ('YYYY-MM-DD') in `flights` with the model saved in `modelDir`, and
 * replaces the day's rows of `predictions` with them: a re-run replaces, never duplicates.
 */
export async function scoreDay(db: Database.Database, modelDir: string, day: string): Promise<ScoreReport> {
  const model = await load(modelDir);
  db.exec(PREDICTIONS_DDL);
  ensureIndexes(db);
  const flights = db
    .prepare('SELECT id, flight_date, dep_minute, origin, destination, distance FROM flights WHERE flight_date = ? ORDER BY id')
    .all(day) as (ScheduledFlight & { id: number })[];
  const features = featureLookup(db)(flights);
  const probabilities = predict(model, features);
  const insert = db.prepare(`INSERT INTO predictions (flight_id, flight_date, dep_hour, weekday, distance, route_flights,
      route_late_rate, origin_flights, origin_late_rate, probability, late)
    VALUES (@flight_id, @flight_date, @dep_hour, @weekday, @distance, @route_flights, @route_late_rate, @origin_flights,
      @origin_late_rate, @probability, @late)`);
  db.transaction(() => {
    db.prepare('DELETE FROM predictions WHERE flight_date = ?').run(day);
    flights.forEach((f, i) => {
      insert.run({
        flight_id: f.id,
        flight_date: day,
        ...features[i],
        probability: probabilities[i],
        late: probabilities[i] >= model.threshold ? 1 : 0,
      });
    });
  })();
  return { day, scored: flights.length };
}
