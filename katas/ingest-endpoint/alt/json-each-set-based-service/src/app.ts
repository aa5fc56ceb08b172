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
  CREATE TABLE IF NOT EXISTS batch_idempotency (
    key       TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    reply     TEXT NOT NULL
  ) WITHOUT ROWID;
`;

type Reply = { status: number; json: unknown };
const problem = (status: number, code: string, message: string, extra?: object): Reply => ({
  status,
  json: { error: { code, message, ...extra } },
});

const realMoment = (s: string) => {
  const m = s.match(/^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const probe = new Date(0);
  probe.setUTCFullYear(y, mo - 1, d);
  probe.setUTCHours(h, mi);
  return probe.getUTCFullYear() === y && probe.getUTCMonth() + 1 === mo && probe.getUTCDate() === d
    && probe.getUTCHours() === h && probe.getUTCMinutes() === mi;
};

const Code = z.string().regex(/^[A-Z]{3}$/, 'three uppercase letters A-Z expected');
const Record = z
  .object({
    date: z.string().refine(realMoment, 'a real date and time YYYY/MM/DD HH:MM expected'),
    delay: z.int('an integer number of minutes expected'),
    distance: z.int('an integer number of miles expected').min(1, 'a distance above 0 expected'),
    origin: Code,
    destination: Code,
  })
  .loose()
  .superRefine((r, ctx) => {
    // zod may run this even when a code failed its regex: only compare two valid codes.
    const bothValid = Code.safeParse(r.origin).success && Code.safeParse(r.destination).success;
    if (bothValid && r.origin === r.destination) {
      ctx.addIssue({ code: 'custom', path: ['destination'], message: 'destination equals origin' });
    }
  });
const Batch = z.array(z.unknown()).min(1, 'a JSON array with at least one flight expected');

interface Issue {
  path: string;
  message: string;
}

/** Validates the batch; a record's route is only compared once both of its codes are valid. */
function validate(body: unknown): { ok: true; records: z.infer<typeof Record>[] } | { ok: false; issues: Issue[] } {
  const outer = Batch.safeParse(body);
  if (!outer.success) return { ok: false, issues: [{ path: '', message: outer.error.issues[0]!.message }] };
  const issues: Issue[] = [];
  const records: z.infer<typeof Record>[] = [];
  outer.data.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      issues.push({ path: String(index), message: 'a JSON object expected' });
      return;
    }
    const fieldsOnly = Record.safeParse(raw);
    if (fieldsOnly.success) {
      records.push(fieldsOnly.data);
      return;
    }
    for (const issue of fieldsOnly.error.issues) {
      issues.push({ path: [index, ...issue.path].join('.'), message: issue.message });
    }
    // superRefine is skipped when some field fails its type check: then compare the codes ourselves.
    const { origin, destination } = raw as { origin?: unknown; destination?: unknown };
    const codesOk = Code.safeParse(origin).success && Code.safeParse(destination).success;
    const alreadyReported = fieldsOnly.error.issues.some((i) => i.code === 'custom');
    if (codesOk && origin === destination && !alreadyReported) {
      issues.push({ path: `${index}.destination`, message: 'destination equals origin' });
    }
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, records };
}

class IngestService {
  private readonly conflictsQuery: Database.Statement;
  private readonly insertAll: Database.Statement;
  private readonly findKey: Database.Statement;
  private readonly saveKey: Database.Statement;
  readonly ingest: (key: string | undefined, body: unknown) => Reply;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    const batchRows = `
      SELECT CAST(key AS INTEGER) AS idx,
             replace(json_extract(value, '$.date'), '/', '-') AS departed_at,
             json_extract(value, '$.origin') AS origin,
             json_extract(value, '$.destination') AS destination,
             json_extract(value, '$.delay') AS delay,
             json_extract(value, '$.distance') AS distance
        FROM json_each(?)`;
    this.conflictsQuery = db
      .prepare(
        `SELECT idx FROM (
           SELECT b.*, ROW_NUMBER() OVER (PARTITION BY departed_at, origin, destination ORDER BY idx) AS nth
             FROM (${batchRows}) AS b
         ) AS numbered
         WHERE nth > 1
            OR EXISTS (SELECT 1 FROM flights f
                        WHERE f.departed_at = numbered.departed_at
                          AND f.origin = numbered.origin
                          AND f.destination = numbered.destination)
         ORDER BY idx`,
      )
      .pluck();
    this.insertAll = db.prepare(
      `INSERT INTO flights (departed_at, origin, destination, delay, distance)
       SELECT departed_at, origin, destination, delay, distance FROM (${batchRows}) ORDER BY idx`,
    );
    this.findKey = db.prepare('SELECT body_hash, reply FROM batch_idempotency WHERE key = ?');
    this.saveKey = db.prepare('INSERT INTO batch_idempotency (key, body_hash, reply) VALUES (?, ?, ?)');
    this.ingest = db.transaction((key: string | undefined, body: unknown) => this.run(key, body));
  }

  private run(key: string | undefined, body: unknown): Reply {
    const bodyHash = createHash('sha256').update(String(JSON.stringify(body))).digest('base64url');
    const keyIssues: Issue[] = [];
    if (key !== undefined && !(key.length >= 1 && key.length <= 255)) {
      keyIssues.push({ path: 'Idempotency-Key', message: 'an Idempotency-Key of 1 to 255 characters expected' });
    } else if (key !== undefined) {
      const stored = this.findKey.get(key) as { body_hash: string; reply: string } | undefined;
      if (stored && stored.body_hash === bodyHash) return { status: 200, json: JSON.parse(stored.reply) };
      if (stored) return problem(422, 'idempotency_key_reused', 'the Idempotency-Key belongs to another request body');
    }
    const result = validate(body);
    if (!result.ok || keyIssues.length > 0) {
      return problem(400, 'validation', 'the batch did not validate', {
        fields: [...keyIssues, ...(result.ok ? [] : result.issues)],
      });
    }
    const payload = JSON.stringify(result.records);
    const conflicts = this.conflictsQuery.all(payload) as number[];
    if (conflicts.length > 0) return problem(409, 'conflict', 'flights already stored or repeated', { conflicts });
    const { changes } = this.insertAll.run(payload);
    const reply = { inserted: changes };
    if (key !== undefined) this.saveKey.run(key, bodyHash, JSON.stringify(reply));
    return { status: 201, json: reply };
  }
}

export function createApp(db: Database.Database): express.Express {
  const service = new IngestService(db);
  const app = express();
  app.use(express.text({ type: 'application/json', limit: '256kb' }));

  app.post('/flights/batch', (req: Request, res: Response) => {
    let body: unknown = undefined;
    if (typeof req.body === 'string') {
      try {
        body = JSON.parse(req.body);
      } catch {
        const r = problem(400, 'invalid_json', 'the body could not be parsed as JSON');
        res.status(r.status).json(r.json);
        return;
      }
    }
    const reply = service.ingest(req.get('Idempotency-Key'), body);
    res.status(reply.status).json(reply.json);
  });

  app.all('/{*rest}', (_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'unknown endpoint' } });
  });

  app.use((err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    let r: Reply;
    if (err.type === 'entity.too.large') r = problem(413, 'payload_too_large', 'the body may be at most 256 KiB');
    else if (err.status && err.status >= 400 && err.status < 500) r = problem(err.status, 'bad_request', err.message || 'bad request');
    else r = problem(500, 'internal', 'unexpected error');
    res.status(r.status).json(r.json);
  });

  return app;
}
