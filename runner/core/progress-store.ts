// The learner's progress: <workspace>/.kata/progress.db (better-sqlite3). WAL with synchronous=FULL and a
// busy timeout so two `kata` processes at once and a kill -9 mid-write lose nothing; every write is one
// IMMEDIATE transaction; the schema moves forward through PRAGMA user_version migrations. A damaged file
// is reported with the command that recovers it, never replaced.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { KataError } from './errors.js';
import { runnerVersion } from './paths.js';

/** Migration N (1-based) brings a store from user_version N-1 to N. Append only; never edit one. */
export const migrations: readonly string[] = [
  `CREATE TABLE started (
     kata_id    TEXT PRIMARY KEY,
     started_at INTEGER NOT NULL
   );
   CREATE TABLE attempts (
     id             INTEGER PRIMARY KEY,
     kata_id        TEXT NOT NULL,
     at             INTEGER NOT NULL,
     status         TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error')),
     visible_passed INTEGER NOT NULL,
     visible_total  INTEGER NOT NULL,
     hidden_passed  INTEGER NOT NULL,
     hidden_total   INTEGER NOT NULL,
     duration_ms    INTEGER NOT NULL
   );
   CREATE INDEX attempts_by_kata ON attempts (kata_id, at);
   CREATE TABLE hints (
     kata_id    TEXT NOT NULL,
     hint_index INTEGER NOT NULL,
     at         INTEGER NOT NULL,
     PRIMARY KEY (kata_id, hint_index)
   );
   CREATE TABLE completions (
     kata_id      TEXT PRIMARY KEY,
     completed_at INTEGER NOT NULL
   );`,
  // 2: which version of kata graded each attempt, so a report about a verdict can be traced.
  `ALTER TABLE attempts ADD COLUMN runner_version TEXT;`,
];
export const schemaVersion = migrations.length;

export type KataStatus = 'not started' | 'in progress' | 'done';

export interface KataProgress {
  kataId: string;
  status: KataStatus;
  startedAt?: number;
  completedAt?: number;
  attempts: number;
  hintsUsed: number;
  /** From `kata start` to the first passing grade. */
  timeToGreenMs?: number;
}

export interface AttemptRecord {
  kataId: string;
  status: 'pass' | 'fail' | 'error';
  visiblePassed: number;
  visibleTotal: number;
  hiddenPassed: number;
  hiddenTotal: number;
  durationMs: number;
}

const repairHint = (file: string) => `kata doctor --repair   (keeps a backup of ${file})`;

export class ProgressStore {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {}

