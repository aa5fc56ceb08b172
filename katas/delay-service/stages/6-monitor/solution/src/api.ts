// STAND-IN for stage 2's createApp (until stage 2's solution lands).
import express, { type Express } from 'express';
import type Database from 'better-sqlite3';

export function createApp(db: Database.Database): Express {
  const app = express();
  app.get('/airports/:code', (req, res) => {
    const row = db.prepare('SELECT COUNT(*) AS flights FROM flights WHERE origin = ?').get(req.params.code) as { flights: number };
    res.json({ airport: req.params.code, flights: row.flights });
  });
  return app;
}
