// Judge-side data of stage 4 (and of stages 5-6, which may import it as '../4-model/judge-data.js'): a
// SQLite file holding only `features`, the judge's own recomputation (../3-features/reference.ts) over the
// real flights of 2001-04 .. 2001-06 (the hidden months), so a stage 3 mistake of the learner never shows up
// here. Flight ids are 1.. in file order, April then May then June, as the stage 1-2 support's
// referenceDb(['2001-04', '2001-05', '2001-06']) numbers them. Built once into the support's cache folder
// (a cold build takes 10-20 s on a busy machine; a warm one is a file copy).
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { seededRandom } from '@kata/harness';
import { cacheDir, monthFlights } from '../support/flights.js';
import { referenceFeatures, type Features, type Flight } from '../3-features/reference.js';

/** The months whose flights make the history; the table holds the features of FEATURE_MONTHS only. */
export const HISTORY_MONTHS = ['2001-04', '2001-05', '2001-06'] as const;
export const FEATURE_MONTHS = ['2001-05', '2001-06'] as const;
/** What train gets: May. What it is graded on: June. */
export const TRAIN_RANGE = { from: '2001-05-01', to: '2001-05-31' } as const;
export const TEST_MONTH = '2001-06';

export const FEATURES_DDL = `
CREATE TABLE IF NOT EXISTS features (
  flight_id        INTEGER PRIMARY KEY,
  flight_date      TEXT    NOT NULL,
  dep_hour         INTEGER NOT NULL,
  weekday          INTEGER NOT NULL,
  distance         INTEGER NOT NULL,
  route_flights    INTEGER NOT NULL,
  route_late_rate  REAL,
  origin_flights   INTEGER NOT NULL,
  origin_late_rate REAL,
  late             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS features_date ON features (flight_date);`;

const VERSION = 1;

/** Inserts feature rows into `db` (creating the table). */
export function insertFeatures(db: Database.Database, rows: readonly Features[]): void {
  db.exec(FEATURES_DDL);
  const insert = db.prepare(
    'INSERT INTO features (flight_id, flight_date, dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const f of rows) {
      insert.run(f.flight_id, f.flight_date, f.dep_hour, f.weekday, f.distance, f.route_flights, f.route_late_rate, f.origin_flights, f.origin_late_rate, f.late);
    }
  })();
}

/** The real flights of `months`, with the ids referenceDb(months) gives them. */
export async function flightsWithIds(months: readonly string[]): Promise<Flight[]> {
  const out: Flight[] = [];
  for (const month of months) for (const row of await monthFlights(month)) out.push({ id: out.length + 1, ...row });
  return out;
}

/** The cached features file (May and June 2001, history from April); a writable copy in `dir` when given. */
export async function featuresDb(dir?: string): Promise<string> {
  const file = join(cacheDir(), `features-v${VERSION}-${FEATURE_MONTHS.join('+')}.db`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      const flights = await flightsWithIds(HISTORY_MONTHS);
      const wanted = new Set<string>(FEATURE_MONTHS);
      const rows = referenceFeatures(flights).filter((f) => wanted.has(f.flight_date.slice(0, 7)));
      const db = new Database(tmp);
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = OFF');
      insertFeatures(db, rows);
      db.close();
      renameSync(tmp, file);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  if (!dir) return file;
  const copy = join(dir, 'features.db');
  copyFileSync(file, copy);
  return copy;
}

/**
 * Feature rows of a month from the cached file, in flight order: all of them, or a seeded sample of
 * `sample` rows (each row drawn with the same probability).
 */
export async function featureRows(month: string, sample?: { size: number; seed: number }): Promise<Features[]> {
  const db = new Database(await featuresDb(), { readonly: true });
  try {
    const ids = db.prepare('SELECT flight_id FROM features WHERE substr(flight_date, 1, 7) = ? ORDER BY flight_id').pluck().all(month) as number[];
    let chosen = ids;
    if (sample && sample.size < ids.length) {
      const random = seededRandom(sample.seed);
      const order = ids.slice();
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      chosen = order.slice(0, sample.size).sort((a, b) => a - b);
    }
    return db.prepare('SELECT * FROM features WHERE flight_id IN (SELECT value FROM json_each(?)) ORDER BY flight_id').all(JSON.stringify(chosen)) as Features[];
  } finally {
    db.close();
  }
}

/** ROC-AUC of scores against 0/1 labels (ties get the average rank). */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]] === 1) {
      positives++;
      rankSum += rank;
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** F1 of "late when score >= threshold". */
export function f1At(scores: readonly number[], labels: readonly number[], threshold: number): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scores.forEach((s, i) => {
    if (s >= threshold) labels[i] === 1 ? tp++ : fp++;
    else if (labels[i] === 1) fn++;
  });
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** The best F1 any cut-off reaches on these scores, and that cut-off. */
export function bestF1(scores: readonly number[], labels: readonly number[]): { f1: number; threshold: number } {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const positives = labels.filter((l) => l === 1).length;
  let tp = 0;
  let fp = 0;
  let best = { f1: 0, threshold: 1 };
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) tp++;
    else fp++;
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const f1 = (2 * tp) / (tp + fp + positives);
    if (f1 > best.f1) best = { f1, threshold: scores[order[i]] };
  }
  return best;
}
