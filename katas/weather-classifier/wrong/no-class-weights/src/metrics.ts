// Classification metrics that stay honest on imbalanced classes. Labels are plain strings, so these work
// for any classifier, not only the weather model.

export interface ConfusionMatrix {
  /** Every class found in `actual` or `predicted`, sorted alphabetically. */
  labels: string[];
  /** matrix[i][j] = how many rows whose true class is labels[i] were predicted as labels[j]. */
  matrix: number[][];
}

function assertSameLength(actual: readonly string[], predicted: readonly string[]): void {
  if (actual.length !== predicted.length) {
    throw new RangeError(`actual has ${actual.length} labels but predicted has ${predicted.length}`);
  }
}

export function confusionMatrix(actual: readonly string[], predicted: readonly string[]): ConfusionMatrix {
  assertSameLength(actual, predicted);
  const labels = Array.from(new Set([...actual, ...predicted])).sort();
  const index = new Map(labels.map((label, i) => [label, i] as const));
  const matrix = labels.map(() => labels.map(() => 0));
  for (let k = 0; k < actual.length; k++) {
    matrix[index.get(actual[k])!][index.get(predicted[k])!] += 1;
  }
  return { labels, matrix };
}

/**
 * The unweighted mean of each class's F1 = 2·TP / (2·TP + FP + FN), over every class in `actual` or
 * `predicted`; a class with no true positive scores 0.
 */
export function macroF1(actual: readonly string[], predicted: readonly string[]): number {
  assertSameLength(actual, predicted);
  if (actual.length === 0) throw new RangeError('macroF1 of no labels is undefined');
  const { labels, matrix } = confusionMatrix(actual, predicted);
  let total = 0;
  labels.forEach((_, k) => {
    const tp = matrix[k][k];
    const actualK = matrix[k].reduce((s, v) => s + v, 0); // TP + FN
    const predictedK = matrix.reduce((s, row) => s + row[k], 0); // TP + FP
    total += tp === 0 ? 0 : (2 * tp) / (actualK + predictedK);
  });
  return total / labels.length;
}