  /** Opens (creating when asked) and checks the store. `readonly` opens never create or migrate. */
  static open(file: string, options: { readonly?: boolean; now?: () => number } = {}): ProgressStore {
    if (options.readonly && !existsSync(file)) return ProgressStore.empty(file);
    if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: options.readonly ?? false, timeout: 10_000 });
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(String(check));
    } catch (cause) {
      throw new KataError(`the progress store ${file} is damaged (${(cause as Error).message}); it was left as it is`, {
        code: 'PROGRESS_CORRUPT',
        hint: repairHint(file),
        cause,
      });
    }
    const store = new ProgressStore(db, file);
    store.checkVersion();
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      store.migrate();
    }
    return store;
  }

  /** A store with no file behind it, for reading before the first `kata start`. */
  private static empty(file: string): ProgressStore {
    const db = new Database(':memory:');
    const store = new ProgressStore(db, file);
    store.migrate();
    return store;
  }

  private checkVersion(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > schemaVersion) {
      this.db.close();
      throw new KataError(
        `the progress store ${this.file} has schema version ${version}, newer than this kata (${schemaVersion}); it was left untouched`,
        { code: 'PROGRESS_TOO_NEW', hint: 'update kata (git pull && npm install), then run the command again' },
      );
    }
  }

  private migrate(): void {
    const upgrade = this.db.transaction(() => {
      const version = this.db.pragma('user_version', { simple: true }) as number;
      for (let next = version; next < schemaVersion; next++) {
        this.db.exec(migrations[next]);
        this.db.pragma(`user_version = ${next + 1}`);
      }
    });
    upgrade.immediate();
  }

  recordStart(kataId: string, at = Date.now()): void {
    const write = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO started (kata_id, started_at) VALUES (?, ?)').run(kataId, at);
    });
    write.immediate();
  }

  /** Records one grading attempt; returns whether it completed the kata for the first time. */
  recordAttempt(attempt: AttemptRecord, at = Date.now()): { firstCompletion: boolean } {
    const write = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO started (kata_id, started_at) VALUES (?, ?)').run(attempt.kataId, at);
      this.db
        .prepare(
          `INSERT INTO attempts (kata_id, at, status, visible_passed, visible_total, hidden_passed, hidden_total, duration_ms, runner_version)
           VALUES (@kataId, @at, @status, @visiblePassed, @visibleTotal, @hiddenPassed, @hiddenTotal, @durationMs, @runnerVersion)`,
        )
        .run({ ...attempt, at, runnerVersion });
      if (attempt.status !== 'pass') return false;
      return this.db.prepare('INSERT OR IGNORE INTO completions (kata_id, completed_at) VALUES (?, ?)').run(attempt.kataId, at).changes === 1;
    });
    return { firstCompletion: write.immediate() };
  }

  /** Records that hint `index` (0-based) was shown; showing it again is not counted twice. */
  recordHint(kataId: string, index: number, at = Date.now()): void {
    const write = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO hints (kata_id, hint_index, at) VALUES (?, ?, ?)').run(kataId, index, at);
    });
    write.immediate();
  }

  hintsUsed(kataId: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM hints WHERE kata_id = ?').get(kataId) as { n: number }).n;
  }

  isDone(kataId: string): boolean {
    return this.db.prepare('SELECT 1 FROM completions WHERE kata_id = ?').get(kataId) !== undefined;
  }

  progress(kataId: string): KataProgress {
    const row = this.db
      .prepare(
        `SELECT s.started_at AS startedAt, c.completed_at AS completedAt,
                (SELECT count(*) FROM attempts a WHERE a.kata_id = @id) AS attempts,
                (SELECT count(*) FROM hints h WHERE h.kata_id = @id) AS hintsUsed,
                (SELECT min(a.at) FROM attempts a WHERE a.kata_id = @id AND a.status = 'pass') AS firstPass
         FROM (SELECT @id AS id) k
         LEFT JOIN started s ON s.kata_id = k.id
         LEFT JOIN completions c ON c.kata_id = k.id`,
      )
      .get({ id: kataId }) as { startedAt: number | null; completedAt: number | null; attempts: number; hintsUsed: number; firstPass: number | null };
    const status: KataStatus = row.completedAt != null ? 'done' : row.startedAt != null ? 'in progress' : 'not started';
    return {
      kataId,
      status,
      startedAt: row.startedAt ?? undefined,
      completedAt: row.completedAt ?? undefined,
      attempts: row.attempts,
      hintsUsed: row.hintsUsed,
      timeToGreenMs: row.firstPass != null && row.startedAt != null ? row.firstPass - row.startedAt : undefined,
    };
  }

  /** Inserts rows salvaged from a damaged store (see repair.ts); returns how many went into each table. */
  importRows(rows: Partial<Record<'started' | 'attempts' | 'hints' | 'completions', Record<string, unknown>[]>>): Record<string, number> {
    const columns = {
      started: ['kata_id', 'started_at'],
      attempts: ['kata_id', 'at', 'status', 'visible_passed', 'visible_total', 'hidden_passed', 'hidden_total', 'duration_ms', 'runner_version'],
      hints: ['kata_id', 'hint_index', 'at'],
      completions: ['kata_id', 'completed_at'],
    } as const;
    const counts: Record<string, number> = {};
    const write = this.db.transaction(() => {
      for (const [table, names] of Object.entries(columns)) {
        const insert = this.db.prepare(`INSERT OR IGNORE INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        counts[table] = 0;
        for (const row of rows[table as keyof typeof columns] ?? []) {
          try {
            counts[table] += insert.run(...names.map((n) => (row[n] ?? null) as never)).changes;
          } catch {
            /* a row that breaks a constraint is not progress worth keeping */
          }
        }
      }
    });
    write.immediate();
    return counts;
  }

  attemptCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
