// Stage 5 (serve): stage 2's API plus POST /predict. The body is read as text and parsed here (so a parse
// error is ours to report), checked by a table of rules in the brief's order, and featurised with one scan
// per (date, origin) of the batch that tallies the origin and all its routes at once.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { createApp } from './api';
import { load, predict } from './model';
import { featureRow, prepareIndexes, Tally, windowOf, type ScheduledFlight } from './score';

/** The most flights one POST /predict may carry. */
export const MAX_BATCH = 100;

type Rule = [field: keyof ScheduledFlight, ok: (v: unknown) => boolean, expected: string];
const isWhole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isAirport = (v: unknown) => typeof v === 'string' && /^[A-Z]{3}$/.test(v);
const isCalendarDay = (v: unknown) => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const t = Date.parse(`${v}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().startsWith(v);
};
const RULES: Rule[] = [
  ['flight_date', isCalendarDay, 'a calendar date YYYY-MM-DD'],
  ['dep_minute', (v) => isWhole(v, 0, 1439), 'a whole number from 0 to 1439'],
  ['origin', isAirport, 'three uppercase letters A-Z'],
  ['destination', isAirport, 'three uppercase letters A-Z'],
  ['distance', (v) => isWhole(v, 1, Number.MAX_SAFE_INTEGER), 'a whole number of at least 1'],
];

type Problem = { status: number; error: string; field?: string };
const problem = (field: string, expected: string): Problem => ({ status: 400, error: `${field}: expected ${expected}`, field });

function readBatch(text: unknown): ScheduledFlight[] | Problem {
  if (typeof text !== 'string' || text === '') return problem('body', 'a JSON object (no body was sent)');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return problem('body', 'valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return problem('body', 'a JSON object');
  const flights = (body as { flights?: unknown }).flights;
  if (!Array.isArray(flights) || flights.length === 0 || flights.length > MAX_BATCH) return problem('flights', `an array of 1 to ${MAX_BATCH} flights`);
  const batch: ScheduledFlight[] = [];
  for (const [i, flight] of flights.entries()) {
    if (typeof flight !== 'object' || flight === null || Array.isArray(flight)) return problem(`flights[${i}]`, 'an object');
    const f = flight as Record<string, unknown>;
    for (const [field, ok, expected] of RULES) if (!ok(f[field])) return problem(`flights[${i}].${field}`, expected);
    batch.push({ flight_date: f.flight_date as string, dep_minute: f.dep_minute as number, origin: f.origin as string, destination: f.destination as string, distance: f.distance as number });
  }
  return batch;
}

export async function createService(db: Database.Database, modelDir: string): Promise<Express> {
  const model = await load(modelDir);
  prepareIndexes(db);
  const scan = db.prepare('SELECT destination, delay FROM flights WHERE origin = ? AND flight_date >= ? AND flight_date <= ?').raw();

  /** Tallies of the origin and of each of its routes over the window of `day`: one scan. */
  function history(day: string, origin: string) {
    const [from, to] = windowOf(day);
    const all = new Tally();
    const byDestination = new Map<string, Tally>();
    for (const [destination, delay] of scan.iterate(origin, from, to) as Iterable<[string, number]>) {
      all.add(delay);
      let t = byDestination.get(destination);
      if (!t) byDestination.set(destination, (t = new Tally()));
      t.add(delay);
    }
    return { all, byDestination };
  }

  const service = express();
  service.post('/predict', express.text({ type: 'application/json', limit: '200kb' }), (req: Request, res: Response) => {
    const batch = readBatch(req.body);
    if (!Array.isArray(batch)) return void res.status(batch.status).json({ error: { field: batch.field, message: batch.error } });
    const seen = new Map<string, ReturnType<typeof history>>(); // this request only: flights may be loaded any time
    const rows = batch.map((f) => {
      const key = `${f.flight_date} ${f.origin}`;
      let h = seen.get(key);
      if (!h) seen.set(key, (h = history(f.flight_date, f.origin)));
      return featureRow(f, h.all, h.byDestination.get(f.destination));
    });
    const probabilities = predict(model, rows);
    res.json({ predictions: rows.map((features, i) => ({ probability: probabilities[i], late: probabilities[i] >= model.threshold, features })) });
  });
  service.use('/predict', (error: { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (error?.type === 'entity.too.large') return void res.status(413).json({ error: { message: 'the body is larger than 200 kB' } });
    next(error);
  });
  service.use(createApp(db));
  return service;
}
