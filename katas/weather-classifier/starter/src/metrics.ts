// Classification metrics that stay honest on imbalanced classes. Labels are plain strings, so these work
// for any classifier, not only the weather model.

export interface ConfusionMatrix {
  /** Every class found in `actual` or `predicted`, in Array.prototype.sort order (UTF-16 code units: 'Z' before 'a'). */
  labels: string[];
  /** matrix[i][j] = how many rows whose true class is labels[i] were predicted as labels[j]. */
  matrix: number[][];
}

export function confusionMatrix(actual: readonly string[], predicted: readonly string[]): ConfusionMatrix {
  // TODO 1: throw a RangeError when the two arrays have different lengths.
  // TODO 2: labels = the distinct values of both arrays, sorted (without sorting the arrays themselves).
  // TODO 3: a labels.length × labels.length matrix of zeros; add 1 at [actual class][predicted class]
  //         for every position.
  void actual;
  void predicted;
  return { labels: [], matrix: [] };
}

/**
 * The unweighted mean of each class's F1 = 2·TP / (2·TP + FP + FN), over every class in `actual` or
 * `predicted`; a class with no true positive scores 0.
 */
export function macroF1(actual: readonly string[], predicted: readonly string[]): number {
  // TODO 4: RangeError on different lengths or on empty input.
  // TODO 5: per class: TP is on the diagonal of the confusion matrix, TP + FN is its row sum,
  //         TP + FP its column sum. Average the per-class F1 scores.
  // This is accuracy, not macro-F1: on imbalanced classes it rewards ignoring the rare ones.
  return actual.filter((label, i) => label === predicted[i]).length / actual.length;
}
