// Recovering a damaged progress store. The damaged file is never deleted: it is renamed aside as a
// backup, and a new store is filled with every row that can still be read from it.
import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ProgressStore } from './progress-store.js';

export interface RepairOutcome {
  ok: boolean;
  message: string;
  backup?: string;
  recovered?: Record<string, number>;
}

const tables = ['started', 'attempts', 'hints', 'completions', 'stage_passes'] as const;

function healthy(file: string): boolean {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    const ok = db.pragma('quick_check', { simple: true }) === 'ok';
    db.close();
    return ok;
  } catch {
    return false;
  }
}

/** Reads what it can of each table; a table that cannot be read is skipped. */
function salvage(file: string): Partial<Record<(typeof tables)[number], Record<string, unknown>[]>> {
  const rows: Partial<Record<(typeof tables)[number], Record<string, unknown>[]>> = {};
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    for (const table of tables) {
      try {
        rows[table] = db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      } catch {
        /* unreadable table: nothing to salvage from it */
      }
    }
  } catch {
    /* not a database at all */
  } finally {
    db?.close();
  }
  return rows;
}

export function repairStore(file: string, now = new Date()): RepairOutcome {
  if (!existsSync(file)) return { ok: true, message: `There is no progress store at ${file}; nothing to repair.` };
  if (healthy(file)) return { ok: true, message: `${file} passes quick_check; nothing to repair.` };

  const rows = salvage(file);
  const backup = `${file}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, backup);
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, backup + suffix);

  const store = ProgressStore.open(file);
  const recovered = store.importRows(rows);
  store.close();
  const counts = Object.entries(recovered).map(([t, n]) => `${n} ${t}`).join(', ');
  return {
    ok: true,
    backup,
    recovered,
    message: `Repaired ${file}: recovered ${counts || 'nothing readable'}.\nThe damaged file was kept as ${backup}.`,
  };
}
