// Classification metrics that stay honest on imbalanced classes. Labels are plain strings, so these work
// for any classifier, not only the weather model.

export interface ConfusionMatrix {
  /** Every class found in `actual` or `predicted`, in Array.prototype.sort order (UTF-16 code units: 'Z' before 'a'). */
  labels: string[];
  /** matrix[i][j] = how many rows whose true class is labels[i] were predicted as labels[j]. */
  matrix: number[][];
}

function checkSameLength(actual: readonly string[], predicted: readonly string[]): void {
  if (actual.length !== predicted.length) {
    throw new RangeError(`actual has ${actual.length} labels but predicted has ${predicted.length}`);
  }
}

export function confusionMatrix(actual: readonly string[], predicted: readonly string[]): ConfusionMatrix {
  checkSameLength(actual, predicted);
  const labels = [...new Set([...actual, ...predicted])].sort();
  const index = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  actual.forEach((label, row) => {
    matrix[index.get(label)!][index.get(predicted[row])!] += 1;
  });
  return { labels, matrix };
}

/**
 * The unweighted mean of each class's F1 = 2·TP / (2·TP + FP + FN), over every class in `actual` or
 * `predicted`. A class with no true positive scores 0, so a model that never predicts a rare class pays
 * for it as much as for missing a common one.
 */
export function macroF1(actual: readonly string[], predicted: readonly string[]): number {
  checkSameLength(actual, predicted);
  if (actual.length === 0) throw new RangeError('macroF1 needs at least one label');
  const { labels, matrix } = confusionMatrix(actual, predicted);
  const f1s = labels.map((_, k) => {
    const truePositives = matrix[k][k];
    const actualCount = matrix[k].reduce((sum, n) => sum + n, 0); // TP + FN
    const predictedCount = matrix.reduce((sum, row) => sum + row[k], 0); // TP + FP
    return truePositives === 0 ? 0 : (2 * truePositives) / (actualCount + predictedCount);
  });
  return f1s.reduce((sum, f1) => sum + f1, 0) / f1s.length;
}
