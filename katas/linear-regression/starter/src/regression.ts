// Predict a car's fuel economy (miles per gallon) from its specs with a model you train with
// @tensorflow/tfjs. README.md has the full contract; the TODOs below walk you through it.
import * as tf from '@tensorflow/tfjs';

/** One row of cars-train.json / cars-holdout.json, exactly as vega-datasets ships it. */
export interface CarRow {
  Name: string;
  /** The label. null for a few cars: there is nothing to learn from those. */
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  /** null for a few cars: fill it with the median Horsepower of the labelled training rows. */
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  /** The model year as a date string, e.g. "1970-01-01". */
  Year: string;
  /** "USA", "Europe" or "Japan". */
  Origin: string;
}

export interface Model {
  /** The training loss after each epoch, first to last (e.g. history.history.loss from model.fit). */
  lossHistory: number[];
  // TODO: add whatever predict() needs: the trained network (and its optimiser), and the statistics
  // you computed from the training rows (the horsepower median, feature means and standard deviations).
}

export async function train(rows: CarRow[]): Promise<Model> {
  // TODO 1: keep only the rows that have a Miles_per_Gallon value.
  // TODO 2: turn each row into numbers. Which columns carry signal? (Year is a string; Origin is a category.)
  // TODO 3: standardise each feature with the mean and standard deviation of the training rows —
  //         gradient descent on raw Weight_in_lbs (thousands) next to Cylinders (single digits) goes nowhere.
  // TODO 4: fit a linear model (a tf.layers.dense with one unit, or tf.variable weights and an optimiser)
  //         on mean squared error, and keep the loss of every epoch.
  // TODO 5: dispose the tensors you created for training once fit() is done.
  void tf;
  void rows;
  throw new Error('TODO: implement train() in src/regression.ts');
}

export function predict(model: Model, rows: CarRow[]): number[] {
  // TODO: build the features exactly as in train(), with the statistics stored in the model (never
  // statistics of `rows`), run the network inside tf.tidy and return Array.from(...dataSync()).
  void model;
  void rows;
  throw new Error('TODO: implement predict() in src/regression.ts');
}

export function dispose(model: Model): void {
  // TODO: free everything train() kept: the network's weights and the optimiser's state.
  void model;
  throw new Error('TODO: implement dispose() in src/regression.ts');
}
