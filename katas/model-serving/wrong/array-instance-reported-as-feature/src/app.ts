// Serves a trained classifier over HTTP: POST /predict takes a batch of instances and answers one
// prediction per instance. This version wraps the model in a small class that validates by hand (no
// zod) and manages its tensors explicitly with try/finally instead of tf.tidy.
import express, { type ErrorRequestHandler, type Express } from 'express';
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

class BadRequest {
  constructor(readonly field: string, readonly error: string) {}
}

interface Prediction {
  label: string;
  probabilities: Record<string, number>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class ModelServer {
  constructor(private readonly served: ServedModel, private readonly maxBatchSize: number) {}

  /** The standardised input rows, or the first problem: the body, then `instances`, then each instance's features in model order. */
  rows(body: unknown): number[][] | BadRequest {
    if (!isPlainObject(body)) return new BadRequest('body', 'the body must be a JSON object');
    const { instances } = body;
    if (!Array.isArray(instances)) return new BadRequest('instances', 'instances must be an array');
    if (instances.length === 0) return new BadRequest('instances', 'instances must not be empty');
    if (instances.length > this.maxBatchSize) {
      return new BadRequest('instances', `instances may hold at most ${this.maxBatchSize} items, not ${instances.length}`);
    }
    const { features, mean, std } = this.served;
    const rows: number[][] = [];
    for (let i = 0; i < instances.length; i++) {
      const inst: unknown = instances[i];
      if (typeof inst !== 'object' || inst === null) return new BadRequest(`instances[${i}]`, `instances[${i}] must be an object of features`);
      const row: number[] = [];
      for (let j = 0; j < features.length; j++) {
        const name = features[j];
        const value = Object.hasOwn(inst, name) ? (inst as Record<string, unknown>)[name] : undefined;
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          const field = `instances[${i}].${name}`;
          return new BadRequest(field, value === undefined ? `${field} is missing` : `${field}: expected a number`);
        }
        row.push((value - mean[j]) / std[j]);
      }
      rows.push(row);
    }
    return rows;
  }

  /** One call to the model for the whole batch; every tensor made here is disposed before returning. */
  predict(rows: number[][]): Prediction[] {
    const { model, features, labels } = this.served;
    const input = tf.tensor2d(Float32Array.from(rows.flat()), [rows.length, features.length]);
    let output: tf.Tensor | undefined;
    let flat: Float32Array;
    try {
      output = model.predict(input) as tf.Tensor;
      flat = output.dataSync() as Float32Array;
    } finally {
      input.dispose();
      output?.dispose();
    }
    const k = labels.length;
    return rows.map((_, i) => {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < k; c++) {
        const p = flat[i * k + c];
        probabilities[labels[c]] = p;
        if (p > flat[i * k + best]) best = c;
      }
      return { label: labels[best], probabilities };
    });
  }
}

/** The media type without parameters, lower-cased: "Application/JSON; charset=utf-8" → "application/json". */
const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

export async function createApp({ loadModel, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: AppOptions): Promise<Express> {
  const server = new ModelServer(checkServed(await loadModel()), maxBatchSize);

  const app = express();
  app.post(
    '/predict',
    (req, res, next) => {
      if (mediaType(req.headers['content-type']) !== 'application/json') {
        res.status(415).json({ error: `expected Content-Type: application/json, got ${req.headers['content-type'] ?? 'none'}` });
        return;
      }
      next();
    },
    express.json(),
    (req, res) => {
      const rows = server.rows(req.body);
      if (rows instanceof BadRequest) {
        res.status(400).json({ error: rows.error, field: rows.field });
        return;
      }
      res.json({ predictions: server.predict(rows) });
    },
  );

  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    switch (err?.type) {
      case 'entity.parse.failed':
        return void res.status(400).json({ error: 'the body is not valid JSON', field: 'body' });
      case 'entity.too.large':
        return void res.status(413).json({ error: 'the body is too large' });
      default: {
        const status = Number.isInteger(err?.status) && err.status >= 400 && err.status < 500 ? err.status : 500;
        res.status(status).json({ error: status === 500 ? 'internal error' : String(err.message) });
      }
    }
  };
  app.use(onError);
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
