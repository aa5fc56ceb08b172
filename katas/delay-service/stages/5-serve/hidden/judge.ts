// The judge's own data for stages 5 and 6: a flights database built from flights-3m.parquet with the
// judge's reference loader (a date range, and a set of origin airports to keep it small), the features
// table of a training range, and stage 3's features recomputed in plain JS for any scheduled flight.
// Nothing here runs the learner's code.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { judgeCacheDir, vegaDataPath } from '@kata/harness';

export const FEATURE_NAMES = ['dep_hour', 'weekday', 'distance', 'route_flights', 'route_late_rate', 'origin_flights', 'origin_late_rate'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export type Features = Record<FeatureName, number | null>;

export interface ScheduledFlight {
  flight_date: string;
  dep_minute: number;
  origin: string;
  destination: string;
  distance: number;
}
export interface FlightRow extends ScheduledFlight {
  id: number;
  delay: number;
}

/** Origins the judge's databases keep: mid-sized hubs, about 2,600 departures a day together. */
export const ORIGINS = ['PHX', 'STL', 'DEN', 'BOS', 'SEA', 'SAN', 'PIT', 'MCI'];

const day = (date: Date) => date.toISOString().slice(0, 10);

/** 'YYYY-MM-DD' plus `days` (negative: before). */
export function addDays(date: string, days: number): string {
  return day(new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000));
}

/**
 * A flights database at `file` (the capstone schema, no index beyond the primary key) holding the flights
 * of flights-3m.parquet whose local date is in one of `ranges` and whose origin is in `origins`, and
 * those rows, in file order; id = the row's position in the source file + 1 (the judge's own numbering).
 * The database is built once into the judge's cache folder (judgeCacheDir) (a cold read takes about 0.4 s a row group)
 * and copied from there.
 */
