// SPICE-Semi (SPICE.md section 5) on frozen-backbone embeddings: FixMatch with a labelled set and all
// images as the unlabelled set, training a classifier MLP (dim-hidden-k) on the view bank. In SPICE the
// labelled set is the reliable samples (their cluster as label); refine (pipeline/label/refine.ts) adds
// the person's labels as a second, stronger group.
//   labelled loss:   cross-entropy of head(weak view) against the cluster;
//   unlabelled loss: where max P(weak view) > threshold, cross-entropy of head(strong view) against
//                    argmax P(weak view) (the pseudo-label is a constant: no gradient through it);
//   an exponential moving average of the weights (decay 0.999) is the final classifier.
import { MlpHeads, type MlpHeadsWeights } from '../../ml/mlp-heads.ts';
import { createRng } from '../../base/random.ts';
import { gatherRows, predictOverViews, randomViews, yieldToEventLoop, type SemiBank } from './spice-bank.ts';
import { crossEntropy, meanEntropyPenalty, neighbourConsistency, softmaxRows } from './spice-losses.ts';
import { randomNeighbour, type NeighbourLists } from './view-agreement.ts';

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
  /** Draw labelled samples class-balanced (uniform class, then uniform member) within each group instead of uniformly. */
  balancedLabels: boolean;
  /** Weight of the balance term (negative entropy of the mean prediction on the unlabelled rows); 0 = off. */
  entropyWeight: number;
  /** Class shares the balance term pulls the mean prediction towards (KL to it); default uniform. */
  classPrior?: Float32Array;
  /**
   * Neighbour consistency (SCAN, as in SPICE-Self): -log <p(anchor), p(neighbour)> for `neighbourRows`
   * unlabelled anchors and a random neighbour each from `neighbours`, so labels spread along the graph.
   * Weight 0 or no neighbours = off.
   */
  neighbourWeight?: number;
  neighbourRows?: number;
  neighbours?: NeighbourLists;
  /** View of the unlabelled rows that the pseudo-labels train: 'strong' (FixMatch) or 'weak'. */
  unlabeledView: 'strong' | 'weak';
  seed: number;
}

/** One group of labelled rows: its own loss weight and share of every labelled batch. */
export interface LabelledGroup {
  name: string;
  /** Bank rows and their labels (output indices). */
  rows: Int32Array;
  labels: Int32Array;
  /** Weight of the group's cross-entropy. */
  weight: number;
  /** Share of each labelled batch drawn from this group; shares are normalised over the non-empty groups. */
  share: number;
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

/** SPICE's labelled set: the reliable samples with their cluster as label. */
export function reliableGroup(labels: Int32Array, reliable: Uint8Array): LabelledGroup {
  const rows: number[] = [];
  for (let i = 0; i < reliable.length; i++) if (reliable[i]) rows.push(i);
  return { name: 'reliable', rows: Int32Array.from(rows), labels: Int32Array.from(rows, (i) => labels[i]), weight: 1, share: 1 };
}

/** Draws labelled rows of one group, class-balanced or uniformly. */
class GroupSampler {
  private readonly byClass: number[][];
  private readonly classes: number[];

  constructor(
    readonly group: LabelledGroup,
    k: number,
    private readonly balanced: boolean,
  ) {
    this.byClass = Array.from({ length: k }, () => []);
    group.rows.forEach((_, j) => this.byClass[group.labels[j]].push(j));
    this.classes = this.byClass.flatMap((m, c) => (m.length ? [c] : []));
  }

