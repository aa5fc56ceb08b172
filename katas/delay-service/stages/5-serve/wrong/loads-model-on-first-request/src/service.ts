// Stage 5 (serve): the API of stage 2 plus POST /predict, over a model loaded once, at start-up.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { createApp } from './api';
import { load, predict } from './model';
import { ensureIndexes, featureLookup, type ScheduledFlight } from './score';

/** The most flights one POST /predict may carry. */
export const MAX_BATCH = 100;
const BODY_LIMIT = '512kb';

class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDay = (v: unknown): v is string =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;
const isCode = (v: unknown): v is string => typeof v === 'string' && /^[A-Z]{3}$/.test(v);

/** The batch of a request, checked in the brief's order: the first problem throws. */
function parseBatch(body: unknown): ScheduledFlight[] {
  if (!isObject(body)) throw new BadRequest('body', 'expected a JSON object');
  const flights = body.flights;
  if (!Array.isArray(flights) || flights.length < 1 || flights.length > MAX_BATCH) {
    throw new BadRequest('flights', `expected an array of 1 to ${MAX_BATCH} flights`);
  }
  return flights.map((f: unknown, i) => {
    const at = `flights[${i}]`;
    if (!isObject(f)) throw new BadRequest(at, 'expected an object');
    if (!isDay(f.flight_date)) throw new BadRequest(`${at}.flight_date`, 'expected a calendar date YYYY-MM-DD');
    const m = f.dep_minute;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 1439) throw new BadRequest(`${at}.dep_minute`, 'expected a whole number from 0 to 1439');
    if (!isCode(f.origin)) throw new BadRequest(`${at}.origin`, 'expected three uppercase letters');
    if (!isCode(f.destination)) throw new BadRequest(`${at}.destination`, 'expected three uppercase letters');
    const d = f.distance;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) throw new BadRequest(`${at}.distance`, 'expected a whole number of at least 1');
    return { flight_date: f.flight_date, dep_minute: m, origin: f.origin, destination: f.destination, distance: d };
  });
}

/**
 * Loads the model saved in `modelDir` once (rejects when there is none) and resolves with an Express app
 * that serves stage 2's routes and POST /predict.
 */
export async function createService(db: Database.Database, modelDir: string): Promise<Express> {
  let model: Awaited<ReturnType<typeof load>> | undefined; // loaded lazily, on the first prediction
  ensureIndexes(db);
  const features = featureLookup(db);

  const service = express();
  service.disable('x-powered-by');
  service.post('/predict', express.json({ limit: BODY_LIMIT }), async (req: Request, res: Response) => {
    const flights = parseBatch(req.body);
    const m = (model ??= await load(modelDir));
    const rows = features(flights);
    const probabilities = predict(m, rows);
    res.json({ predictions: rows.map((row, i) => ({ probability: probabilities[i], late: probabilities[i] >= m.threshold, features: row })) });
  });
  service.use('/predict', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof BadRequest) return void res.status(400).json({ error: { field: error.field, message: error.message } });
    const e = error as { type?: string; status?: number };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: { message: `body larger than ${BODY_LIMIT}` } });
    if (e.type === 'entity.parse.failed' || e.status === 400) return void res.status(400).json({ error: { field: 'body', message: 'body: not valid JSON' } });
    next(error);
  });
  service.use(createApp(db));
  return service;
}
