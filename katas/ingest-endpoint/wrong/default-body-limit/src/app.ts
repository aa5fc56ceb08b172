// Ingest endpoint. README.md has the full contract.
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
    response    TEXT NOT NULL
  );
`;

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

function isRealDateTime(s: string): boolean {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, 0, 0);
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi
  );
}

const airport = z.string().regex(/^[A-Z]{3}$/, 'must be three uppercase letters A-Z');
const flight = z
  .object({
    date: z.string().refine(isRealDateTime, 'must be a real date and time YYYY/MM/DD HH:MM'),
    delay: z.int('must be an integer number of minutes'),
    distance: z.int('must be an integer number of miles').positive('must be greater than 0'),
    origin: airport,
    destination: airport,
  })
  .refine((f) => f.origin !== f.destination, {
    message: 'must differ from origin',
    path: ['destination'],
    when: (payload) => {
      const v = payload.value as { origin?: unknown; destination?: unknown } | null;
      return airport.safeParse(v?.origin).success && airport.safeParse(v?.destination).success;
    },
  });
const batch = z.array(flight).min(1, 'must be an array of at least one flight');
type Flight = z.infer<typeof flight>;

const fingerprintOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body) ?? '').digest('hex');

export function createApp(db: Database.Database): express.Express {
  db.exec(SCHEMA);
  const insertFlight = db.prepare(
    `INSERT INTO flights (departed_at, origin, destination, delay, distance)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (departed_at, origin, destination) DO NOTHING`,
  );
  const findKey = db.prepare('SELECT fingerprint, response FROM idempotency_keys WHERE key = ?');
  const saveKey = db.prepare('INSERT INTO idempotency_keys (key, fingerprint, response) VALUES (?, ?, ?)');

  const write = db.transaction((flights: Flight[], key: string | undefined, fingerprint: string) => {
    const conflicts: number[] = [];
    flights.forEach((f, i) => {
      const departedAt = f.date.replace(/\//g, '-');
      if (insertFlight.run(departedAt, f.origin, f.destination, f.delay, f.distance).changes === 0) conflicts.push(i);
    });
    if (conflicts.length > 0) {
      throw new HttpError(409, 'conflict', 'some flights already exist or are repeated in the batch', { conflicts });
    }
    const response = { inserted: flights.length };
    if (key !== undefined) saveKey.run(key, fingerprint, JSON.stringify(response));
    return response;
  });

  const app = express();
  app.use(
    express.json({
      strict: false,
      verify: (_req, _res, buf) => {
        if (buf.length === 0) throw Object.assign(new Error('empty body'), { type: 'entity.parse.failed', status: 400 });
      },
    }),
  );

  app.post('/flights/batch', (req: Request, res: Response) => {
    const key = req.get('Idempotency-Key');
    const fingerprint = fingerprintOf(req.body);
    const keyProblems: { path: string; message: string }[] = [];
    if (key !== undefined) {
      if (key.length < 1 || key.length > 255) {
        keyProblems.push({ path: 'Idempotency-Key', message: 'must be 1 to 255 characters' });
      } else {
        const stored = findKey.get(key) as { fingerprint: string; response: string } | undefined;
        if (stored) {
          if (stored.fingerprint !== fingerprint) {
            throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different body');
          }
          res.status(200).json(JSON.parse(stored.response));
          return;
        }
      }
    }
    const parsed = batch.safeParse(req.body);
    const fields = [
      ...keyProblems,
      ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))),
    ];
    if (fields.length > 0 || !parsed.success) {
      throw new HttpError(400, 'validation', 'the request is not a valid batch of flights', { fields });
    }
    res.status(201).json(write(parsed.data, key, fingerprint));
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such endpoint' } });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...err.extra } });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'the body is over 256 KiB' } });
    } else if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'invalid_json', message: 'the body is not valid JSON' } });
    } else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: { code: 'bad_request', message: e.message || 'bad request' } });
    } else {
      res.status(500).json({ error: { code: 'internal', message: 'internal server error' } });
    }
  });

  return app;
}
