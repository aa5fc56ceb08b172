// Stage 6: the API of stage 2, POST /predict and GET /metrics, over a model loaded once, at start-up.
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { createApp } from './api.js';
import { load, predict } from './model.js';
import { baselineOf, computeMetrics } from './monitor.js';
import { ensureIndexes, isDay, lookupFeatures, type ScheduledFlight } from './score.js';

/** The most flights one POST /predict may carry. */
export const MAX_BATCH = 100;

class BadRequest extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isAirport = (value: unknown) => typeof value === 'string' && /^[A-Z]{3}$/.test(value);

/** The batch of scheduled flights of a body, or the first problem in the brief's order. */
function parseBatch(body: unknown): ScheduledFlight[] {
  if (!isObject(body)) throw new BadRequest('body', 'expected a JSON object');
  const { flights } = body;
  if (!Array.isArray(flights)) throw new BadRequest('flights', 'expected an array of flights');
  if (flights.length === 0 || flights.length > MAX_BATCH) throw new BadRequest('flights', `expected 1 to ${MAX_BATCH} flights, got ${flights.length}`);
  return flights.map((flight: unknown, i) => {
    const at = `flights[${i}]`;
    if (!isObject(flight)) throw new BadRequest(at, 'expected an object');
    if (!isDay(flight.flight_date)) throw new BadRequest(`${at}.flight_date`, 'expected a date written YYYY-MM-DD');
    const { dep_minute, distance } = flight;
    if (typeof dep_minute !== 'number' || !Number.isInteger(dep_minute) || dep_minute < 0 || dep_minute > 1439)
      throw new BadRequest(`${at}.dep_minute`, 'expected an integer from 0 to 1439');
    if (!isAirport(flight.origin)) throw new BadRequest(`${at}.origin`, 'expected 3 uppercase letters');
    if (!isAirport(flight.destination)) throw new BadRequest(`${at}.destination`, 'expected 3 uppercase letters');
    if (typeof distance !== 'number' || !Number.isInteger(distance) || distance < 1) throw new BadRequest(`${at}.distance`, 'expected a whole number of miles, at least 1');
    return { flight_date: flight.flight_date, dep_minute, origin: flight.origin as string, destination: flight.destination as string, distance };
  });
}

/**
 * Loads the model saved in `modelDir` (once: a missing or broken model rejects, so no service starts
 * without one) and serves stage 2's routes plus POST /predict.
 */
export async function createService(db: Database.Database, modelDir: string): Promise<Express> {
  const model = await load(modelDir);
  ensureIndexes(db);
  const baseline = baselineOf(db, model);
  const service = express();
  service.get('/metrics', (req: Request, res: Response) => {
    const { days } = req.query;
    let n = 7;
    if (days !== undefined) {
      if (typeof days !== 'string' || !/^[0-9]+$/.test(days) || Number(days) < 1 || Number(days) > 31) {
        res.status(400).json({ error: { field: 'days', message: 'days: expected a whole number from 1 to 31' } });
        return;
      }
      n = Number(days);
    }
    res.json(computeMetrics(db, baseline, n));
  });
  service.post('/predict', express.json(), (req: Request, res: Response) => {
    try {
      const flights = parseBatch(req.body);
      const features = lookupFeatures(db, flights);
      const probabilities = predict(model, features);
      res.json({
        predictions: probabilities.map((probability, i) => ({ probability, late: probability >= model.threshold, features: features[i] })),
      });
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      res.status(400).json({ error: { field: error.field, message: error.message } });
    }
  });
  const jsonErrors: ErrorRequestHandler = (error, _req, res, next) => {
    if (error?.type === 'entity.parse.failed') res.status(400).json({ error: { field: 'body', message: 'body: not valid JSON' } });
    else if (error?.type === 'entity.too.large') res.status(413).json({ error: { message: 'body: too large' } });
    else next(error);
  };
  service.use('/predict', jsonErrors);
  service.use(createApp(db));
  return service;
}
