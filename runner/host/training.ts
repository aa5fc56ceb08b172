// Epochs of training, seen from inside the solution host: once the learner's code has loaded tfjs, a
// callback is registered with tfjs's own registry (registerCallbackConstructor at verbosity 0, which
// every fit() and fitDataset() instantiates, whatever callbacks and `verbose` the learner passes). It
// only reads each epoch's loss and tells the judge, for the live line: it changes nothing in training
// and nothing of it is graded.
import { createRequire } from 'node:module';
import { join } from 'node:path';

type Logs = Record<string, unknown> | undefined;
interface TfLayers {
  Callback: new () => { params: Record<string, unknown>; onEpochEnd(epoch: number, logs?: Logs): Promise<void> };
  registerCallbackConstructor(verbosityLevel: number, constructor: new () => unknown): void;
}

/** A number from an epoch's logs: tfjs hands over numbers or scalar tensors. */
function scalar(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const data = (value as { dataSync?: () => ArrayLike<number> } | undefined)?.dataSync?.();
  return data && typeof data[0] === 'number' ? data[0] : undefined;
}

/** Watches for the learner's tfjs and reports its epochs; `arm()` is cheap once done or impossible. */
export function trainingReporter(resolveFrom: string, report: (event: { epoch: number; epochs?: number; loss?: number }) => void) {
  const require = createRequire(join(resolveFrom, 'package.json'));
  let entry: string | undefined | null;
  let armed = false;
  return {
    /** Registers the callback if tfjs has been loaded since the last time (called around each call). */
    arm(): void {
      if (armed || entry === null) return;
      if (entry === undefined) {
        try {
          entry = require.resolve('@tensorflow/tfjs');
        } catch {
          entry = null;
          return;
        }
      }
      if (!require.cache[entry]) return;
      armed = true;
      try {
        const tf = require(entry) as TfLayers;
        class KataEpochs extends tf.Callback {
          override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
            const initial = Number(this.params?.initialEpoch ?? 0);
            const epochs = Number(this.params?.epochs);
            report({ epoch: epoch + 1 - initial, epochs: Number.isFinite(epochs) ? epochs - initial : undefined, loss: scalar(logs?.loss) });
          }
        }
        tf.registerCallbackConstructor(0, KataEpochs);
      } catch {
        /* another tfjs than expected: no live epochs */
      }
    },
  };
}
