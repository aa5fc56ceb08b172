// Serves a trained classifier over HTTP: POST /predict takes a batch of instances and answers one
// prediction per instance.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

/** A model ready to serve, with what it needs to turn a JSON instance into its input row. */
export interface ServedModel {
  /** Input [n, features.length] standardised features; output [n, labels.length] probabilities. */
  model: tf.LayersModel;
  /** The instance fields the model reads, in input-column order. */
  features: string[];
  /** The class names, in output-unit order. */
  labels: string[];
  /** Per-feature mean and standard deviation of the training data: input = (value − mean) / std. */
  mean: number[];
  std: number[];
}

export interface AppOptions {
  /** Loads the model; must be called exactly once, by createApp. */
  loadModel: () => Promise<ServedModel>;
  /** The largest batch POST /predict accepts (default 100). */
  maxBatchSize?: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 100;

/** ['instances', 3, 'bodyMass'] → "instances[3].bodyMass"; [] → "body". */
function fieldOf(path: PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export async function createApp({ loadModel, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: AppOptions): Promise<Express> {
  const served = checkServed(await loadModel());
  const { model, features, labels, mean } = served;

  const instance = z.object(Object.fromEntries(features.map((f) => [f, z.number()])));
  const schema = z.object({ instances: z.array(instance).min(1).max(maxBatchSize) });

  const app = express();
  app.post('/predict', (req, res, next) => {
    if (!req.is('application/json')) return void res.status(415).json({ error: 'Content-Type must be application/json' });
    next();
  }, express.json(), (req, res) => {
    const parsed = schema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = fieldOf(issue.path);
      return void res.status(400).json({ error: `${field}: ${issue.message}`, field });
    }
    const instances = parsed.data.instances as Record<string, number>[];
    const rows = instances.map((inst) => features.map((f, j) => inst[f] - mean[j]));
    const probs = tf.tidy(() => (model.predict(tf.tensor2d(rows, [rows.length, features.length])) as tf.Tensor2D).arraySync());
    const predictions = probs.map((p) => {
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
      return { label: labels[best], probabilities: Object.fromEntries(labels.map((l, k) => [l, p[k]])) };
    });
    res.json({ predictions });
  });

  app.use((err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.type === 'entity.parse.failed') return void res.status(400).json({ error: 'body: not valid JSON', field: 'body' });
    if (err.type === 'entity.too.large') return void res.status(413).json({ error: 'body: too large' });
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ error: status === 500 ? 'internal error' : err.message ?? 'bad request' });
  });
  return app;
}

/** The start-up check of the loaded model (README): one mean and one std per feature, at least one label. */
function checkServed<T extends { features: string[]; labels: string[]; mean: number[]; std: number[] }>(served: T): T {
  if (served.mean.length !== served.features.length || served.std.length !== served.features.length) {
    throw new Error(`the model has ${served.features.length} features but ${served.mean.length} means and ${served.std.length} stds`);
  }
  if (served.labels.length === 0) throw new Error('the model has no labels');
  return served;
}
