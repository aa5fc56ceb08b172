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

const DAY_MS = 86_400_000;
const WINDOW_DAYS = 28;

/** 'YYYY-MM-DD' shifted by `days` calendar days. */
function shift(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The one index the look-ups need: origin first, then the day, covering destination and delay. */
export function ensureIndexes(db: Database.Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS flights_origin_day_dest_delay ON flights (origin, flight_date, destination, delay)');
}

interface Tally {
  flights: number;
  late: number;
}

/** One origin's history for one day: its total and a tally per destination. */
interface OriginHistory {
  total: Tally;
  byDestination: Map<string, Tally>;
}

const rate = (t: Tally | undefined) => (t && t.flights > 0 ? t.late / t.flights : null);

/**
 * Looks up the 28-day history of scheduled flights. Each (day, origin) is one grouped query per lookup
 * object: the origin's departures of the window, split by destination, so the route counts come with it.
 * Make a new object per request / per job: nothing is kept from one to the next.
 */
export class HistoryLookup {
  private readonly byDestination: Database.Statement;
  private readonly cache = new Map<string, OriginHistory>();

  constructor(db: Database.Database) {
    this.byDestination = db.prepare(
      `SELECT destination, COUNT(*) AS flights, SUM(delay >= 15) AS late
         FROM flights
        WHERE origin = ? AND flight_date BETWEEN ? AND ?
        GROUP BY destination`,
    );
  }

  private history(day: string, origin: string): OriginHistory {
    const key = `${day}|${origin}`;
    let found = this.cache.get(key);
    if (!found) {
      const rows = this.byDestination.all(origin, shift(day, -WINDOW_DAYS), shift(day, -1)) as (Tally & { destination: string })[];
      const total: Tally = { flights: 0, late: 0 };
      const byDestination = new Map<string, Tally>();
      for (const row of rows) {
        total.flights += row.flights;
        total.late += row.late;
        byDestination.set(row.destination, { flights: row.flights, late: row.late });
      }
      found = { total, byDestination };
      this.cache.set(key, found);
    }
    return found;
  }

  features(flight: ScheduledFlight): FeatureRow {
    const history = this.history(flight.flight_date, flight.origin);
    const route = history.byDestination.get(flight.destination);
    return {
      dep_hour: Math.floor(flight.dep_minute / 60),
      weekday: new Date(`${flight.flight_date}T00:00:00Z`).getUTCDay(),
      distance: flight.distance,
      route_flights: route?.flights ?? 0,
      route_late_rate: rate(route),
      origin_flights: history.total.flights,
      origin_late_rate: rate(history.total),
    };
  }
}

const PREDICTIONS_DDL = `
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

/**
 * Scores every flight of `day` ('YYYY-MM-DD') in `flights` with the model saved in `modelDir`, and
 * replaces the day's rows of `predictions` with them: a re-run replaces, never duplicates.
 */
export async function scoreDay(db: Database.Database, modelDir: string, day: string): Promise<ScoreReport> {
  const model = await load(modelDir);
  ensureIndexes(db);
  db.exec(PREDICTIONS_DDL);

  const flights = db
    .prepare('SELECT id, flight_date, dep_minute, origin, destination, distance FROM flights WHERE flight_date = ? ORDER BY id')
    .all(day) as (ScheduledFlight & { id: number })[];
  const lookup = new HistoryLookup(db);
  const features = flights.map((f) => lookup.features(f));
  const probabilities = predict(model, features);

  const remove = db.prepare('DELETE FROM predictions WHERE flight_date = ?');
  const insert = db.prepare(
    `INSERT INTO predictions (flight_id, flight_date, dep_hour, weekday, distance, route_flights, route_late_rate,
                              origin_flights, origin_late_rate, probability, late)
     VALUES (@flight_id, @flight_date, @dep_hour, @weekday, @distance, @route_flights, @route_late_rate,
             @origin_flights, @origin_late_rate, @probability, @late)`,
  );
  db.transaction(() => {
    remove.run(day);
    flights.forEach((flight, i) => {
      const probability = probabilities[i];
      insert.run({ flight_id: flight.id, flight_date: day, ...features[i], probability, late: probability >= model.threshold ? 1 : 0 });
    });
  })();
  return { day, scored: flights.length };
}
