// A linear classifier (softmax regression) on the full plain embedding, trained on the person's labels
// alone. The refined classifier reads a 128-d PCA of the embedding and is pulled towards the clustering's
// own structure; once a person has labelled a few hundred images, a supervised reading of all 1,024
// dimensions sees differences the PCA dropped. Refine blends the two.
import { tf } from '../../ml/tf-backend.ts';

export interface LabelProbeOptions {
  steps: number;
  lr: number;
  /** L2 penalty on the weights. */
  l2: number;
}

/**
 * Class probabilities (n x k) for every row of `x` (n x dim) from a softmax regression fitted to the
 * labelled rows. Features are centred on the mean of all rows. Full-batch Adam on the exact gradient.
 */
export function labelProbeProbs(x: Float32Array, n: number, dim: number, rows: Int32Array, labels: Int32Array, k: number, options: LabelProbeOptions): Float32Array {
  const w = tf.tidy(() => tf.variable(tf.zeros([dim, k])));
  const b = tf.tidy(() => tf.variable(tf.zeros([k])));
  const optimizer = tf.train.adam(options.lr);
  try {
    const probs = tf.tidy(() => {
      const all = tf.tensor2d(x, [n, dim]);
      const centred = tf.sub(all, tf.mean(all, 0, true));
      const xl = tf.gather(centred, tf.tensor1d(rows, 'int32'));
      const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), k), 'float32');
      for (let step = 0; step < options.steps; step++) {
        tf.tidy(() => {
          const err = tf.div(tf.sub(tf.softmax(tf.add(tf.matMul(xl, w), b)), y), rows.length);
          optimizer.applyGradients([
            { name: w.name, tensor: tf.add(tf.matMul(xl, err, true, false), tf.mul(w, options.l2)) },
            { name: b.name, tensor: tf.sum(err, 0) },
          ]);
        });
      }
      return tf.softmax(tf.add(tf.matMul(centred, w), b));
    });
    const out = probs.dataSync() as Float32Array;
    probs.dispose();
    return out;
  } finally {
    optimizer.dispose();
    w.dispose();
    b.dispose();
  }
}
