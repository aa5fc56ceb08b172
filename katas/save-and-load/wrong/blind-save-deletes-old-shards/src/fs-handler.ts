// A tfjs IOHandler that saves a model to a folder and loads it back. Each file is written to a
// temporary name in the same folder and renamed into place (weights first, model.json last), so a
// crash never leaves a model.json that points at missing or half-written weights.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** The JSON fields of tf.io.ModelArtifacts (everything except the weights themselves). */
const JSON_FIELDS = [
  'modelTopology',
  'format',
  'generatedBy',
  'convertedBy',
  'trainingConfig',
  'signature',
  'userDefinedMetadata',
  'modelInitializer',
  'initializerSignature',
] as const;

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

function bytesPerElement(spec: tf.io.WeightsManifestEntry): number | undefined {
  switch (spec.quantization?.dtype) {
    case 'uint8':
      return 1;
    case 'uint16':
    case 'float16':
      return 2;
  }
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default:
      return undefined; // strings carry their own lengths
  }
}

/** The number of bytes the specs describe, or undefined when it cannot be known up front. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const per = bytesPerElement(spec);
    if (per === undefined) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  const modelPath = join(dir, MODEL_FILE);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(`cannot save a binary (ArrayBuffer) model topology to ${modelPath}: only a JSON topology fits in model.json`);
      }
      const json: Record<string, unknown> = {};
      for (const field of JSON_FIELDS) {
        if (artifacts[field] !== undefined) json[field] = artifacts[field];
      }
      json.weightsManifest = [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }];

      const weights =
        artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);

      await mkdir(dir, { recursive: true });
      // Tidy up: the weight files of a model saved here before are not used by the new manifest.
      try {
        const old = JSON.parse(await readFile(modelPath, 'utf8')) as tf.io.ModelJSON;
        for (const group of old.weightsManifest ?? []) {
          for (const path of group.paths) if (path !== WEIGHTS_FILE) await rm(join(dir, path), { force: true });
        }
      } catch {
        // no model here before
      }
      await writeAtomically(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      await writeAtomically(modelPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await readFile(modelPath, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${modelPath}: ${(err as Error).message}`);
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text);
      } catch (err) {
        throw new Error(`${modelPath} is not valid JSON: ${(err as Error).message}`);
      }
      if (
        modelJson === null ||
        typeof modelJson !== 'object' ||
        (modelJson.modelTopology == null && modelJson.weightsManifest == null)
      ) {
        throw new Error(`${modelPath} holds neither a modelTopology nor a weightsManifest`);
      }

      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = tf.io.getWeightSpecs(manifest);
        const files: Buffer[] = [];
        for (const group of manifest) {
          for (const path of group.paths) files.push(await readFile(join(dir, path)));
        }
        const all = Buffer.concat(files);
        const expected = expectedBytes(specs);
        if (expected !== undefined && all.byteLength !== expected) {
          throw new Error(
            `the weight files of ${modelPath} hold ${all.byteLength} bytes, but its manifest describes ${expected} bytes`,
          );
        }
        const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
        return [specs, data];
      });
    },
  };
}
