import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4, int32: 4, uint16: 2, uint8: 1, bool: 1, float16: 2, complex64: 8,
};

function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
    total += size * BYTES_PER_ELEMENT[dtype];
  }
  return total;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystemHandler saves JSON topologies only');
      }
      const weights = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature != null) modelJson.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer != null) modelJson.modelInitializer = artifacts.modelInitializer;
      if (artifacts.initializerSignature != null) modelJson.initializerSignature = artifacts.initializerSignature;

      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      await writeFile(join(dir, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const modelPath = join(dir, MODEL_FILE);
      let text: string;
      try {
        text = await readFile(modelPath, 'utf8');
      } catch (e) {
        throw new Error(`cannot read ${MODEL_FILE} at ${modelPath}: ${(e as Error).message}`);
      }
      const modelJson = JSON.parse(text) as tf.io.ModelJSON;
      const manifest = modelJson.weightsManifest;
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        for (const path of group.paths) buffers.push(toArrayBuffer(await readFile(join(dir, path))));
      }
      const weightData = tf.io.CompositeArrayBuffer.join(buffers);
      const specs = tf.io.getWeightSpecs(manifest);
      const expected = expectedBytes(specs);
      if (weightData.byteLength !== expected) {
        throw new Error(`weight files in ${dir} hold ${weightData.byteLength} bytes but the manifest describes ${expected}`);
      }
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        userDefinedMetadata: modelJson.userDefinedMetadata,
        weightSpecs: specs,
        weightData,
      };
    },
  };
}
