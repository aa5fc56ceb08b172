// Serves a trained classifier over HTTP: POST /predict takes a batch of instances and answers one
// prediction per instance.
import express, { type Express } from 'express';
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

export async function createApp({ loadModel, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: AppOptions): Promise<Express> {
  // TODO 1: load the model here, once, and await it: a model that fails to load must make createApp
  //         reject, and no request should ever call loadModel.
  void loadModel;
  void maxBatchSize;

  const app = express();
  app.post('/predict', express.json(), (req, res) => {
    // TODO 2: 415 unless the body is JSON (req.is('application/json')).
    // TODO 3: validate req.body: { instances: [ { <every feature>: number, ... }, ... ] } with 1 to
    //         maxBatchSize instances. On the first problem: 400 { error, field } where field is
    //         'body', 'instances', 'instances[3]' or 'instances[3].bodyMass'. zod's issue.path helps.
    // TODO 4: standardise each instance with the model's mean and std, in `features` order, predict the
    //         whole batch at once inside tf.tidy, and answer
    //         { predictions: [ { label, probabilities: { <label>: p, ... } }, ... ] }.
    res.status(501).json({ error: 'TODO: POST /predict', body: req.body });
  });

  // TODO 5: an error handler, so that malformed JSON is a 400 { error, field: 'body' } in JSON, not
  //         Express's HTML page.
  return app;
}
