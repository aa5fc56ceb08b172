// Classification metrics computed from per-class counters, without materialising the matrix for F1.

export interface ConfusionMatrix {
  /** Every class found in `actual` or `predicted`, sorted alphabetically. */
  labels: string[];
  /** matrix[i][j] = how many rows whose true class is labels[i] were predicted as labels[j]. */
  matrix: number[][];
}

function checkLengths(actual: readonly string[], predicted: readonly string[]): number {
  if (actual.length !== predicted.length) {
    throw new RangeError(`length mismatch: ${actual.length} actual vs ${predicted.length} predicted labels`);
  }
  return actual.length;
}

function sortedLabels(actual: readonly string[], predicted: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const label of actual) seen.add(label);
  for (const label of predicted) seen.add(label);
  return [...seen].sort(); // Array.prototype.sort: UTF-16 code-unit order
}

export function confusionMatrix(actual: readonly string[], predicted: readonly string[]): ConfusionMatrix {
  const n = checkLengths(actual, predicted);
  const labels = sortedLabels(actual, predicted);
  const matrix: number[][] = Array.from({ length: labels.length }, () => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < n; i++) {
    matrix[labels.indexOf(actual[i])][labels.indexOf(predicted[i])]++;
  }
  return { labels, matrix };
}

export function macroF1(actual: readonly string[], predicted: readonly string[]): number {
  const n = checkLengths(actual, predicted);
  if (n === 0) throw new RangeError('macroF1 needs at least one label');
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < n; i++) {
    if (actual[i] === predicted[i]) bump(tp, actual[i]);
    else {
      bump(fn, actual[i]);
      bump(fp, predicted[i]);
    }
  }
  const labels = sortedLabels(actual, predicted);
  const f1 = labels.map((label) => {
    const t = tp.get(label) ?? 0;
    const precision = t / (t + (fp.get(label) ?? 0));
    const recall = t / (t + (fn.get(label) ?? 0));
    return (2 * precision * recall) / (precision + recall);
  });
  return f1.reduce((a, b) => a + b, 0) / f1.length;
}
