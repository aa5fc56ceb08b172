// Example tests: run them with `kata test feature-pipeline`. The hidden suite checks much more.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { featureNames, fit, transform, type Row } from '../src/pipeline';

const trainRows = JSON.parse(readFileSync(fixturePath('cars-train.json'), 'utf8')) as Row[];

test('fit computes Horsepower statistics from the known training values', () => {
  const known = trainRows.map((r) => r.Horsepower).filter((v): v is number => typeof v === 'number');
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  const pipeline = fit(trainRows, { numeric: ['Horsepower'], categorical: [] });
  expect(pipeline.numeric[0].column).toBe('Horsepower');
  expect(pipeline.numeric[0].mean).toBeCloseTo(mean, 6);
  expect(pipeline.numeric[0].median).toBe(95);
});

test('featureNames: numeric columns first, then one column per category', () => {
  const pipeline = fit(trainRows, { numeric: ['Weight_in_lbs', 'Horsepower'], categorical: ['Origin'] });
  expect(featureNames(pipeline)).toEqual(['Weight_in_lbs', 'Horsepower', 'Origin=Europe', 'Origin=Japan', 'Origin=USA']);
});

test('a missing Horsepower becomes the training median, then is standardised', () => {
  const pipeline = fit(trainRows, { numeric: ['Horsepower'], categorical: [] });
  const { mean, std, median } = pipeline.numeric[0];
  const car = trainRows.find((r) => r.Horsepower === null)!;
  expect(transform(pipeline, [car])[0][0]).toBeCloseTo((median - mean) / std, 6);
});
