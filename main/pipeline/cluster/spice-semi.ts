// SPICE-Semi (SPICE.md section 5) on frozen-backbone embeddings: FixMatch with the reliable samples as
// the labelled set (their cluster as label) and all images as the unlabelled set, training a classifier
// MLP (dim-hidden-k) on the view bank.
//   labelled loss:   cross-entropy of head(weak view) against the cluster;
//   unlabelled loss: where max P(weak view) > threshold, cross-entropy of head(strong view) against
//                    argmax P(weak view) (the pseudo-label is a constant: no gradient through it);
//   an exponential moving average of the weights (decay 0.999) is the final classifier.
import { MlpHeads, type MlpHeadsWeights } from '../../ml/mlp-heads.ts';
import { createRng } from './prng.ts';
import { gatherRows, predictOverViews, randomViews, yieldToEventLoop, type SpiceBank } from './spice-bank.ts';
import { crossEntropy, meanEntropyPenalty, softmaxRows } from './spice-losses.ts';

export interface SpiceSemiOptions {
  hidden: number;
  steps: number;
  /** Labelled images per step (reference 64). */
  labeledBatch: number;
  /** Unlabelled images per labelled one (reference 7). */
  unlabeledRatio: number;
  /** Confidence a weak view needs before its pseudo-label trains the strong view (reference 0.95). */
  threshold: number;
  /** Weight of the unlabelled loss (reference 1). */
  unlabeledWeight: number;
  lr: number;
  /** EMA decay of the evaluated weights (reference 0.999). */
  emaDecay: number;
  /** Draw labelled samples cluster-balanced (uniform cluster, then uniform member) instead of uniformly. */
  balancedLabels: boolean;
  /** Weight of the balance term (negative entropy of the mean prediction on the unlabelled rows); 0 = off. */
  entropyWeight: number;
  /** View of the unlabelled rows that the pseudo-labels train: 'strong' (FixMatch) or 'weak'. */
  unlabeledView: 'strong' | 'weak';
  seed: number;
}

export interface SpiceSemiHooks {
  signal?: AbortSignal;
  onStep?: (step: number, steps: number, stats: { loss: number; maskRate: number }) => void;
}

export interface SpiceSemiResult {
  /** n x k probabilities of the EMA classifier on the plain view. */
  probs: Float32Array;
  /** EMA weights (one-head set). */
  weights: MlpHeadsWeights;
  steps: number;
  /** Mean loss and share of unlabelled rows above the threshold, over the last 10% of steps. */
  finalLoss: number;
  finalMaskRate: number;
  labeled: number;
}

/**
 * `init`: start from these weights (one head, e.g. the selected SPICE-Self head) instead of a random
 * classifier; with a frozen backbone this plays the part of the reference's start from the
 * self-supervised weights.
 */
export async function trainSpiceSemi(
  bank: SpiceBank,
  k: number,
  labels: Int32Array,
  reliable: Uint8Array,
  options: SpiceSemiOptions,
  hooks: SpiceSemiHooks = {},
  init?: MlpHeadsWeights,
): Promise<SpiceSemiResult> {
  const o = options;
  const { n, dim } = bank;
  const byCluster: number[][] = Array.from({ length: k }, () => []);
  const labeledAll: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!reliable[i]) continue;
    byCluster[labels[i]].push(i);
    labeledAll.push(i);
  }
  if (labeledAll.length === 0) throw new Error('SPICE-Semi needs at least one reliable sample');
  const clustersWithLabels = byCluster.map((m, c) => (m.length ? c : -1)).filter((c) => c >= 0);
  const rng = createRng(o.seed);
  if (init && (init.spec.heads !== 1 || init.spec.inputDim !== dim || init.spec.k !== k)) {
    throw new Error(`SPICE-Semi: the starting weights are ${init.spec.heads} head(s) of ${init.spec.inputDim} -> ${init.spec.k}, expected 1 head of ${dim} -> ${k}`);
  }
  const model = init ? new MlpHeads(init) : MlpHeads.create({ inputDim: dim, hidden: o.hidden, k, heads: 1 }, rng.next);
  model.startEma();
  const bl = o.labeledBatch;
  const bu = o.labeledBatch * o.unlabeledRatio;
  const tail = Math.max(1, Math.round(o.steps * 0.1));
  let tailLoss = 0;
  let tailMask = 0;
  try {
    for (let step = 0; step < o.steps; step++) {
      if (hooks.signal?.aborted) throw hooks.signal.reason instanceof Error ? hooks.signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
      const li = new Int32Array(bl);
      const yl = new Int32Array(bl);
      for (let r = 0; r < bl; r++) {
        if (o.balancedLabels) {
          const members = byCluster[clustersWithLabels[rng.int(clustersWithLabels.length)]];
          li[r] = members[rng.int(members.length)];
        } else li[r] = labeledAll[rng.int(labeledAll.length)];
      }
      for (let r = 0; r < bl; r++) yl[r] = labels[li[r]];
      const ui = new Int32Array(bu);
      for (let r = 0; r < bu; r++) ui[r] = rng.int(n);
      // Pseudo-labels from weak views, forward only.
      const xw = new Float32Array(bu * dim);
      gatherRows(bank.weak, randomViews(bu, bank.weak.length, rng.int), ui, dim, xw, 0);
      const pw = model.predict(xw, bu);
      const pseudo = new Int32Array(bu).fill(-1);
      let masked = 0;
      for (let r = 0; r < bu; r++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (pw[r * k + c] > pw[r * k + best]) best = c;
        if (pw[r * k + best] > o.threshold) {
          pseudo[r] = best;
          masked++;
        }
      }
      // Trained rows: [labelled (weak) | unlabelled (strong)].
      const x = new Float32Array((bl + bu) * dim);
      gatherRows(bank.weak, randomViews(bl, bank.weak.length, rng.int), li, dim, x, 0);
      const uViews = o.unlabeledView === 'weak' ? bank.weak : bank.strong;
      gatherRows(uViews, randomViews(bu, uViews.length, rng.int), ui, dim, x, bl);
      const pass = model.forward(x, bl + bu);
      const grad = new Float32Array(pass.logits.length);
      const pl = softmaxRows(pass.logits, 0, bl, k);
      let loss = crossEntropy(pl, yl, bl, k, 1, grad, 0);
      const ps = softmaxRows(pass.logits, bl * k, bu, k);
      // Averaged over all unlabelled rows, as FixMatch does (masked rows count as zero).
      if (masked > 0) loss += crossEntropy(ps, pseudo, bu, k, o.unlabeledWeight, grad, bl * k, { normaliser: bu });
      if (o.entropyWeight > 0) loss += meanEntropyPenalty(ps, bu, k, o.entropyWeight, grad, bl * k);
      model.backward(pass, grad, { lr: o.lr });
      model.updateEma(o.emaDecay);
      if (step >= o.steps - tail) {
        tailLoss += loss / tail;
        tailMask += masked / bu / tail;
      }
      hooks.onStep?.(step + 1, o.steps, { loss, maskRate: masked / bu });
      if (step % 4 === 3) await yieldToEventLoop();
    }
    return {
      probs: predictOverViews(bank.predictionViews, (x) => model.predict(x, n, { useEma: true })),
      weights: model.weights({ useEma: true }),
      steps: o.steps,
      finalLoss: tailLoss,
      finalMaskRate: tailMask,
      labeled: labeledAll.length,
    };
  } finally {
    model.dispose();
  }
}
