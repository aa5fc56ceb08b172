// Serves a trained classifier over HTTP: POST /predict takes a batch of instances and answers one
// prediction per instance. Validation throws a FieldError at the first problem; the Content-Type is
// checked by a middleware before the JSON parser runs; the batch becomes one flat Float32Array.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import * as tf from '@tensorflow/tfjs';

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
const BODY_LIMIT = '512kb';

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkServedModel(served: ServedModel): void {
  const { features, labels, mean, std } = served ?? ({} as ServedModel);
  if (!Array.isArray(features)) throw new Error('the served model has no features list');
  if (!Array.isArray(labels) || labels.length === 0) throw new Error('the served model has no labels');
  for (const [name, stats] of [['mean', mean], ['std', std]] as const) {
    if (!Array.isArray(stats) || stats.length !== features.length) {
      throw new Error(
        `the served model's ${name} has ${Array.isArray(stats) ? stats.length : 'no'} numbers for ${features.length} features`,
      );
    }
  }
  if (!served.model || typeof served.model.predict !== 'function') throw new Error('the served model has no model');
}

/** The standardised input rows, flattened; throws a FieldError at the first problem, in the README's order. */
function toInput(body: unknown, served: ServedModel, maxBatchSize: number): { data: Float32Array; n: number } {
  if (!isPlainObject(body)) throw new FieldError('body', 'expected a JSON object');
  const { instances } = body;
  if (!Array.isArray(instances)) throw new FieldError('instances', 'expected an array of instances');
  if (instances.length === 0) throw new FieldError('instances', 'expected at least one instance');
  if (instances.length > maxBatchSize) {
    throw new FieldError('instances', `expected at most ${maxBatchSize} instances, got ${instances.length}`);
  }
  const k = served.features.length;
  const data = new Float32Array(instances.length * k);
  instances.forEach((instance: unknown, i) => {
    if (!isPlainObject(instance)) throw new FieldError(`instances[${i}]`, 'expected an object');
    served.features.forEach((feature, j) => {
      const value = Object.hasOwn(instance, feature) ? instance[feature] : undefined;
      if (!value || typeof value !== 'number' || !Number.isFinite(value)) {
        throw new FieldError(`instances[${i}].${feature}`, value === undefined ? 'missing' : 'expected a finite number');
      }
      data[i * k + j] = (value - served.mean[j]!) / served.std[j]!;
    });
  });
  return { data, n: instances.length };
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export async function createApp({ loadModel, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: AppOptions): Promise<Express> {
  const served = await loadModel();
  checkServedModel(served);
  const { model, labels, features } = served;

  const app = express();

  app.post(
    '/predict',
    (req: Request, res: Response, next: NextFunction) => {
      if (!isJson(req.headers['content-type'])) {
        res.status(415).json({ error: 'Content-Type must be application/json' });
        return;
      }
      next();
    },
    express.json({ limit: BODY_LIMIT }),
    (req: Request, res: Response) => {
      let input: { data: Float32Array; n: number };
      try {
        input = toInput(req.body ?? {}, served, maxBatchSize);
      } catch (err) {
        if (err instanceof FieldError) {
          res.status(400).json({ error: err.message, field: err.field });
          return;
        }
        throw err;
      }
      const { data, n } = input;
      const probs = tf.tidy(() => {
        const output = model.predict(tf.tensor2d(data, [n, features.length])) as tf.Tensor;
        return Array.from(output.dataSync());
      });
      const m = labels.length;
      const predictions = Array.from({ length: n }, (_, i) => {
        const row = probs.slice(i * m, (i + 1) * m);
        let best = 0;
        for (let c = 1; c < m; c++) if (row[c]! > row[best]!) best = c;
        return {
          label: labels[best],
          probabilities: Object.fromEntries(labels.map((label, c) => [label, row[c]])),
        };
      });
      res.json({ predictions });
    },
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });

  app.use((err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err?.type === 'entity.too.large') {
      res.status(413).json({ error: `the body is larger than ${BODY_LIMIT}` });
    } else if (err?.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'body: not valid JSON', field: 'body' });
    } else if (err?.status === 415) {
      res.status(415).json({ error: err.message ?? 'unsupported body' });
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message ?? 'bad request', field: 'body' });
    } else {
      res.status(500).json({ error: 'the model failed to answer' });
    }
  });

  return app;
}
