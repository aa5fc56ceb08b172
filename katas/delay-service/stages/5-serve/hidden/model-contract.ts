// How the judge drives the learner's stage 4 model (src/model.ts, as stages/4-model/CONTRACT.md fixes
// it on 2026-12-02): train it on the judge's features table, save it into a folder, and ask the learner's own model
// what it says about a list of feature rows. Stages 5 and 6 compare the service with these answers, so a
// weak model passes them as well as a strong one: they grade the serving, not the model.
import type { Remote } from '@kata/harness';
import type { Features } from './judge.js';

export interface Scored {
  probability: number;
  late: boolean;
}

/** Trains the learner's model on the features of from..to and saves it into `dir`. */
export async function trainAndSave(model: Remote, db: Remote, range: { from: string; to: string }, dir: string): Promise<void> {
  const trained = await model.train(db, range);
  await model.save(trained, dir);
}

/** The learner's model, loaded once from `dir`: what it says about feature rows (probability of arriving late, and the call). */
export async function referenceModel(model: Remote, dir: string): Promise<(rows: Features[]) => Promise<Scored[]>> {
  const loaded = await model.load(dir);
  // A model holding a tfjs network stays in the host (a remote object); a plain one comes back as data.
  const threshold = (typeof loaded?.threshold === 'number' ? loaded.threshold : await loaded.threshold.$get()) as number;
  return async (rows) => {
    if (rows.length === 0) return [];
    const probabilities = (await model.predict(loaded, rows)) as number[];
    return probabilities.map((probability) => ({ probability, late: probability >= threshold }));
  };
}
