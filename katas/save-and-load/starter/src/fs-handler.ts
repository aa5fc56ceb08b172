// A tfjs IOHandler that saves a model to a folder and loads it back. Pure @tensorflow/tfjs has no
// `file://` handler in Node (that one lives in tfjs-node), so you write it: tf.io.IOHandler is just an
// object with async save(artifacts) and load() methods.
import * as tf from '@tensorflow/tfjs';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      // TODO 1: artifacts.weightData is an ArrayBuffer or an array of them
      //         (tf.io.CompositeArrayBuffer.join turns either into one ArrayBuffer).
      // TODO 2: write it to <dir>/weights.bin (create dir if it is missing).
      // TODO 3: write <dir>/model.json: the topology and the other artifacts' JSON fields
      //         (format, generatedBy, convertedBy, trainingConfig, userDefinedMetadata, …) plus
      //         weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }].
      // TODO 4: resolve with { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }.
      void artifacts;
      throw new Error(`TODO: save a model into ${dir}`);
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      // TODO 5: read and parse <dir>/model.json (an error that names the file if it is missing).
      // TODO 6: read every path of every group of weightsManifest, in order, relative to dir, and join
      //         them into one ArrayBuffer. A Node Buffer is a view: copy its bytes out, don't take
      //         buffer.buffer whole.
      // TODO 7: reject if those bytes are not exactly what the weight specs describe.
      // TODO 8: return { modelTopology, weightSpecs (every group's weights, in order), weightData, and
      //         the other fields of model.json } — tf.io.getModelArtifactsForJSON can help.
      throw new Error(`TODO: load a model from ${dir}`);
    },
  };
}
