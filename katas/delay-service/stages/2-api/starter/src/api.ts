// Stage 2 (api): route and airport stats over the flights table (stages/2-api.md).
import express from 'express';
import type Database from 'better-sqlite3';

/** The Express app of the brief, reading `db` (opened read-only by the caller). Do not listen on a port. */
export function createApp(db: Database.Database): express.Express {
  throw new Error('not implemented: createApp(db)');
}
