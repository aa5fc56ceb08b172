// Stage 6 (monitor), SQL-heavy: the baseline goes once into a TEMP table; binning, shares, the PSI and
// the accuracy are SQL queries over it and over `predictions`.
import Database from 'better-sqlite3';
import { predict, type FeatureRow, type LateModel } from './model.js';

/** Every share below this counts as this much, so that an empty bin does not make the PSI infinite. */
export const EPSILON = 0.0001;
/** What a PSI says: below 0.1 stable, below 0.25 moderate, from 0.25 on shifted. */
export type DriftStatus = 'stable' | 'moderate' | 'shifted';
export const MONITORED = ['dep_hour', 'weekday', 'distance', 'route_flights', 'route_late_rate', 'origin_flights', 'origin_late_rate', 'probability'] as const;
export type Monitored = (typeof MONITORED)[number];

/** The body of GET /metrics. */
export interface Metrics {
  window: { days: string[]; flights: number };
  baseline: { flights: number };
  drift: Record<Monitored, { psi: number; status: DriftStatus }> | null;
  accuracy: { flights: number; accuracy: number; predicted_late_rate: number; actual_late_rate: number } | null;
}

const ranges = (column: string, edges: number[]) =>
  `CASE ${edges.map((edge, i) => `WHEN ${column} < ${edge} THEN ${i}`).join(' ')} ELSE ${edges.length} END`;
const tenths = (column: string) => `CASE WHEN ${column} IS NULL THEN -1 ELSE min(9, CAST(${column} * 10 AS INTEGER)) END`;

/** The SQL bin of each monitored value (NULL rates in bin -1; CAST truncates, = floor for rates >= 0). */
const BIN_SQL: Record<Monitored, string> = {
  dep_hour: 'dep_hour',
  weekday: 'weekday',
  distance: ranges('distance', [250, 500, 750, 1000, 1500, 2000]),
  route_flights: ranges('route_flights', [1, 10, 30, 100, 300]),
  origin_flights: ranges('origin_flights', [1, 100, 1000, 3000, 10000]),
  route_late_rate: tenths('route_late_rate'),
  origin_late_rate: tenths('origin_late_rate'),
  probability: tenths('probability'),
};

const COLUMNS = 'dep_hour, weekday, distance, route_flights, route_late_rate, origin_flights, origin_late_rate';

/** PSI of the rows of two SQL sources (table names or subqueries), for the value `name`. */
function psiSql(db: Database.Database, baseline: string, window: string, name: Monitored, params: Record<string, unknown>): number {
  const bin = BIN_SQL[name];
  const row = db
    .prepare(
      `WITH e AS (SELECT ${bin} AS bin, COUNT(*) * 1.0 / (SELECT COUNT(*) FROM ${baseline}) AS share FROM ${baseline} GROUP BY 1),
            a AS (SELECT ${bin} AS bin, COUNT(*) * 1.0 / (SELECT COUNT(*) FROM ${window}) AS share FROM ${window} GROUP BY 1),
            bins AS (SELECT bin FROM e UNION SELECT bin FROM a),
            s AS (SELECT max(COALESCE(a.share, 0), @eps) AS a, max(COALESCE(e.share, 0), @eps) AS e
                  FROM bins LEFT JOIN a ON a.bin = bins.bin LEFT JOIN e ON e.bin = bins.bin)
       SELECT COALESCE(SUM((a - e) * ln(a / e)), 0) AS psi FROM s`,
    )
    .get({ eps: EPSILON, ...params }) as { psi: number };
  return row.psi;
}

/** Population stability index of two lists of values of `name`, binned as the brief says. */
export function psi(baseline: (number | null)[], current: (number | null)[], name: Monitored): number {
  // The same SQL over two in-memory tables of the values.
  const db = new Database(':memory:');
  try {
    for (const [table, values] of [['b', baseline], ['w', current]] as const) {
      db.exec(`CREATE TABLE ${table} (${name} REAL)`);
      const insert = db.prepare(`INSERT INTO ${table} VALUES (?)`);
      db.transaction(() => values.forEach((value) => insert.run(value)))();
    }
    return psiSql(db, 'b', 'w', name, {});
  } finally {
    db.close();
  }
}

/** What the model was trained on: every row of `features`, with the model's probability (also in temp.monitor_baseline). */
export type Baseline = Record<Monitored, number | null>[];

/** The baseline of a loaded model, written once into temp.monitor_baseline with the model's probabilities. */
export function baselineOf(db: Database.Database, model: LateModel): Baseline {
  const rows = db.prepare(`SELECT ${COLUMNS} FROM features ORDER BY flight_id`).all() as FeatureRow[];
  const probabilities = predict(model, rows);
  db.exec(`DROP TABLE IF EXISTS temp.monitor_baseline;
    CREATE TEMP TABLE monitor_baseline (dep_hour INTEGER, weekday INTEGER, distance INTEGER, route_flights INTEGER,
      route_late_rate REAL, origin_flights INTEGER, origin_late_rate REAL, probability REAL)`);
  const insert = db.prepare(`INSERT INTO temp.monitor_baseline VALUES (@dep_hour, @weekday, @distance, @route_flights,
    @route_late_rate, @origin_flights, @origin_late_rate, @probability)`);
  const baseline = rows.map((row, i) => ({ ...row, probability: probabilities[i] }));
  db.transaction(() => baseline.forEach((row) => insert.run(row)))();
  return baseline;
}

const statusOf = (value: number): DriftStatus => (value < 0.1 ? 'stable' : value < 0.25 ? 'moderate' : 'shifted');

/** The metrics of the `days` latest scored days against the baseline (see the brief). */
export function computeMetrics(db: Database.Database, baseline: Baseline, days: number): Metrics {
  const scored = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'predictions'").get() as { n: number };
  const latest =
    scored.n === 0 ? [] : (db.prepare('SELECT flight_date FROM (SELECT DISTINCT flight_date FROM predictions ORDER BY flight_date DESC LIMIT ?) ORDER BY flight_date').pluck().all(days) as string[]);
  if (latest.length === 0) return { window: { days: [], flights: 0 }, baseline: { flights: baseline.length }, drift: null, accuracy: null };
  const window = `(SELECT * FROM predictions WHERE flight_date IN (SELECT DISTINCT flight_date FROM predictions ORDER BY flight_date DESC LIMIT @days))`;
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM ${window}`).get({ days }) as { n: number };
  const drift = Object.fromEntries(
    MONITORED.map((name) => {
      const value = psiSql(db, 'temp.monitor_baseline', window, name, { days });
      return [name, { psi: value, status: statusOf(value) }];
    }),
  ) as Record<Monitored, { psi: number; status: DriftStatus }>;
  const live = db
    .prepare(
      `SELECT COUNT(*) AS flights, AVG(p.late = (f.delay >= 15)) AS accuracy, AVG(p.late) AS predicted_late_rate,
              AVG(f.delay >= 15) AS actual_late_rate
       FROM ${window} p JOIN flights f ON f.id = p.flight_id`,
    )
    .get({ days }) as { flights: number; accuracy: number; predicted_late_rate: number; actual_late_rate: number };
  return { window: { days: latest, flights: n }, baseline: { flights: baseline.length }, drift, accuracy: live.flights === 0 ? null : live };
}
