import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs/promises';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

const WEIGHT_FIELDS = new Set(['weightSpecs', 'weightData']);
const ELEMENT_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  uint16: 2,
  float16: 2,
  uint8: 1,
  bool: 1,
  complex64: 8,
};

const inDir = (dir: string, name: string): string => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

function concat(chunks: ArrayBuffer[]): ArrayBuffer {
  const total = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(new Uint8Array(chunk), offset);
    offset += chunk.byteLength;
  }
  return out.buffer;
}

function bytesFor(spec: tf.io.WeightsManifestEntry): number {
  let count = 1;
  for (const d of spec.shape) count *= d;
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = ELEMENT_BYTES[dtype];
  if (size === undefined) throw new Error(`weight ${spec.name}: unsupported dtype ${dtype}`);
  return count * size;
}

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('cannot save a binary model topology as model.json');
      }
      const json: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(artifacts)) {
        if (WEIGHT_FIELDS.has(key) || value === undefined || typeof value === 'function') continue;
        json[key] = value;
      }
      json.weightsManifest = [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }];

      const data = artifacts.weightData;
      const bytes = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? concat(data) : data;

      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(inDir(dir, WEIGHTS_FILE), new Uint8Array(bytes));
      await fs.writeFile(inDir(dir, MODEL_FILE), JSON.stringify(json, null, 2));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = inDir(dir, MODEL_FILE);
      let text: string;
      try {
        text = await fs.readFile(jsonPath, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'ENOENT' ? `no ${MODEL_FILE} in ${dir}` : `cannot read ${jsonPath}: ${(err as Error).message}`,
        );
      }
      let json: Record<string, unknown> & { weightsManifest?: tf.io.WeightsManifestConfig };
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new Error(`${jsonPath} is not valid JSON (${(err as Error).message})`);
      }
      if (!('modelTopology' in json) && !('weightsManifest' in json)) {
        throw new Error(`${jsonPath} describes no model: it has no modelTopology and no weightsManifest`);
      }

      const artifacts: tf.io.ModelArtifacts = {};
      for (const [key, value] of Object.entries(json)) {
        if (key !== 'weightsManifest') (artifacts as Record<string, unknown>)[key] = value;
      }
      const manifest = json.weightsManifest ?? [];
      const specs: tf.io.WeightsManifestEntry[] = [];
      const chunks: ArrayBuffer[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const relative of group.paths) {
          const file = await fs.readFile(inDir(dir, relative));
          // copy the bytes out: a Buffer can be a view into a larger shared pool
          const own = new Uint8Array(file.byteLength);
          own.set(file);
          chunks.push(own.buffer);
        }
      }
      const weightData = concat(chunks);
      const expected = specs.reduce((sum, s) => sum + bytesFor(s), 0);
      if (weightData.byteLength !== expected) {
        throw new Error(`the weight files hold ${weightData.byteLength} bytes, the manifest describes ${expected}`);
      }
      artifacts.weightSpecs = specs;
      artifacts.weightData = weightData;
      return artifacts;
    },
  };
}
