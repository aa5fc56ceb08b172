// The learner's progress: <workspace>/.kata/progress.db (better-sqlite3). WAL with synchronous=FULL and a
// busy timeout so two `kata` processes at once and a kill -9 mid-write lose nothing; every write is one
// IMMEDIATE transaction; the schema moves forward through PRAGMA user_version migrations. A damaged file
// is reported with the command that recovers it, never replaced.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { KataError } from './errors.js';
import { runnerRoot, runnerVersion } from './paths.js';

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
  // 3: staged katas. Each attempt grades a stage (NULL: a kata without stages); a stage passed is kept, and
  // hints are counted per stage (0: a kata without stages), so the hints table gets the stage in its key.
  `ALTER TABLE attempts ADD COLUMN stage INTEGER;
   CREATE TABLE stage_passes (
     kata_id   TEXT NOT NULL,
     stage     INTEGER NOT NULL CHECK (stage >= 1),
     passed_at INTEGER NOT NULL,
     PRIMARY KEY (kata_id, stage)
   );
   CREATE TABLE hints_by_stage (
     kata_id    TEXT NOT NULL,
     stage      INTEGER NOT NULL DEFAULT 0,
     hint_index INTEGER NOT NULL,
     at         INTEGER NOT NULL,
     PRIMARY KEY (kata_id, stage, hint_index)
   );
   INSERT INTO hints_by_stage (kata_id, stage, hint_index, at) SELECT kata_id, 0, hint_index, at FROM hints;
   DROP TABLE hints;
   ALTER TABLE hints_by_stage RENAME TO hints;`,
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
  /** The stage graded, for a staged kata (a pass passes it and every earlier one). */
  stage?: number;
  /** The kata's last stage: passing it completes the kata. */
  lastStage?: number;
}

const repairHint = (file: string) => `kata doctor --repair   (keeps a backup of ${file})`;

/** SQLite's answer when the file, its -wal/-shm or its folder cannot be written. */
const isReadOnlyError = (error: unknown) => /^SQLITE_(READONLY|CANTOPEN)/.test(String((error as { code?: unknown })?.code ?? ''));

/**
 * What keeps the store from being written, as the command that fixes it: the folder and files that are not
 * writable (chmod), or not the user's own (chown). Undefined when everything is writable.
 */
export function readOnlyProblem(file: string): { paths: string[]; fix: string } | undefined {
  let readOnlyDisk = false;
  const paths = [dirname(file), file, `${file}-wal`, `${file}-shm`].filter((path) => {
    if (!existsSync(path)) return false;
    try {
      accessSync(path, constants.W_OK);
      return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EROFS') readOnlyDisk = true;
      return true;
    }
  });
  if (!paths.length) return undefined;
  if (readOnlyDisk) return { paths, fix: 'the disk is mounted read-only: move the workspace to one you can write (--workspace <dir>)' };
  const quoted = paths.map((path) => (/\s/.test(path) ? JSON.stringify(path) : path)).join(' ');
  const uid = process.getuid?.();
  const notOwn = uid !== undefined && paths.some((path) => statSync(path).uid !== uid);
  return { paths, fix: notOwn ? `sudo chown "$USER" ${quoted}` : `chmod u+w ${quoted}` };
}

