// Serves a trained classifier over HTTP: POST /predict takes a batch of instances and answers one
// prediction per instance. This version validates with zod schemas composed per level (body, batch,
// instance), picks each label with tf.argMax on the output tensor, reads the tensors asynchronously,
// and mounts the endpoint on an express.Router.
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

type Failure = { field: string; error: string };

function toField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? 'body' : out;
}

function firstFailure(error: z.ZodError, prefix: PropertyKey[] = []): Failure {
  const issue = error.issues[0];
  const field = toField([...prefix, ...issue.path]);
  return { field, error: `${field}: ${issue.message}` };
}

/** A loaded model that can answer: one mean and one std per feature, at least one label (else start-up fails). */
const servedModel = z
  .custom<ServedModel>((value) => typeof value === 'object' && value !== null)
  .refine((m) => m.mean.length === m.features.length && m.std.length === m.features.length, {
    error: 'the model needs one mean and one std per feature',
  })
  .refine((m) => m.labels.length > 0, { error: 'the model has no labels' });

function validator(served: ServedModel, maxBatchSize: number) {
  const body = z.object({ instances: z.unknown() }); // "is it an object at all?" first
  const batch = z
    .array(z.unknown(), { error: 'instances must be an array' })
    .min(1, 'instances must hold at least one instance')
    .max(maxBatchSize, `instances may hold at most ${maxBatchSize} instances`);
  const instance = z.looseObject(
    Object.fromEntries(served.features.map((f) => [f, z.number({ error: (iss) => (iss.input === undefined ? 'missing' : 'expected a number') })])),
  );
  return (input: unknown): { ok: true; instances: Record<string, number>[] } | { ok: false; failure: Failure } => {
    const b = body.safeParse(input);
    if (!b.success) return { ok: false, failure: firstFailure(b.error) };
    const list = batch.safeParse(b.data.instances);
    if (!list.success) return { ok: false, failure: firstFailure(list.error, ['instances']) };
    const instances: Record<string, number>[] = [];
    for (const [i, raw] of list.data.entries()) {
      const one = instance.safeParse(raw);
      if (!one.success) return { ok: false, failure: firstFailure(one.error, ['instances', i]) };
      instances.push(one.data as Record<string, number>);
    }
    return { ok: true, instances };
  };
}

export async function createApp({ loadModel, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: AppOptions): Promise<Express> {
  const served = servedModel.parse(await loadModel());
  const validate = validator(served, maxBatchSize);
  const { model, features, labels } = served;
  const mean = Float64Array.from(served.mean);
  const std = Float64Array.from(served.std);

  async function predict(instances: Record<string, number>[]) {
    const rows = instances.map((inst) => features.map((f, j) => (inst[f] - mean[j]) / std[j]));
    const [probs, best] = tf.tidy(() => {
      const out = model.predict(tf.tensor2d(rows, [rows.length, features.length])) as tf.Tensor2D;
      return [tf.keep(out), tf.keep(tf.argMax(out, 1))] as const;
    });
    try {
      const [p, b] = await Promise.all([probs.array(), best.array() as Promise<number[]>]);
      return p.map((row, i) => ({ label: labels[b[i]], probabilities: Object.fromEntries(labels.map((l, k) => [l, row[k]])) }));
    } finally {
      tf.dispose([probs, best]);
    }
  }

  const requireJson = (req: Request, res: Response, next: NextFunction) => {
    if (req.is('application/json') === 'application/json') return next();
    res.status(415).json({ error: 'POST /predict takes Content-Type: application/json' });
  };

  const router = express.Router();
  router.post('/predict', requireJson, express.json(), async (req: Request, res: Response) => {
    const checked = validate(req.body);
    if (!checked.ok) return void res.status(400).json(checked.failure);
    res.json({ predictions: await predict(checked.instances) });
  });
  router.use((err: { type?: string; status?: number; expose?: boolean; message?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.type === 'entity.parse.failed') return void res.status(400).json({ error: 'body: not valid JSON', field: 'body' });
    if (err.type === 'entity.too.large') return void res.status(413).json({ error: 'body: larger than the limit' });
    if (err.expose && typeof err.status === 'number') return void res.status(err.status).json({ error: err.message });
    res.status(500).json({ error: 'internal error' });
  });

  const app = express();
  app.use(router);
  return app;
}
