// Stage 5 (serve): the API of stage 2 plus POST /predict, over a model loaded once, at start-up.
// Read stages/5-serve.md for the contract.
import type { Express } from 'express';
import type Database from 'better-sqlite3';

/** The most flights one POST /predict may carry. */
export const MAX_BATCH = 100;

/**
 * Loads the model saved in `modelDir` once (rejects when there is none) and resolves with an Express app
 * that serves stage 2's routes and POST /predict.
 */
export async function createService(db: Database.Database, modelDir: string): Promise<Express> {
  throw new Error(`not implemented: createService(db, ${JSON.stringify(modelDir)})`);
}
