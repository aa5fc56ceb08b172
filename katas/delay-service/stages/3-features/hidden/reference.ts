// The judge's own recomputation of the `features` table (stage 3 of delay-service), in plain JS and by a
// different method than the SQL a learner writes: per-day counts of each route and each origin, prefix sums
// over a day-indexed array, and one O(1) lookup per flight. Stages 4-6 use it too (as
// '../3-features/reference.js'): for scheduled flights that are not in `flights`, see `scheduled`.
//
// `window` exists for the diagnostics of the stage 3 suite: the same computation with another window
// (the same day included, 27 or 29 days, ...) tells a learner which mistake their numbers match.

/** A row of `flights`. */
export interface Flight {
  id: number;
  flight_date: string;
  dep_minute: number;
  origin: string;
  destination: string;
  distance: number;
  delay: number;
}

/** A flight whose features are wanted without its delay (stage 5's scheduled flights). */
export type ScheduledFlight = Omit<Flight, 'delay' | 'id'> & { id?: number };

/** A row of `features`. */
export interface Features {
  flight_id: number;
  flight_date: string;
  dep_hour: number;
  weekday: number;
  distance: number;
  route_flights: number;
  route_late_rate: number | null;
  origin_flights: number;
  origin_late_rate: number | null;
  late: number;
}

export const FEATURE_COLUMNS = [
  'flight_id',
  'flight_date',
  'dep_hour',
  'weekday',
  'distance',
  'route_flights',
  'route_late_rate',
  'origin_flights',
  'origin_late_rate',
  'late',
] as const;

/** The model's inputs (stage 4): a features row without its id, date and label. */
export const MODEL_INPUTS = ['dep_hour', 'weekday', 'distance', 'route_flights', 'route_late_rate', 'origin_flights', 'origin_late_rate'] as const;

export interface Options {
  /** History days relative to the flight's day: from + d .. to + d, both included. The brief: -28 .. -1. */
  window?: { from: number; to: number };
  /** The lateness rule: the brief's is delay >= 15. */
  isLate?: (delay: number) => boolean;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date. */
export function dayNumber(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** 'YYYY-MM-DD' of a day number. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday .. 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Per key, prefix sums of flights and late flights over days first..last (index 0 = before first). */
class DailyCounts {
  private readonly counts = new Map<string, { n: Int32Array; late: Int32Array }>();
  constructor(
    private readonly first: number,
    private readonly days: number,
  ) {}

  add(key: string, day: number, late: boolean): void {
    let c = this.counts.get(key);
    if (!c) {
      c = { n: new Int32Array(this.days + 1), late: new Int32Array(this.days + 1) };
      this.counts.set(key, c);
    }
    const i = day - this.first + 1;
    c.n[i]++;
    if (late) c.late[i]++;
  }

  finish(): void {
    for (const c of this.counts.values()) {
      for (let i = 1; i <= this.days; i++) {
        c.n[i] += c.n[i - 1];
        c.late[i] += c.late[i - 1];
      }
    }
  }

  /** Flights and late flights of `key` on days from..to (clipped to the data). */
  between(key: string, from: number, to: number): { n: number; late: number } {
    const c = this.counts.get(key);
    const lo = Math.max(from, this.first) - this.first; // prefix index of the day before `from`
    const hi = Math.min(to, this.first + this.days - 1) - this.first + 1;
    if (!c || hi <= lo) return { n: 0, late: 0 };
    return { n: c.n[hi] - c.n[lo], late: c.late[hi] - c.late[lo] };
  }
}

const rate = (c: { n: number; late: number }) => (c.n > 0 ? c.late / c.n : null);

/**
 * The features of every flight of `flights` (in the order given), from the history in `flights`; or, when
 * `scheduled` is given, the features of those flights instead (late = -1: unknown), from the same history.
 */
export function referenceFeatures(flights: readonly Flight[], options: Options & { scheduled?: readonly ScheduledFlight[] } = {}): Features[] {
  const window = options.window ?? { from: -28, to: -1 };
  const isLate = options.isLate ?? ((delay: number) => delay >= 15);
  const targets = options.scheduled ?? flights;
  let first = Infinity;
  let last = -Infinity;
  const dayOf = new Map<string, number>();
  const day = (date: string) => {
    let d = dayOf.get(date);
    if (d === undefined) {
      d = dayNumber(date);
      dayOf.set(date, d);
    }
    return d;
  };
  for (const f of flights) {
    const d = day(f.flight_date);
    if (d < first) first = d;
    if (d > last) last = d;
  }
  const days = Number.isFinite(first) ? last - first + 1 : 0;
  const routes = new DailyCounts(first, days);
  const origins = new DailyCounts(first, days);
  for (const f of flights) {
    const d = day(f.flight_date);
    const late = isLate(f.delay);
    routes.add(`${f.origin}>${f.destination}`, d, late);
    origins.add(f.origin, d, late);
  }
  routes.finish();
  origins.finish();
  return targets.map((f) => {
    const d = day(f.flight_date);
    const route = days ? routes.between(`${f.origin}>${f.destination}`, d + window.from, d + window.to) : { n: 0, late: 0 };
    const origin = days ? origins.between(f.origin, d + window.from, d + window.to) : { n: 0, late: 0 };
    return {
      flight_id: f.id ?? -1,
      flight_date: f.flight_date,
      dep_hour: Math.floor(f.dep_minute / 60),
      weekday: weekdayOf(f.flight_date),
      distance: f.distance,
      route_flights: route.n,
      route_late_rate: rate(route),
      origin_flights: origin.n,
      origin_late_rate: rate(origin),
      late: 'delay' in f ? (isLate((f as Flight).delay) ? 1 : 0) : -1,
    };
  });
}