  /** Index into the group's rows. */
  draw(int: (n: number) => number): number {
    if (!this.balanced) return int(this.group.rows.length);
    const members = this.byClass[this.classes[int(this.classes.length)]];
    return members[int(members.length)];
  }
}

/**
 * `init`: start from these weights (one head, e.g. the selected SPICE-Self head) instead of a random
 * classifier; with a frozen backbone this plays the part of the reference's start from the
 * self-supervised weights.
 */
export async function trainSpiceSemi(
  bank: SemiBank,
  k: number,
  labelled: readonly LabelledGroup[],
  options: SpiceSemiOptions,
  hooks: SpiceSemiHooks = {},
  init?: MlpHeadsWeights,
  /** Rows never used as unlabelled data (e.g. a person's outliers). */
  excluded?: Uint8Array,
): Promise<SpiceSemiResult> {
  const o = options;
  const { n, dim } = bank;
  const groups = labelled.filter((g) => g.rows.length > 0);
  if (groups.length === 0) throw new Error('SPICE-Semi needs at least one labelled sample');
  for (const g of groups) for (const l of g.labels) if (l < 0 || l >= k) throw new Error(`labelled group '${g.name}': label ${l} is outside 0..${k - 1}`);
  const samplers = groups.map((g) => new GroupSampler(g, k, o.balancedLabels));
  const labeledCount = groups.reduce((s, g) => s + g.rows.length, 0);
  const unlabelledRows: number[] = [];
  for (let i = 0; i < n; i++) if (!excluded?.[i]) unlabelledRows.push(i);
  const rng = createRng(o.seed);
  if (init && (init.spec.heads !== 1 || init.spec.inputDim !== dim || init.spec.k !== k)) {
    throw new Error(`SPICE-Semi: the starting weights are ${init.spec.heads} head(s) of ${init.spec.inputDim} -> ${init.spec.k}, expected 1 head of ${dim} -> ${k}`);
  }
  const model = init ? new MlpHeads(init) : MlpHeads.create({ inputDim: dim, hidden: o.hidden, k, heads: 1 }, rng.next);
  model.startEma();
  const bl = o.labeledBatch;
  const bu = o.labeledBatch * o.unlabeledRatio;
  const bn = o.neighbours && (o.neighbourWeight ?? 0) > 0 ? Math.min(bu, o.neighbourRows ?? bl * 2) : 0;
  // Rows of each labelled batch per group, by share (every non-empty group gets at least one).
  const shareSum = groups.reduce((s, g) => s + g.share, 0);
  const perGroup = groups.map((g) => Math.max(1, Math.round((bl * g.share) / shareSum)));
  perGroup[0] += bl - perGroup.reduce((a, b) => a + b, 0);
  const tail = Math.max(1, Math.round(o.steps * 0.1));
  let tailLoss = 0;
  let tailMask = 0;
  try {
    for (let step = 0; step < o.steps; step++) {
      if (hooks.signal?.aborted) throw hooks.signal.reason instanceof Error ? hooks.signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
      const li = new Int32Array(bl);
      const yl = new Int32Array(bl);
      const wl = new Float32Array(bl);
      let r0 = 0;
      samplers.forEach((sampler, g) => {
        for (let r = 0; r < perGroup[g]; r++, r0++) {
          const j = sampler.draw(rng.int);
          li[r0] = sampler.group.rows[j];
          yl[r0] = sampler.group.labels[j];
          wl[r0] = sampler.group.weight;
        }
      });
      const ui = new Int32Array(bu);
      for (let r = 0; r < bu; r++) ui[r] = unlabelledRows[rng.int(unlabelledRows.length)];
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
      // Trained rows: [labelled (weak) | unlabelled (strong) | neighbours of the first bn unlabelled (weak)].
      const x = new Float32Array((bl + bu + bn) * dim);
      gatherRows(bank.weak, randomViews(bl, bank.weak.length, rng.int), li, dim, x, 0);
      const uViews = o.unlabeledView === 'weak' ? bank.weak : bank.strong;
      gatherRows(uViews, randomViews(bu, uViews.length, rng.int), ui, dim, x, bl);
      if (bn > 0) {
        const nb = new Int32Array(bn);
        for (let r = 0; r < bn; r++) nb[r] = randomNeighbour(o.neighbours!, ui[r], rng.int);
        gatherRows(bank.weak, randomViews(bn, bank.weak.length, rng.int), nb, dim, x, bl + bu);
      }
      const pass = model.forward(x, bl + bu + bn);
      const grad = new Float32Array(pass.logits.length);
      const pl = softmaxRows(pass.logits, 0, bl, k);
      let loss = crossEntropy(pl, yl, bl, k, 1, grad, 0, { rowWeights: wl });
      const ps = softmaxRows(pass.logits, bl * k, bu, k);
      // Averaged over all unlabelled rows, as FixMatch does (masked rows count as zero).
      if (masked > 0) loss += crossEntropy(ps, pseudo, bu, k, o.unlabeledWeight, grad, bl * k, { normaliser: bu });
      if (o.entropyWeight > 0) loss += meanEntropyPenalty(ps, bu, k, o.entropyWeight, grad, bl * k, o.classPrior);
      if (bn > 0) {
        const pn = softmaxRows(pass.logits, (bl + bu) * k, bn, k);
        loss += neighbourConsistency(ps.subarray(0, bn * k), pn, bn, k, o.neighbourWeight!, grad, bl * k, (bl + bu) * k);
      }
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
      labeled: labeledCount,
    };
  } finally {
    model.dispose();
  }
}
