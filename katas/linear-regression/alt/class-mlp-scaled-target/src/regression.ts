import * as tf from '@tensorflow/tfjs';

export interface CarRow {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string;
  Origin: string;
}

interface Scaling {
  horsepowerMedian: number;
  mean: number[];
  std: number[];
  targetMean: number;
  targetStd: number;
}

const COUNTRIES = ['USA', 'Europe', 'Japan'] as const;

function medianOfKnown(values: Array<number | null>): number {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const n = known.length;
  if (n === 0) return 0;
  return n % 2 ? known[(n - 1) / 2] : (known[n / 2 - 1] + known[n / 2]) / 2;
}

function features(row: CarRow, horsepowerMedian: number): number[] {
  return [
    row.Cylinders,
    row.Displacement,
    row.Horsepower !== null ? row.Horsepower : horsepowerMedian,
    row.Weight_in_lbs,
    row.Acceleration,
    parseInt(row.Year.substring(0, 4), 10),
    ...COUNTRIES.map((c) => Number(row.Origin === c)),
  ];
}

function meanAndStd(columns: number[][]): { mean: number[]; std: number[] } {
  const n = columns.length;
  const k = columns[0].length;
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (const r of columns) s += r[j];
    const m = s / n;
    let v = 0;
    for (const r of columns) v += (r[j] - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(v / n) || 1);
  }
  return { mean, std };
}

export class Model {
  lossHistory: number[] = [];
  private readonly net: tf.LayersModel;
  private readonly optimizer: tf.Optimizer;

  private constructor(private readonly scaling: Scaling) {
    const k = scaling.mean.length;
    this.optimizer = tf.train.adam(0.01);
    this.net = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [k],
          units: 16,
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: 7 }),
        }),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }),
      ],
    });
    this.net.compile({ optimizer: this.optimizer, loss: 'meanSquaredError' });
  }

  private matrix(rows: CarRow[]): number[][] {
    const { horsepowerMedian, mean, std } = this.scaling;
    return rows.map((r) => features(r, horsepowerMedian).map((v, j) => (v - mean[j]) / std[j]));
  }

  static async fit(rows: CarRow[]): Promise<Model> {
    const labelled = rows.filter((r) => r.Miles_per_Gallon !== null);
    const horsepowerMedian = medianOfKnown(labelled.map((r) => r.Horsepower));
    const raw = labelled.map((r) => features(r, horsepowerMedian));
    const { mean, std } = meanAndStd(raw);
    const target = labelled.map((r) => r.Miles_per_Gallon as number);
    const t = meanAndStd(target.map((v) => [v]));
    const model = new Model({ horsepowerMedian, mean, std, targetMean: t.mean[0], targetStd: t.std[0] });

    const xs = model.matrix(labelled);
    const ys = target.map((v) => [(v - t.mean[0]) / t.std[0]]);
    const x = tf.tensor2d(xs, [xs.length, mean.length]);
    const y = tf.tensor2d(ys, [ys.length, 1]);
    try {
      const h = await model.net.fit(x, y, { epochs: 300, batchSize: xs.length, shuffle: false, verbose: 0 });
      model.lossHistory = h.history.loss.map((v) => Number(v));
    } catch (e) {
      model.release();
      throw e;
    } finally {
      tf.dispose([x, y]);
    }
    return model;
  }

  predictMpg(rows: CarRow[]): number[] {
    if (rows.length === 0) return [];
    const xs = this.matrix(rows);
    const { targetMean, targetStd } = this.scaling;
    const scaled = tf.tidy(() => {
      const out = this.net.predict(tf.tensor2d(xs, [xs.length, this.scaling.mean.length])) as tf.Tensor;
      return out.dataSync().slice();
    });
    return Array.from(scaled, (v) => v * targetStd + targetMean);
  }

  release(): void {
    this.net.dispose();
    this.optimizer.dispose();
  }
}

export async function train(rows: CarRow[]): Promise<Model> {
  return Model.fit(rows);
}

export function predict(model: Model, rows: CarRow[]): number[] {
  return model.predictMpg(rows);
}

export function dispose(model: Model): void {
  model.release();
}
