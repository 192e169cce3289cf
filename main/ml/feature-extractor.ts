// What the embedding stage runs a backbone through, whatever runs it (onnxruntime, TensorFlow.js).

export interface FeatureExtractor {
  readonly dim: number;
  readonly inputSize: number;
  /** Where it runs, e.g. 'cpu', 'cuda', 'tensorflow-gpu'. */
  readonly provider: string;
  /** batch: n x 3 x S x S (or n x S x S x 3 for NHWC models), already normalised. Returns n x dim, raw. */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}
