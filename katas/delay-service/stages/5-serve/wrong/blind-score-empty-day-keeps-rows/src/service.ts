// Stage 5 (serve): the API of stage 2 plus POST /predict, over a model loaded once, at start-up.
// Read stages/5-serve.md for the contract.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { createApp } from './api';
import { load, predict, type LateModel } from './model';
import { ensureIndexes, HistoryLookup, type ScheduledFlight } from './score';

/** The most flights one POST /predict may carry. */
export const MAX_BATCH = 100;

class Rejected extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isCalendarDate(v: unknown): v is string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const t = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
}
const isWhole = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isAirport = (v: unknown): v is string => typeof v === 'string' && /^[A-Z]{3}$/.test(v);

/** The fields of a flight, in the order their problems are reported. */
const CHECKS: [keyof ScheduledFlight, (v: unknown) => boolean, string][] = [
  ['flight_date', isCalendarDate, 'expected a real calendar date YYYY-MM-DD'],
  ['dep_minute', (v) => isWhole(v, 0, 1439), 'expected a whole number from 0 to 1439'],
  ['origin', isAirport, 'expected three uppercase letters A-Z'],
  ['destination', isAirport, 'expected three uppercase letters A-Z'],
  ['distance', (v) => isWhole(v, 1), 'expected a whole number of at least 1'],
];

function readBatch(body: unknown): ScheduledFlight[] {
  if (!isObject(body)) throw new Rejected(400, 'body: expected a JSON object', 'body');
  const { flights } = body;
  if (!Array.isArray(flights) || flights.length < 1 || flights.length > MAX_BATCH) {
    throw new Rejected(400, `flights: expected an array of 1 to ${MAX_BATCH} flights`, 'flights');
  }
  return flights.map((flight: unknown, i) => {
    const at = `flights[${i}]`;
    if (!isObject(flight)) throw new Rejected(400, `${at}: expected an object`, at);
    for (const [field, ok, expected] of CHECKS) {
      if (!ok(flight[field])) throw new Rejected(400, `${at}.${field}: ${expected}`, `${at}.${field}`);
    }
    const { flight_date, dep_minute, origin, destination, distance } = flight as unknown as ScheduledFlight;
    return { flight_date, dep_minute, origin, destination, distance };
  });
}

class PredictionService {
  constructor(
    private readonly db: Database.Database,
    private readonly model: LateModel,
  ) {}

  answer(flights: ScheduledFlight[]) {
    const lookup = new HistoryLookup(this.db); // per request: a day loaded meanwhile counts
    const features = flights.map((f) => lookup.features(f));
    const probabilities = predict(this.model, features);
    return {
      predictions: features.map((f, i) => ({ probability: probabilities[i], late: probabilities[i] >= this.model.threshold, features: f })),
    };
  }

  app(): Express {
    const app = express();
    app.disable('x-powered-by');
    app.post('/predict', express.json({ limit: '512kb' }), (req: Request, res: Response) => {
      res.json(this.answer(readBatch(req.body)));
    });
    app.use(createApp(this.db));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      if (error instanceof Rejected) {
        res.status(error.status).json({ error: { field: error.field, message: error.message } });
        return;
      }
      const type = (error as { type?: string } | null)?.type;
      if (type === 'entity.too.large') res.status(413).json({ error: { message: 'body: larger than 512 kB' } });
      else if (type === 'entity.parse.failed') res.status(400).json({ error: { field: 'body', message: 'body: not valid JSON' } });
      else if (isObject(error) && typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
        res.status(error.status).json({ error: { field: 'body', message: String(error.message ?? 'bad request') } });
      } else res.status(500).json({ error: { message: 'internal error' } });
    });
    return app;
  }
}

/**
 * Loads the model saved in `modelDir` once (rejects when there is none) and resolves with an Express app
 * that serves stage 2's routes and POST /predict.
 */
export async function createService(db: Database.Database, modelDir: string): Promise<Express> {
  const model = await load(modelDir);
  ensureIndexes(db);
  return new PredictionService(db, model).app();
}
