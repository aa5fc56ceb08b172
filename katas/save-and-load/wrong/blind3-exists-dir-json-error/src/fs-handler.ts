// A tfjs IOHandler that saves a model to a folder and loads it back, in the layout tfjs-node's `file://`
// handler and `tensorflowjs_converter` use: model.json (the topology plus a weights manifest) beside the
// binary weight files the manifest lists.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** Writes through a temporary file and a rename, so a crash never leaves half a file under the real name. */
async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

/** A Node Buffer's bytes as an ArrayBuffer of their own (a Buffer may be a view into a larger pool). */
function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

async function readJson(file: string, dir: string): Promise<tf.io.ModelJSON> {
  if (!existsSync(dir)) throw new Error(`${file} is missing`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as tf.io.ModelJSON;
  } catch (cause) {
    throw new Error(`${file} is not valid JSON`, { cause });
  }
}

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystemHandler saves JSON topologies (layers models) only');
      }
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        signature: artifacts.signature,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        modelInitializer: artifacts.modelInitializer,
        initializerSignature: artifacts.initializerSignature,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await mkdir(dir, { recursive: true });
      // Weights first: model.json never points at weights that are not there yet.
      await writeAtomically(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      await writeAtomically(join(dir, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = await readJson(join(dir, MODEL_FILE), dir);
      if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
        throw new Error(`${join(dir, MODEL_FILE)} needs a modelTopology and a weightsManifest`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = tf.io.getWeightSpecs(manifest);
        // Every shard of every group, in manifest order: the weights are sliced from their concatenation.
        const shards = await Promise.all(
          manifest.flatMap((group) => group.paths).map(async (path) => toArrayBuffer(await readFile(join(dir, path)))),
        );
        const weightData = tf.io.CompositeArrayBuffer.join(shards);
        const expected = specs.reduce((sum, spec) => sum + bytesOf(spec), 0);
        if (weightData.byteLength !== expected) {
          throw new Error(`the weight files in ${dir} hold ${weightData.byteLength} bytes, but the manifest describes ${expected}`);
        }
        return [specs, weightData];
      });
    },
  };
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The bytes a weight occupies in the weight files, quantised or not. */
function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  const elements = spec.shape.reduce((product, size) => product * size, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_ELEMENT[dtype];
  if (bytes === undefined) throw new Error(`weight ${spec.name} has an unsupported dtype ${dtype}`);
  return elements * bytes;
}