export async function judgeFlights(file: string, ranges: { from: string; to: string }[], origins: string[] = ORIGINS): Promise<FlightRow[]> {
  const source = statSync(vegaDataPath('flights-3m.parquet'));
  const key = createHash('sha256').update(JSON.stringify({ version: 2, size: source.size, mtime: source.mtimeMs, ranges, origins })).digest('hex').slice(0, 16);
  // The judge's own folder: hidden months must not sit where learner code can read them (as /tmp).
  const cache = join(judgeCacheDir('delay-service-serve'), `flights-${key}.db`);
  if (!existsSync(cache)) {
    const rows = await readSource(ranges, origins);
    // Written under a temporary name and renamed: two suites building it at once never see half a file.
    const tmp = `${cache}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const db = new Database(tmp);
    db.exec(FLIGHTS_SCHEMA);
    insertFlights(db, rows);
    db.close();
    renameSync(tmp, cache);
  }
  copyFileSync(cache, file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const rows = db.prepare('SELECT * FROM flights ORDER BY id').all() as FlightRow[];
  db.close();
  return rows;
}

async function readSource(ranges: { from: string; to: string }[], origins: string[]): Promise<FlightRow[]> {
  const file = await asyncBufferFromFile(vegaDataPath('flights-3m.parquet'));
  const metadata = await parquetMetadataAsync(file);
  const keep = new Set(origins);
  const rows: FlightRow[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    const count = Number(group.num_rows);
    const stats = group.columns[0].meta_data?.statistics;
    const first = day(stats?.min_value as Date);
    const last = day(stats?.max_value as Date);
    if (ranges.some((r) => first <= r.to && last >= r.from)) {
      const objects = (await parquetReadObjects({ file, metadata, compressors, rowStart: start, rowEnd: start + count })) as {
        date: Date;
        delay: bigint;
        distance: bigint;
        origin: string;
        destination: string;
      }[];
      objects.forEach((o, i) => {
        if (!keep.has(o.origin)) return;
        const flight_date = day(o.date);
        if (!ranges.some((r) => flight_date >= r.from && flight_date <= r.to)) return;
        // Rows the schema could not hold (stage 1 quarantines them) are left out.
        if (!/^[A-Z]{3}$/.test(o.destination) || o.distance <= 0n) return;
        rows.push({
          id: start + i + 1,
          flight_date,
          dep_minute: o.date.getUTCHours() * 60 + o.date.getUTCMinutes(),
          origin: o.origin,
          destination: o.destination,
          distance: Number(o.distance),
          delay: Number(o.delay),
        });
      });
    }
    start += count;
  }
  return rows;
}

export const FLIGHTS_SCHEMA = `CREATE TABLE IF NOT EXISTS flights (
  id          INTEGER PRIMARY KEY,
  flight_date TEXT    NOT NULL,
  dep_minute  INTEGER NOT NULL,
  origin      TEXT    NOT NULL,
  destination TEXT    NOT NULL,
  distance    INTEGER NOT NULL,
  delay       INTEGER NOT NULL
)`;

export const FEATURES_SCHEMA = `CREATE TABLE IF NOT EXISTS features (
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

export function insertFlights(db: Database.Database, rows: FlightRow[]): void {
  const insert = db.prepare('INSERT INTO flights VALUES (@id, @flight_date, @dep_minute, @origin, @destination, @distance, @delay)');
  db.transaction(() => rows.forEach((row) => insert.run(row)))();
}

/**
 * Stage 3's history of the flights in `rows` (the judge's copy of the table), per day: departures and
 * late share of each origin and each route in the 28 days before.
 */
export class History {
  private readonly byDay = new Map<string, FlightRow[]>();
  private readonly memo = new Map<string, { origin: Map<string, [number, number]>; route: Map<string, [number, number]> }>();

  constructor(rows: FlightRow[]) {
    for (const row of rows) {
      const list = this.byDay.get(row.flight_date) ?? [];
      list.push(row);
      this.byDay.set(row.flight_date, list);
    }
  }

  /** Counts [flights, late] per origin and per route over date - 28 .. date - 1. */
  private window(date: string) {
    let found = this.memo.get(date);
    if (!found) {
      const origin = new Map<string, [number, number]>();
      const route = new Map<string, [number, number]>();
      for (let back = 28; back >= 1; back--) {
        for (const row of this.byDay.get(addDays(date, -back)) ?? []) {
          const late = row.delay >= 15 ? 1 : 0;
          const o = origin.get(row.origin) ?? [0, 0];
          o[0] += 1;
          o[1] += late;
          origin.set(row.origin, o);
          const key = `${row.origin}>${row.destination}`;
          const r = route.get(key) ?? [0, 0];
          r[0] += 1;
          r[1] += late;
          route.set(key, r);
        }
      }
      found = { origin, route };
      this.memo.set(date, found);
    }
    return found;
  }

  features(flight: ScheduledFlight): Features {
    const { origin, route } = this.window(flight.flight_date);
    const [routeFlights, routeLate] = route.get(`${flight.origin}>${flight.destination}`) ?? [0, 0];
    const [originFlights, originLate] = origin.get(flight.origin) ?? [0, 0];
    return {
      dep_hour: Math.floor(flight.dep_minute / 60),
      weekday: new Date(`${flight.flight_date}T00:00:00Z`).getUTCDay(),
      distance: flight.distance,
      route_flights: routeFlights,
      route_late_rate: routeFlights === 0 ? null : routeLate / routeFlights,
      origin_flights: originFlights,
      origin_late_rate: originFlights === 0 ? null : originLate / originFlights,
    };
  }
}

/**
 * Fills `features` (created if missing) for the flights of `rows` dated from..to, from `history`: every
 * other one of them (even ids), which halves the learner's training time and changes no rule.
 */
export function fillFeatures(db: Database.Database, rows: FlightRow[], history: History, from: string, to: string): number {
  db.exec(FEATURES_SCHEMA);
  const insert = db.prepare(`INSERT INTO features VALUES (@flight_id, @flight_date, @dep_hour, @weekday, @distance,
    @route_flights, @route_late_rate, @origin_flights, @origin_late_rate, @late)`);
  let count = 0;
  db.transaction(() => {
    for (const row of rows) {
      if (row.flight_date < from || row.flight_date > to || row.id % 2 !== 0) continue;
      insert.run({ flight_id: row.id, flight_date: row.flight_date, ...history.features(row), late: row.delay >= 15 ? 1 : 0 });
      count += 1;
    }
  })();
  return count;
}
