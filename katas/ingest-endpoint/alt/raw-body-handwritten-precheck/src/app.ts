// Ingest endpoint. README.md has the full contract.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

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
  CREATE TABLE IF NOT EXISTS ingest_requests (
    idempotency_key TEXT NOT NULL PRIMARY KEY,
    request_json    TEXT NOT NULL,
    response_json   TEXT NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (datetime('now'))
  );
`;

interface FieldError {
  path: string;
  message: string;
}
interface Flight {
  departedAt: string;
  origin: string;
  destination: string;
  delay: number;
  distance: number;
}

const fail = (status: number, code: string, message: string, more: object = {}) => ({
  status,
  body: { error: { code, message, ...more } },
});

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function departedAt(date: string): string | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/.exec(date);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as number[];
  const leap = year! % 4 === 0 && (year! % 100 !== 0 || year! % 400 === 0);
  const daysInMonth = month === 2 && leap ? 29 : MONTH_DAYS[month! - 1];
  if (daysInMonth === undefined || day! < 1 || day! > daysInMonth || hour! > 23 || minute! > 59) return null;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
}

const isCode = (v: unknown): v is string => typeof v === 'string' && /^[A-Z]{3}$/.test(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Every problem of every record, or the flights ready to insert. */
function checkBatch(body: unknown): { errors: FieldError[]; flights: Flight[] } {
  const errors: FieldError[] = [];
  const flights: Flight[] = [];
  if (!Array.isArray(body) || body.length === 0) {
    errors.push({ path: '', message: 'the body must be a JSON array of at least one flight' });
    return { errors, flights };
  }
  body.forEach((record: unknown, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      errors.push({ path: `${i}`, message: 'a flight must be a JSON object' });
      return;
    }
    const r = record as Record<string, unknown>;
    const before = errors.length;
    const bad = (field: string, message: string) => errors.push({ path: `${i}.${field}`, message });
    const when = typeof r.date === 'string' ? departedAt(r.date) : null;
    if (when === null) bad('date', 'date must be a real date and time YYYY/MM/DD HH:MM');
    if (!isInt(r.delay)) bad('delay', 'delay must be a whole number of minutes');
    if (!isInt(r.distance) || r.distance <= 0) bad('distance', 'distance must be a whole number of miles above 0');
    if (!isCode(r.origin)) bad('origin', 'origin must be three uppercase letters');
    if (!isCode(r.destination)) bad('destination', 'destination must be three uppercase letters');
    else if (isCode(r.origin) && r.origin === r.destination) bad('destination', 'destination must differ from origin');
    if (errors.length === before) {
      flights.push({
        departedAt: when!,
        origin: r.origin as string,
        destination: r.destination as string,
        delay: r.delay as number,
        distance: r.distance as number,
      });
    }
  });
  return { errors, flights };
}

export function createApp(db: Database.Database): express.Express {
  db.exec(SCHEMA);
  const exists = db.prepare('SELECT 1 FROM flights WHERE departed_at = ? AND origin = ? AND destination = ?').pluck();
  const insert = db.prepare(
    'INSERT INTO flights (departed_at, origin, destination, delay, distance) VALUES (?, ?, ?, ?, ?)',
  );
  const lookup = db.prepare('SELECT request_json, response_json FROM ingest_requests WHERE idempotency_key = ?');
  const remember = db.prepare(
    'INSERT INTO ingest_requests (idempotency_key, request_json, response_json) VALUES (?, ?, ?)',
  );

  const handle = db.transaction((key: string | undefined, body: unknown) => {
    const canonical = JSON.stringify(body) ?? 'undefined';
    const errors: FieldError[] = [];
    if (key !== undefined) {
      if (key.length === 0 || key.length > 255) {
        errors.push({ path: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 characters' });
      } else {
        const seen = lookup.get(key) as { request_json: string; response_json: string } | undefined;
        if (seen !== undefined) {
          return seen.request_json === canonical
            ? { status: 200, body: JSON.parse(seen.response_json) as object }
            : fail(422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
        }
      }
    }
    const checked = checkBatch(body);
    errors.push(...checked.errors);
    if (errors.length > 0) return fail(400, 'validation', 'the batch has invalid fields', { fields: errors });

    const inBatch = new Set<string>();
    const conflicts: number[] = [];
    checked.flights.forEach((f, i) => {
      const naturalKey = JSON.stringify([f.departedAt, f.origin, f.destination]);
      if (inBatch.has(naturalKey) || exists.get(f.departedAt, f.origin, f.destination) !== undefined) conflicts.push(i);
      inBatch.add(naturalKey);
    });
    if (conflicts.length > 0) {
      return fail(409, 'conflict', `${conflicts.length} flight(s) already exist or repeat an earlier one`, { conflicts });
    }
    for (const f of checked.flights) insert.run(f.departedAt, f.origin, f.destination, f.delay, f.distance);
    const created = { inserted: checked.flights.length };
    if (key !== undefined) remember.run(key, canonical, JSON.stringify(created));
    return { status: 201, body: created };
  });

  const app = express();
  app.use(express.raw({ type: 'application/json', limit: 256 * 1024 }));

  app.post('/flights/batch', (req: Request, res: Response) => {
    let body: unknown;
    if (Buffer.isBuffer(req.body)) {
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        const r = fail(400, 'invalid_json', 'the body is not valid JSON');
        res.status(r.status).json(r.body);
        return;
      }
    }
    const key = req.header('idempotency-key');
    const result = handle(key, body);
    res.status(result.status).json(result.body);
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } });
  });

  app.use((err: { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const r =
      err.type === 'entity.too.large'
        ? fail(413, 'payload_too_large', 'the body is larger than 256 KiB')
        : typeof err.status === 'number' && err.status < 500
          ? fail(err.status, 'bad_request', 'the request could not be read')
          : fail(500, 'internal', 'something went wrong');
    res.status(r.status).json(r.body);
  });

  return app;
}
