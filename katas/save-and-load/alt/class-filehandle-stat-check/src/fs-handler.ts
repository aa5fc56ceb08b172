import * as tf from '@tensorflow/tfjs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

class FileSystemHandler implements tf.io.IOHandler {
  constructor(private readonly dir: string) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  private static chunks(data: tf.io.WeightData | undefined): ArrayBuffer[] {
    if (data === undefined) return [];
    return Array.isArray(data) ? data : [data];
  }

  private static byteSize(spec: tf.io.WeightsManifestEntry): number {
    const elements = spec.shape.reduce((a, b) => a * b, 1);
    switch (spec.quantization?.dtype ?? spec.dtype) {
      case 'float32':
      case 'int32':
        return elements * 4;
      case 'float16':
      case 'uint16':
        return elements * 2;
      case 'uint8':
      case 'bool':
        return elements;
      default:
        throw new Error(`${spec.name}: dtype ${spec.dtype} is not supported`);
    }
  }

  private manifestJson(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
    const { modelTopology, format, generatedBy, convertedBy, trainingConfig, userDefinedMetadata } = artifacts;
    const { signature, modelInitializer, initializerSignature } = artifacts;
    const extra = { trainingConfig, userDefinedMetadata, signature, modelInitializer, initializerSignature };
    return {
      modelTopology: modelTopology as {},
      format,
      generatedBy,
      convertedBy,
      ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined && v !== null)),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    };
  }

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary topologies are not supported');
    await mkdir(this.dir, { recursive: true });
    const file = await open(this.path(WEIGHTS_FILE), 'w');
    try {
      for (const chunk of FileSystemHandler.chunks(artifacts.weightData)) {
        await file.write(new Uint8Array(chunk));
      }
    } finally {
      await file.close();
    }
    await writeFile(this.path(MODEL_FILE), JSON.stringify(this.manifestJson(artifacts)));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    const modelJson = await readFile(this.path(MODEL_FILE), 'utf8').then(
      (text) => JSON.parse(text) as tf.io.ModelJSON,
      (err: NodeJS.ErrnoException) => {
        throw new Error(`${MODEL_FILE} not found in ${this.dir} (${err.code ?? err.message})`);
      },
    ).catch((err: Error) => {
      throw err instanceof SyntaxError ? new Error(`${this.path(MODEL_FILE)} is not JSON: ${err.message}`) : err;
    });
    if (modelJson.modelTopology == null && modelJson.weightsManifest == null) {
      throw new Error(`${MODEL_FILE} in ${this.dir} has neither a modelTopology nor a weightsManifest`);
    }
    const manifest = modelJson.weightsManifest ?? [];
    const specs = manifest.flatMap((group) => group.weights);
    const files = manifest.flatMap((group) => group.paths.map((p) => this.path(p)));

    const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
    const actual = sizes.reduce((a, b) => a + b, 0);
    const expected = specs.reduce((sum, spec) => sum + FileSystemHandler.byteSize(spec), 0);
    if (actual !== expected) {
      throw new Error(`weights: the files hold ${actual} bytes but the manifest needs ${expected}`);
    }

    const buffers = await Promise.all(files.map((f) => readFile(f)));
    const weightData = new ArrayBuffer(actual);
    const view = new Uint8Array(weightData);
    let offset = 0;
    for (const b of buffers) {
      view.set(b, offset);
      offset += b.byteLength;
    }
    if (offset !== actual) throw new Error('a weight file changed while it was being read');
    return tf.io.getModelArtifactsForJSONSync(modelJson, specs, weightData);
  }
}

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return new FileSystemHandler(dir);
}