function readOnlyError(file: string, cause: unknown): KataError {
  const problem = readOnlyProblem(file);
  const what = problem ? problem.paths.join(', ') : file;
  return new KataError(`the progress store cannot be written (read-only: ${what})`, {
    code: 'PROGRESS_READ_ONLY',
    hint: `${problem?.fix ?? `chmod u+w ${dirname(file)} ${file}`}   then run the command again`,
    cause,
  });
}

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
      // In WAL mode even a check has to write the -shm file: a read-only folder fails here.
      if (isReadOnlyError(cause)) throw readOnlyError(file, cause);
      throw new KataError(`the progress store ${file} is damaged (${(cause as Error).message}); it was left as it is`, {
        code: 'PROGRESS_CORRUPT',
        hint: repairHint(file),
        cause,
      });
    }
    const store = new ProgressStore(db, file);
    store.checkVersion();
    if (!options.readonly) {
      store.writing(() => {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        store.migrate();
      });
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

  private version(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private checkVersion(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > schemaVersion) {
      this.db.close();
      throw new KataError(
        `the progress store ${this.file} has schema version ${version}, newer than this kata (${schemaVersion}); it was left untouched`,
        { code: 'PROGRESS_TOO_NEW', hint: `update kata: cd ${runnerRoot} && git pull && npm install   (then run the command again)` },
      );
    }
  }

  /** Runs a write; a store that cannot be written is reported as such (the fix is a chmod, not a repair). */
  private writing<T>(write: () => T): T {
    try {
      return write();
    } catch (cause) {
      if (isReadOnlyError(cause)) throw readOnlyError(this.file, cause);
      throw cause;
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
    this.writing(() => upgrade.immediate());
  }

  recordStart(kataId: string, at = Date.now()): void {
    const write = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO started (kata_id, started_at) VALUES (?, ?)').run(kataId, at);
    });
    this.writing(() => write.immediate());
  }

  /** Records one grading attempt; returns whether it completed the kata for the first time. */
  recordAttempt(attempt: AttemptRecord, at = Date.now()): { firstCompletion: boolean } {
    const write = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO started (kata_id, started_at) VALUES (?, ?)').run(attempt.kataId, at);
      this.db
        .prepare(
          `INSERT INTO attempts (kata_id, at, status, visible_passed, visible_total, hidden_passed, hidden_total, duration_ms, runner_version, stage)
           VALUES (@kataId, @at, @status, @visiblePassed, @visibleTotal, @hiddenPassed, @hiddenTotal, @durationMs, @runnerVersion, @stage)`,
        )
        .run({ kataId: attempt.kataId, status: attempt.status, visiblePassed: attempt.visiblePassed, visibleTotal: attempt.visibleTotal, hiddenPassed: attempt.hiddenPassed, hiddenTotal: attempt.hiddenTotal, durationMs: attempt.durationMs, at, runnerVersion, stage: attempt.stage ?? null });
      if (attempt.status !== 'pass') return false;
      if (attempt.stage !== undefined) {
        // Stage n's run grades stages 1..n: a pass passes them all.
        const pass = this.db.prepare('INSERT OR IGNORE INTO stage_passes (kata_id, stage, passed_at) VALUES (?, ?, ?)');
        for (let stage = 1; stage <= attempt.stage; stage++) pass.run(attempt.kataId, stage, at);
        if (attempt.stage !== attempt.lastStage) return false;
      }
      return this.db.prepare('INSERT OR IGNORE INTO completions (kata_id, completed_at) VALUES (?, ?)').run(attempt.kataId, at).changes === 1;
    });
    return { firstCompletion: this.writing(() => write.immediate()) };
  }

  /** Records that hint `index` (0-based) of a stage (0: a kata without stages) was shown; again is not counted twice. */
  recordHint(kataId: string, index: number, at = Date.now(), stage = 0): void {
    const write = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO hints (kata_id, stage, hint_index, at) VALUES (?, ?, ?, ?)').run(kataId, stage, index, at);
    });
    this.writing(() => write.immediate());
  }

  /** Hints seen: of one stage when given, else of the whole kata. */
  hintsUsed(kataId: string, stage?: number): number {
    // A store older than staged katas (read, not migrated) counts hints of katas without stages only.
    if (stage === undefined || this.version() < 3) return (this.db.prepare('SELECT count(*) AS n FROM hints WHERE kata_id = ?').get(kataId) as { n: number }).n;
    return (this.db.prepare('SELECT count(*) AS n FROM hints WHERE kata_id = ? AND stage = ?').get(kataId, stage) as { n: number }).n;
  }

  /** The stages of a staged kata that have been passed. */
  stagesPassed(kataId: string): Set<number> {
    if (this.version() < 3) return new Set();
    const rows = this.db.prepare('SELECT stage FROM stage_passes WHERE kata_id = ?').all(kataId) as { stage: number }[];
    return new Set(rows.map((row) => row.stage));
  }

  /**
   * Back to the start of stage `stage` (kata reset --stage): it and the later stages are no longer passed,
   * nor the kata done; attempts and hints stay as the history they are.
   */
  reopenStage(kataId: string, stage: number): void {
    const write = this.db.transaction(() => {
      this.db.prepare('DELETE FROM stage_passes WHERE kata_id = ? AND stage >= ?').run(kataId, stage);
      this.db.prepare('DELETE FROM completions WHERE kata_id = ?').run(kataId);
    });
    this.writing(() => write.immediate());
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
  importRows(rows: Partial<Record<'started' | 'attempts' | 'hints' | 'completions' | 'stage_passes', Record<string, unknown>[]>>): Record<string, number> {
    const columns = {
      started: ['kata_id', 'started_at'],
      attempts: ['kata_id', 'at', 'status', 'visible_passed', 'visible_total', 'hidden_passed', 'hidden_total', 'duration_ms', 'runner_version', 'stage'],
      hints: ['kata_id', 'stage', 'hint_index', 'at'],
      completions: ['kata_id', 'completed_at'],
      stage_passes: ['kata_id', 'stage', 'passed_at'],
    } as const;
    const counts: Record<string, number> = {};
    const write = this.db.transaction(() => {
      for (const [table, names] of Object.entries(columns)) {
        const insert = this.db.prepare(`INSERT OR IGNORE INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        counts[table] = 0;
        for (const row of rows[table as keyof typeof columns] ?? []) {
          try {
            // A row from a store older than staged katas has no stage: a hint of it is of a kata without stages.
            const value = (n: string) => row[n] ?? (n === 'stage' && table === 'hints' ? 0 : null);
            counts[table] += insert.run(...names.map((n) => value(n) as never)).changes;
          } catch {
            /* a row that breaks a constraint is not progress worth keeping */
          }
        }
      }
    });
    this.writing(() => write.immediate());
    return counts;
  }

  attemptCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
