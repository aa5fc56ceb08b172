// Stage 5 (serve): stage 2's API plus POST /predict. Validation with zod, one schema per level so the first
// problem is the one the brief orders first; features of the whole batch in one SQL statement.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { createApp } from './api';
import { load, predict } from './model';
import { batchFeatures, createIndexes, type ScheduledFlight } from './score';

/** The most flights one POST /predict may carry. */
export const MAX_BATCH = 100;

class Invalid extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

const code = z.string().regex(/^[A-Z]{3}$/, 'expected three uppercase letters A-Z');
const flightSchema = z.object({
  flight_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
    .refine((d) => {
      const t = new Date(`${d}T00:00:00Z`);
      return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
    }, 'not a real calendar date'),
  dep_minute: z.number().int('expected a whole number from 0 to 1439').min(0).max(1439),
  origin: code,
  destination: code,
  distance: z.number().int('expected a whole number >= 1').min(1),
}); // not strict: other fields of a flight are ignored (and stripped)
const bodySchema = z.object({ flights: z.unknown() });
const batchSchema = z.array(z.unknown()).min(1).max(MAX_BATCH);

function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at = issue.path.length ? `${field}.${String(issue.path[0])}` : field;
  throw new Invalid(at, issue.message);
}

function validate(body: unknown): ScheduledFlight[] {
  const { flights } = check(bodySchema, body, 'body');
  const batch = check(batchSchema, flights, 'flights');
  return batch.map((flight, i) => check(flightSchema, flight, `flights[${i}]`));
}

export async function createService(db: Database.Database, modelDir: string): Promise<Express> {
  const model = await load(modelDir); // rejects when the folder has no model: the service does not start
  createIndexes(db);
  const service = express();
  service.post('/predict', express.json({ limit: '1mb' }), (req: Request, res: Response) => {
    const flights = validate(req.body);
    const features = batchFeatures(db, flights);
    const probabilities = predict(model, features);
    res.json({
      predictions: features.map((f, i) => ({ probability: probabilities[i], late: probabilities[i] >= model.threshold, features: f })),
    });
  });
  service.use((error: Error & { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof Invalid) res.status(400).json({ error: { field: error.field, message: error.message } });
    else if (error.type === 'entity.too.large') res.status(413).json({ error: { message: 'request body too large' } });
    else if (error.type === 'entity.parse.failed') res.status(400).json({ error: { field: 'body', message: 'body is not valid JSON' } });
    else next(error);
  });
  service.use(createApp(db));
  return service;
}
