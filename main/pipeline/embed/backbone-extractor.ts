// A backbone ready to turn normalised image batches into raw feature vectors.
import type { Project } from '../../project/project.ts';
import { ensureBackboneWeights } from '../../models/resolve-backbone.ts';
import type { BackboneRecord } from '../../db/backbones-repo.ts';
import { openOnnxModel, type ProviderPreference } from '../../ml/onnx.ts';
import { createProjectExtractor } from '../../models/project-backbone.ts';
import type { FeatureExtractor } from '../../ml/feature-extractor.ts';

export type { FeatureExtractor } from '../../ml/feature-extractor.ts';

export interface ExtractorOptions {
  log?: (message: string, level?: 'info' | 'warn') => void;
  provider?: ProviderPreference;
  threads?: number;
  signal?: AbortSignal;
}

export async function createExtractor(project: Project, backbone: BackboneRecord, options: ExtractorOptions = {}): Promise<FeatureExtractor> {
  if (backbone.source === 'project') {
    // Trained in this project (MoCo v2 on TensorFlow.js).
    return createProjectExtractor(project, backbone);
  }
  const path = await ensureBackboneWeights(project, backbone, { log: options.log, signal: options.signal });
  return createOnnxExtractor(path, backbone, options);
}

export async function createOnnxExtractor(path: string, backbone: BackboneRecord, options: ExtractorOptions = {}): Promise<FeatureExtractor> {
  const model = await openOnnxModel(path, { provider: options.provider, threads: options.threads, log: options.log });
  const size = backbone.inputSize;
  const per = 3 * size * size;
  const inputInfo = model.inputs.find((i) => i.name === backbone.inputName);
  if (!inputInfo) {
    await model.close();
    throw new Error(`model ${path} has no input '${backbone.inputName}'`);
  }
  // Some exports pin the batch dimension (often to 1): feed such models in chunks of that size.
  const fixedBatch = typeof inputInfo.shape[0] === 'number' ? inputInfo.shape[0] : null;
  const dimsFor = (n: number) => (backbone.layout === 'NCHW' ? [n, 3, size, size] : [n, size, size, 3]);
  const dim = backbone.outputDim;

  const runChunk = async (data: Float32Array, n: number): Promise<Float32Array> => {
    const out = await model.run({ name: backbone.inputName, data, dims: dimsFor(n) }, backbone.outputName);
    if (out.dims.length !== 2 || out.dims[0] !== n || out.dims[1] !== dim) {
      throw new Error(`backbone ${backbone.name} returned shape [${out.dims.join(', ')}], expected [${n}, ${dim}]`);
    }
    return out.data;
  };

  return {
    dim,
    inputSize: size,
    provider: model.provider,
    async run(batch, n) {
      if (batch.length < n * per) throw new Error(`batch holds ${batch.length} values, ${n} images of ${size}x${size} need ${n * per}`);
      if (fixedBatch === null) return runChunk(batch.length === n * per ? batch : batch.subarray(0, n * per), n);
      const out = new Float32Array(n * dim);
      const chunk = new Float32Array(fixedBatch * per);
      for (let start = 0; start < n; start += fixedBatch) {
        const take = Math.min(fixedBatch, n - start);
        chunk.fill(0);
        chunk.set(batch.subarray(start * per, (start + take) * per));
        const res = await runChunk(chunk, fixedBatch);
        out.set(res.subarray(0, take * dim), start * dim);
      }
      return out;
    },
    close: () => model.close(),
  };
}

/** Scales each row to unit length in place; an all-zero row stays zero. */
export function l2NormaliseRows(data: Float32Array, n: number, dim: number): Float32Array {
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += data[o + j] * data[o + j];
    if (sum > 0) {
      const inv = 1 / Math.sqrt(sum);
      for (let j = 0; j < dim; j++) data[o + j] *= inv;
    }
  }
  return data;
}
