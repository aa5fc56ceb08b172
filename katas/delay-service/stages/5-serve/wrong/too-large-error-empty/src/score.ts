// Stage 5: the features of scheduled flights, looked up in the database as stage 3 defines them, and the
// batch job that scores every flight of a day into the `predictions` table.
import type Database from 'better-sqlite3';
import { load, predict, type FeatureRow } from './model.js';

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

/** The indexes the history look-ups need: created once, harmless when they exist. */
export function ensureIndexes(db: Database.Database): void {
  db.exec(`
    CREATE INDEX IF NOT EXISTS flights_origin_day ON flights (origin, flight_date, delay);
    CREATE INDEX IF NOT EXISTS flights_route_day ON flights (origin, destination, flight_date, delay);
    CREATE INDEX IF NOT EXISTS flights_day ON flights (flight_date);
  `);
}

/** 0 = Sunday .. 6 = Saturday, of a 'YYYY-MM-DD' date. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

interface History {
  flights: number;
  late_rate: number | null;
}

/**
 * Stage 3's features of each flight, from the flights of the 28 days before its date (date - 28 ..
 * date - 1): route and origin history. Look-ups are memoised per (date, origin) and (date, route).
 */
export function lookupFeatures(db: Database.Database, flights: ScheduledFlight[]): FeatureRow[] {
  const window = `flight_date BETWEEN date(@day, '-28 days') AND date(@day, '-1 day')`;
  const byOrigin = db.prepare(`SELECT COUNT(*) AS n, SUM(delay >= 15) AS late FROM flights WHERE origin = @origin AND ${window}`);
  const byRoute = db.prepare(
    `SELECT COUNT(*) AS n, SUM(delay >= 15) AS late FROM flights WHERE origin = @origin AND destination = @destination AND ${window}`,
  );
  const memo = new Map<string, History>();
  const history = (key: string, statement: Database.Statement, params: object): History => {
    let found = memo.get(key);
    if (!found) {
      const { n, late } = statement.get(params) as { n: number; late: number | null };
      found = { flights: n, late_rate: n === 0 ? null : (late ?? 0) / n };
      memo.set(key, found);
    }
    return found;
  };
  return flights.map((flight) => {
    const route = history(`${flight.flight_date} ${flight.origin} ${flight.destination}`, byRoute, {
      day: flight.flight_date,
      origin: flight.origin,
      destination: flight.destination,
    });
    const origin = history(`${flight.flight_date} ${flight.origin}`, byOrigin, { day: flight.flight_date, origin: flight.origin });
    return {
      dep_hour: Math.floor(flight.dep_minute / 60),
      weekday: weekdayOf(flight.flight_date),
      distance: flight.distance,
      route_flights: route.flights,
      route_late_rate: route.late_rate,
      origin_flights: origin.flights,
      origin_late_rate: origin.late_rate,
    };
  });
}

/** Whether a string is a real calendar date written 'YYYY-MM-DD'. */
export function isDay(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * Scores every flight of `day` in `flights` with the model saved in `modelDir` and replaces the day's
 * rows of `predictions` with them, in one transaction: a re-run replaces, never duplicates.
 */
export async function scoreDay(db: Database.Database, modelDir: string, day: string): Promise<ScoreReport> {
  if (!isDay(day)) throw new Error(`day must be a date written YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const model = await load(modelDir);
  ensureIndexes(db);
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
    late             INTEGER NOT NULL
  )`);
  const flights = db
    .prepare('SELECT id, flight_date, dep_minute, origin, destination, distance FROM flights WHERE flight_date = ? ORDER BY id')
    .all(day) as (ScheduledFlight & { id: number })[];
  const features = lookupFeatures(db, flights);
  const probabilities = flights.length === 0 ? [] : predict(model, features);
  const insert = db.prepare(`INSERT OR REPLACE INTO predictions VALUES (@flight_id, @flight_date, @dep_hour, @weekday, @distance,
    @route_flights, @route_late_rate, @origin_flights, @origin_late_rate, @probability, @late)`);
  db.transaction(() => {
    db.prepare('DELETE FROM predictions WHERE flight_date = ?').run(day);
    flights.forEach((flight, i) => {
      const probability = probabilities[i];
      insert.run({ flight_id: flight.id, flight_date: day, ...features[i], probability, late: probability >= model.threshold ? 1 : 0 });
    });
  })();
  return { day, scored: flights.length };
}
