// POST /flights/batch: validate a whole batch, write it in one transaction, and make retries safe with
// an Idempotency-Key that is stored in the same transaction as the flights it created.
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS flights (
    id          INTEGER PRIMARY KEY,
    departed_at TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    delay       INTEGER NOT NULL,
    distance    INTEGER NOT NULL,
    UNIQUE (departed_at, origin, destination)
  );
  CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL
  );
`;

const BODY_LIMIT = '256kb';
const MAX_KEY_LENGTH = 255;
/** application/json in any case, with or without parameters such as `; charset=utf-8`. */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** 'YYYY/MM/DD HH:MM' → 'YYYY-MM-DD HH:MM' when it is a real date and time, else null. */
function toDepartedAt(value: string): string | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  // Not Date.UTC(y, ...): it reads the years 0–99 as 1900–1999. setUTCFullYear takes every year as it is.
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi);
  const real = t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi;
  return real ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}` : null;
}

const airport = z.string().regex(/^[A-Z]{3}$/, 'must be three uppercase letters');
const airports = z.object({ origin: airport, destination: airport });
const flightSchema = z
  .object({
    date: z.string().refine((s) => toDepartedAt(s) !== null, 'must be a real date and time as YYYY/MM/DD HH:MM'),
    delay: z.number().int(), // zod's int() accepts safe integers only (Number.isSafeInteger)
    distance: z.number().int().positive(),
    origin: airport,
    destination: airport,
  })
  // An object-level refine normally runs only when every field passed; `when` runs it as soon as both
  // codes are valid, so a record with a bad delay AND origin = destination reports both fields.
  .refine((f) => f.origin !== f.destination, {
    message: 'must differ from origin',
    path: ['destination'],
    when: (payload) => airports.safeParse(payload.value).success,
  });
const batchSchema = z.array(flightSchema).min(1, 'a batch needs at least one flight');
type Flight = z.infer<typeof flightSchema>;

/** zod's issues as the README's fields: path "<index>.<field>", "<index>" or "" (the body itself). */
const fieldsOf = (error: z.ZodError) => error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function createApp(db: Database.Database): express.Express {
  db.exec(SCHEMA);
  const insertFlight = db.prepare(`
    INSERT INTO flights (departed_at, origin, destination, delay, distance)
    VALUES (?, ?, ?, ?, ?) ON CONFLICT (departed_at, origin, destination) DO NOTHING`);
  const findKey = db.prepare('SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ?');
  const saveKey = db.prepare('INSERT INTO idempotency_keys (key, fingerprint, status, body) VALUES (?, ?, ?, ?)');

  /** Inserts every flight or none; returns the 201 body. Conflicting indexes abort the transaction. */
  const writeBatch = db.transaction((flights: Flight[], key: string | undefined, fingerprint: string) => {
    const conflicts: number[] = [];
    flights.forEach((f, index) => {
      const { changes } = insertFlight.run(toDepartedAt(f.date), f.origin, f.destination, f.delay, f.distance);
      if (changes === 0) conflicts.push(index);
    });
    if (conflicts.length) {
      throw new HttpError(409, 'conflict', 'some flights already exist; nothing was written', { conflicts });
    }
    const body = { inserted: flights.length };
    if (key !== undefined) saveKey.run(key, fingerprint, 201, JSON.stringify(body));
    return body;
  });

  const app = express();
  // The body as text, parsed below: express.json would turn an empty body into {} (and, with its default
  // strict: true, answer `5` or `null` as a parse error), where the README wants invalid_json and validation.
  app.use(express.text({ type: 'application/json', limit: BODY_LIMIT }));

  app.post('/flights/batch', (req: Request, res: Response) => {
    // 1. Read the body: only a JSON Content-Type is read; anything else counts as no body at all.
    let body: unknown;
    if (typeof req.body === 'string' || JSON_TYPE.test(req.get('Content-Type') ?? '')) {
      try {
        body = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
      }
    }
    // 2. A malformed key is one more bad field, reported with every bad field of the body.
    const key = req.get('Idempotency-Key');
    if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
      const checked = batchSchema.safeParse(body);
      throw new HttpError(400, 'validation', 'invalid Idempotency-Key', {
        fields: [{ path: 'Idempotency-Key', message: `must be 1 to ${MAX_KEY_LENGTH} characters` }, ...(checked.success ? [] : fieldsOf(checked.error))],
      });
    }
    // 3. A key seen before: replay or 422, whatever the new body holds.
    const fingerprint = createHash('sha256').update(String(JSON.stringify(body))).digest('hex');
    if (key !== undefined) {
      const seen = findKey.get(key) as { fingerprint: string; status: number; body: string } | undefined;
      if (seen && seen.fingerprint !== fingerprint) {
        throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request');
      }
      if (seen) {
        res.status(200).json(JSON.parse(seen.body));
        return;
      }
    }
    // 4. Validate the whole body, 5. write it (409 on conflicts).
    const parsed = batchSchema.safeParse(body);
    if (!parsed.success) {
      throw new HttpError(400, 'validation', 'the batch is invalid; nothing was written', { fields: fieldsOf(parsed.error) });
    }
    res.status(201).json(writeBatch(parsed.data, key, fingerprint));
  });

  // Every other path or method: a JSON 404, not Express's HTML page.
  app.use((req: Request, _res: Response) => {
    throw new HttpError(404, 'not_found', `no such endpoint: ${req.method} ${req.path}`);
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    const error =
      err instanceof HttpError ? err
      : typeof e.status === 'number' ? new HttpError(413, 'payload_too_large', `the body is over ${BODY_LIMIT}`)
      : typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? new HttpError(e.status, 'bad_request', 'the body could not be read')
      : new HttpError(500, 'internal', 'internal error');
    res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.extra } });
  });

  return app;
}
