// Serves a trained classifier over HTTP: POST /predict takes a batch of instances and answers one
// prediction per instance. The model is loaded once, before the app exists, so a broken model stops the
// start-up instead of failing the first request, and no request ever waits for a load.
import express, { type ErrorRequestHandler, type Express } from 'express';
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
  /** Loads the model; called exactly once, by createApp. */
  loadModel: () => Promise<ServedModel>;
  /** The largest batch POST /predict accepts (default 100). */
  maxBatchSize?: number;
}

export interface Prediction {
  label: string;
  probabilities: Record<string, number>;
}

export const DEFAULT_MAX_BATCH_SIZE = 100;

/** The JSON name of the value a zod issue is about: [] → body, ['instances', 2, 'wind'] → instances[2].wind. */
function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path.reduce<string>(
    (name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)),
    '',
  );
}

function predictBatch(served: ServedModel, instances: Record<string, number>[]): Prediction[] {
  const { model, features, labels, mean, std } = served;
  const rows = instances.map((instance) => features.map((feature, j) => (instance[feature] - mean[j]) / std[j]));
  // tidy frees the input, the output and every intermediate tensor; arraySync copies the numbers out first.
  const probabilities = tf.tidy(
    () => (model.predict(tf.tensor2d(rows, [rows.length, features.length])) as tf.Tensor2D).arraySync(),
  );
  return probabilities.map((row) => {
    const best = row.reduce((top, p, k) => (p > row[top] ? k : top), 0);
    return { label: labels[best], probabilities: Object.fromEntries(labels.map((label, k) => [label, row[k]])) };
  });
}

export async function createApp({ loadModel, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: AppOptions): Promise<Express> {
  const served = await loadModel();

  const instance = z.object(Object.fromEntries(served.features.map((feature) => [feature, z.number()])));
  const request = z.object({
    instances: z
      .array(instance)
      .min(1, 'must hold at least one instance')
      .max(maxBatchSize, `must hold at most ${maxBatchSize} instances`),
  });

  const app = express();
  app.post('/predict', express.json({ limit: '1mb' }), (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'send the instances as JSON, with Content-Type: application/json' });
      return;
    }
    const parsed = request.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = fieldOf(issue.path);
      res.status(400).json({ error: `${field}: ${issue.message}`, field });
      return;
    }
    res.json({ predictions: predictBatch(served, parsed.data.instances) });
  });

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    if (error?.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'body: not valid JSON', field: 'body' });
    } else if (error?.type === 'entity.too.large') {
      res.status(413).json({ error: 'body: too large' });
    } else {
      console.error(error);
      res.status(500).json({ error: 'internal error' });
    }
  };
  app.use(onError);
  return app;
}
