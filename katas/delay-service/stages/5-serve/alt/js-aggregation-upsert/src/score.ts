// Stage 5 (serve), JavaScript-heavy: SQLite only streams raw rows of the window (flight_date bounds computed
// in JS), the counting is done in Maps. scoreDay makes one pass over the 28 days before the day, then
// upserts the day's predictions and deletes those of flights that are gone, in one transaction.
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
const LATE = 15;
const WINDOW_DAYS = 28;

/** [day − 28, day − 1] as 'YYYY-MM-DD' strings (UTC arithmetic: no DST, no local time). */
export function windowOf(day: string): [string, string] {
  const t = Date.parse(`${day}T00:00:00Z`);
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return [iso(t - WINDOW_DAYS * DAY_MS), iso(t - DAY_MS)];
}

export class Tally {
  flights = 0;
  late = 0;
  add(delay: number): void {
    this.flights++;
    if (delay >= LATE) this.late++;
  }
  get rate(): number | null {
    return this.flights === 0 ? null : this.late / this.flights;
  }
}
const EMPTY = new Tally();

/** The features of one flight from the tallies of its origin and its route. */
export function featureRow(f: ScheduledFlight, origin: Tally | undefined, route: Tally | undefined): FeatureRow {
  const o = origin ?? EMPTY;
  const r = route ?? EMPTY;
  return {
    dep_hour: Math.trunc(f.dep_minute / 60),
    weekday: new Date(`${f.flight_date}T00:00:00Z`).getUTCDay(),
    distance: f.distance,
    route_flights: r.flights,
    route_late_rate: r.rate,
    origin_flights: o.flights,
    origin_late_rate: o.rate,
  };
}

export function prepareIndexes(db: Database.Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS flights_by_origin_day ON flights (origin, flight_date, destination, delay)');
  db.exec('CREATE INDEX IF NOT EXISTS flights_by_day ON flights (flight_date, origin, destination, delay)');
}

export async function scoreDay(db: Database.Database, modelDir: string, day: string): Promise<ScoreReport> {
  const model = await load(modelDir);
  db.exec(`CREATE TABLE IF NOT EXISTS predictions (
    flight_id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_hour INTEGER NOT NULL, weekday INTEGER NOT NULL,
    distance INTEGER NOT NULL, route_flights INTEGER NOT NULL, route_late_rate REAL, origin_flights INTEGER NOT NULL,
    origin_late_rate REAL, probability REAL NOT NULL, late INTEGER NOT NULL)`);
  prepareIndexes(db);

  // One pass over the window: every flight of the 28 days before `day`, tallied by origin and by route.
  const [from, to] = windowOf(day);
  const origins = new Map<string, Tally>();
  const routes = new Map<string, Tally>();
  const history = db.prepare('SELECT origin, destination, delay FROM flights WHERE flight_date >= ? AND flight_date <= ?').raw();
  for (const [origin, destination, delay] of history.iterate(from, to) as Iterable<[string, string, number]>) {
    let o = origins.get(origin);
    if (!o) origins.set(origin, (o = new Tally()));
    o.add(delay);
    const key = `${origin} ${destination}`;
    let r = routes.get(key);
    if (!r) routes.set(key, (r = new Tally()));
    r.add(delay);
  }

  const flights = db
    .prepare('SELECT id, flight_date, dep_minute, origin, destination, distance FROM flights WHERE flight_date = ?')
    .all(day) as (ScheduledFlight & { id: number })[];
  const rows = flights.map((f) => featureRow(f, origins.get(f.origin), routes.get(`${f.origin} ${f.destination}`)));
  const probabilities = predict(model, rows);

  const upsert = db.prepare(`
    INSERT INTO predictions (flight_id, flight_date, dep_hour, weekday, distance, route_flights, route_late_rate,
                             origin_flights, origin_late_rate, probability, late)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (flight_id) DO UPDATE SET flight_date = excluded.flight_date, dep_hour = excluded.dep_hour,
      weekday = excluded.weekday, distance = excluded.distance, route_flights = excluded.route_flights,
      route_late_rate = excluded.route_late_rate, origin_flights = excluded.origin_flights,
      origin_late_rate = excluded.origin_late_rate, probability = excluded.probability, late = excluded.late`);
  const dropGone = db.prepare('DELETE FROM predictions WHERE flight_date = ? AND flight_id NOT IN (SELECT value FROM json_each(?))');
  db.transaction(() => {
    dropGone.run(day, JSON.stringify(flights.map((f) => f.id)));
    flights.forEach((f, k) => {
      const r = rows[k];
      upsert.run(f.id, day, r.dep_hour, r.weekday, r.distance, r.route_flights, r.route_late_rate, r.origin_flights,
        r.origin_late_rate, probabilities[k], probabilities[k] >= model.threshold ? 1 : 0);
    });
  })();
  return { day, scored: flights.length };
}
