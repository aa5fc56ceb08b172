// Flight delays API — your code goes here. README.md has the full contract; `kata test` grades it.
//
// The app is handed an open, read-only better-sqlite3 handle on flights.db (the pipeline's output).
// Tables you will want: `routes` (one row per origin → destination) and `route_daily` (one row per
// route and day). Both hold additive totals (flights, total_delay_min, delayed_flights) next to an
// unrounded avg_delay_min: think about which of those you can add up.
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export function createApp(db: Database.Database): express.Express {
  const app = express();

  // TODO: validate the query (origin, destination, min_flights, sort, limit, offset) and answer
  //       400 { error: { parameter, message } } for the first bad one, or for an unknown parameter.
  // TODO: filter, sort with a tie-breaker (so pages never overlap), and page with LIMIT/OFFSET.
  // TODO: `total` counts every matching route, not just this page.
  // TODO: shape each item as the README says, rounding avg_delay_min and delayed_pct exactly.
  app.get('/routes', (_req: Request, res: Response) => {
    const rows = db.prepare('SELECT * FROM routes LIMIT 20').all();
    res.json({ items: rows, total: rows.length, limit: 20, offset: 0 });
  });

  // TODO: GET /routes/:route — the key is ORIGIN-DESTINATION (case-insensitive). Answer 400 for a
  //       malformed key or bad from/to dates, 404 { error: { message } } for a route with no flights,
  //       and otherwise the route's totals over the window plus one entry per day.
  app.get('/routes/:route', (req: Request<{ route: string }>, res: Response) => {
    res.status(501).json({ error: { message: `GET /routes/${req.params.route} is not implemented yet` } });
  });

  return app;
}
