// Classification metrics as a small class over the label pairs: the confusion matrix is the one source
// of truth, macro-F1 reads it.

export interface ConfusionMatrix {
  /** Every class found in `actual` or `predicted`, sorted alphabetically. */
  labels: string[];
  /** matrix[i][j] = how many rows whose true class is labels[i] were predicted as labels[j]. */
  matrix: number[][];
}

class Confusion {
  readonly labels: string[];
  readonly matrix: number[][];

  constructor(actual: readonly string[], predicted: readonly string[]) {
    if (actual.length !== predicted.length) {
      throw new RangeError(`cannot compare ${actual.length} actual labels with ${predicted.length} predictions`);
    }
    this.labels = [...new Set(actual.concat(predicted))].sort();
    const position: Record<string, number> = Object.create(null);
    this.labels.forEach((label, i) => (position[label] = i));
    this.matrix = this.labels.map(() => Array<number>(this.labels.length).fill(0));
    actual.forEach((label, i) => {
      this.matrix[position[label]][position[predicted[i]]] += 1;
    });
  }

  rowSum(k: number): number {
    return this.matrix[k].reduce((a, b) => a + b, 0);
  }

  columnSum(k: number): number {
    return this.matrix.reduce((a, row) => a + row[k], 0);
  }

  f1(k: number): number {
    const tp = this.matrix[k][k];
    if (tp === 0) return 0;
    const fn = this.rowSum(k) - tp;
    const fp = this.columnSum(k) - tp;
    return (2 * tp) / (2 * tp + fp + fn);
  }
}

export function confusionMatrix(actual: readonly string[], predicted: readonly string[]): ConfusionMatrix {
  const c = new Confusion(actual, predicted);
  return { labels: c.labels, matrix: c.matrix };
}

export function macroF1(actual: readonly string[], predicted: readonly string[]): number {
  const c = new Confusion(actual, predicted);
  if (c.labels.length === 0) throw new RangeError('macroF1 is undefined for empty input');
  let sum = 0;
  for (let k = 0; k < c.labels.length; k++) sum += c.f1(k);
  return sum / c.labels.length;
}
