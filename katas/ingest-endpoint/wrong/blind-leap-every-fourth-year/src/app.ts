// Ingest endpoint — no body-parser: the body is read from the request stream by hand (with node:zlib
// for Content-Encoding), validated by a hand-written walker, and written between explicit BEGIN/COMMIT.
import { createHash } from 'node:crypto';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
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
  CREATE TABLE IF NOT EXISTS ingest_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    response    TEXT NOT NULL
  );
`;

const LIMIT = 256 * 1024;

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

type Field = { path: string; message: string };
type Flight = { departedAt: string; origin: string; destination: string; delay: number; distance: number };

function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json';
}

/** Reads the whole (decoded) body, or answers 413 / 415 / 400 as HttpError. */
function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    let source: Readable;
    if (encoding === 'identity' || encoding === '') source = req;
    else if (encoding === 'gzip' || encoding === 'x-gzip') source = req.pipe(createGunzip());
    else if (encoding === 'deflate') source = req.pipe(createInflate());
    else if (encoding === 'br') source = req.pipe(createBrotliDecompress());
    else {
      req.resume();
      req.on('end', () => reject(new HttpError(415, 'unsupported_encoding', `Content-Encoding "${encoding}" is not supported`)));
      req.on('error', reject);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let failed = false;
    source.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > LIMIT) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    source.on('error', () => {
      if (failed) return;
      failed = true;
      req.resume();
      const fail = () => reject(new HttpError(400, 'bad_encoding', 'the body could not be decoded'));
      if (req.readableEnded) fail();
      else req.on('end', fail);
    });
    source.on('end', () => {
      if (failed) return;
      if (tooLarge) reject(new HttpError(413, 'payload_too_large', `the body is over ${LIMIT} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    if (source !== req) req.on('error', reject);
  });
}

const DATE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/;
const CODE = /^[A-Z]{3}$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function departedAt(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59) return undefined;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isCode = (v: unknown): v is string => typeof v === 'string' && CODE.test(v);

function checkBatch(body: unknown, fields: Field[]): Flight[] {
  if (!Array.isArray(body)) {
    fields.push({ path: '', message: 'the body must be a JSON array of flights' });
    return [];
  }
  if (body.length === 0) {
    fields.push({ path: '', message: 'the batch must hold at least one flight' });
    return [];
  }
  const out: Flight[] = [];
  body.forEach((record: unknown, i) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      fields.push({ path: String(i), message: 'a flight must be an object' });
      return;
    }
    const r = record as Record<string, unknown>;
    const bad = (field: string, message: string) => fields.push({ path: `${i}.${field}`, message });
    const at = departedAt(r.date);
    if (at === undefined) bad('date', 'date must be a real "YYYY/MM/DD HH:MM"');
    if (!isInt(r.delay)) bad('delay', 'delay must be an integer number of minutes');
    if (!isInt(r.distance) || r.distance <= 0) bad('distance', 'distance must be a positive integer');
    const okOrigin = isCode(r.origin);
    const okDestination = isCode(r.destination);
    if (!okOrigin) bad('origin', 'origin must be three uppercase letters');
    if (!okDestination) bad('destination', 'destination must be three uppercase letters');
    else if (okOrigin && r.origin === r.destination) bad('destination', 'destination must differ from origin');
    if (at !== undefined && okOrigin && okDestination && isInt(r.delay) && isInt(r.distance)) {
      out.push({
        departedAt: at,
        origin: r.origin as string,
        destination: r.destination as string,
        delay: r.delay as number,
        distance: r.distance as number,
      });
    }
  });
  return out;
}

export function createApp(db: Database.Database): express.Express {
  db.exec(SCHEMA);
  const findKey = db.prepare('SELECT fingerprint, response FROM ingest_keys WHERE key = ?');
  const saveKey = db.prepare('INSERT INTO ingest_keys (key, fingerprint, response) VALUES (?, ?, ?)');
  const insert = db.prepare(
    `INSERT INTO flights (departed_at, origin, destination, delay, distance) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (departed_at, origin, destination) DO NOTHING`,
  );

  const app = express();

  app.post('/flights/batch', async (req: Request, res: Response) => {
    // 1. the body (only an application/json one is read)
    let body: unknown = undefined;
    if (isJsonMediaType(req.headers['content-type'])) {
      const text = (await readBody(req)).toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
      }
    }

    // 2. the key's shape, together with every bad field of the body
    const fields: Field[] = [];
    const rawKey = req.headers['idempotency-key'];
    const key = Array.isArray(rawKey) ? rawKey.join(', ') : rawKey;
    const keyOk = key === undefined || (key.length >= 1 && key.length <= 255);
    const flights = checkBatch(body, fields);
    if (!keyOk) {
      fields.unshift({ path: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 characters' });
      throw new HttpError(400, 'validation', 'the request is invalid', { fields });
    }

    // 3. a key seen before (no await from here on: lookup and write happen in the same tick)
    const fingerprint = createHash('sha256').update(JSON.stringify(body) ?? '').digest('hex');
    if (key !== undefined) {
      const seen = findKey.get(key) as { fingerprint: string; response: string } | undefined;
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with another body');
        }
        res.status(200).json(JSON.parse(seen.response));
        return;
      }
    }

    // 4. the fields
    if (fields.length > 0) throw new HttpError(400, 'validation', 'the batch has invalid fields', { fields });

    // 5. write all or nothing
    const response = { inserted: flights.length };
    const conflicts: number[] = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      flights.forEach((f, i) => {
        const { changes } = insert.run(f.departedAt, f.origin, f.destination, f.delay, f.distance);
        if (changes === 0) conflicts.push(i);
      });
      if (conflicts.length === 0 && key !== undefined) saveKey.run(key, fingerprint, JSON.stringify(response));
      if (conflicts.length > 0) db.exec('ROLLBACK');
      else db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
    if (conflicts.length > 0) {
      throw new HttpError(409, 'conflict', 'some flights already exist or repeat in the batch', { conflicts });
    }
    res.status(201).json(response);
  });

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpError(404, 'not_found', `${req.method} ${req.path} does not exist`));
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...err.extra } });
    } else {
      res.status(500).json({ error: { code: 'internal', message: 'the server failed to handle the request' } });
    }
  });

  return app;
}
