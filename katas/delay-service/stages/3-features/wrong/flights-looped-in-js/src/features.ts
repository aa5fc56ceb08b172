// Stage 3, computed in JavaScript: every flight is read once, daily counts per route and per origin are kept
// in Maps keyed by day number, and each flight sums the 28 days before its own. Right numbers, but every
// row of flights crosses into JavaScript.
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

interface Flight {
  id: number;
  flight_date: string;
  dep_minute: number;
  origin: string;
  destination: string;
  distance: number;
  delay: number;
}

const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

export function buildFeatures(db: Database.Database): FeatureReport {
  return db.transaction((): FeatureReport => {
    db.exec(FEATURES_DDL);
    db.exec('DELETE FROM features');
    const flights = db.prepare('SELECT id, flight_date, dep_minute, origin, destination, distance, delay FROM flights').all() as Flight[];
    const routeDays = new Map<string, [number, number]>();
    const originDays = new Map<string, [number, number]>();
    const add = (map: Map<string, [number, number]>, key: string, late: number) => {
      const counts = map.get(key) ?? [0, 0];
      counts[0] += 1;
      counts[1] += late;
      map.set(key, counts);
    };
    for (const f of flights) {
      const late = f.delay >= 15 ? 1 : 0;
      const day = dayNumber(f.flight_date);
      add(routeDays, `${f.origin}|${f.destination}|${day}`, late);
      add(originDays, `${f.origin}|${day}`, late);
    }
    const insert = db.prepare('INSERT INTO features VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const days = new Set<string>();
    for (const f of flights) {
      const day = dayNumber(f.flight_date);
      let routeN = 0, routeLate = 0, originN = 0, originLate = 0;
      for (let d = day - 28; d <= day - 1; d++) {
        const r = routeDays.get(`${f.origin}|${f.destination}|${d}`);
        if (r) { routeN += r[0]; routeLate += r[1]; }
        const o = originDays.get(`${f.origin}|${d}`);
        if (o) { originN += o[0]; originLate += o[1]; }
      }
      insert.run(f.id, f.flight_date, Math.floor(f.dep_minute / 60), new Date(`${f.flight_date}T00:00:00Z`).getUTCDay(), f.distance,
        routeN, routeN > 0 ? routeLate / routeN : null, originN, originN > 0 ? originLate / originN : null, f.delay >= 15 ? 1 : 0);
      days.add(f.flight_date);
    }
    return { rows: flights.length, days: days.size };
  })();
}
