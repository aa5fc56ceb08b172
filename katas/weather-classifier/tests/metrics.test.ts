// Example tests: run them with `kata test weather-classifier`. The grader's hidden suite checks more
// (edge cases of the metrics, your model's macro-F1 on days it never saw, tensor leaks); see README.md.
import { expect, test } from 'vitest';
import { confusionMatrix, macroF1 } from '../src/metrics';

test('confusionMatrix: rows are the actual class, columns the predicted one, labels sorted', () => {
  expect(confusionMatrix(['rain', 'sun', 'rain'], ['rain', 'rain', 'sun'])).toEqual({
    labels: ['rain', 'sun'],
    matrix: [
      [1, 1], // actual rain: 1 predicted rain, 1 predicted sun
      [1, 0], // actual sun: predicted rain
    ],
  });
});

test('macroF1 averages the per-class F1 scores without weighting by class size', () => {
  // rain: TP 3, FP 1, FN 0 → F1 6/7; snow: TP 0 → F1 0. Accuracy would be 0.75; macro-F1 is 3/7.
  expect(macroF1(['rain', 'rain', 'rain', 'snow'], ['rain', 'rain', 'rain', 'rain'])).toBeCloseTo(3 / 7, 10);
});
