// SPICE-Self: H clustering heads (MLP dim-hidden-k, softmax) trained together on the frozen embeddings
// and the view bank; the head with the LOWEST loss is kept (never one chosen by ground truth).
//
// Per step and head, the loss is a weighted sum of
//  - prototype pseudo-labels (the reference's loss, SPICE.md section 3): P = head(weak view) on the
//    batch; for each cluster c the ratio*B/k rows with the highest P[:, c] give a prototype, the mean
//    of their ORIGINAL embeddings; the B/k rows nearest to it (cosine) get pseudo-label c (a row that two
//    prototypes pick keeps the nearer one); cross-entropy of head(strong view) against those labels;
//    each batch's labels serve `repeat` steps (the reference's num_repeat);
//  - neighbour consistency (SCAN-like): -log <head(view of i), head(view of j)> for a random neighbour j
//    of i (bank.neighbours: the views' agreed neighbours, or the plain view's nearest) and random views
//    from bank.consistencyViews, which puts the neighbourhoods into the heads;
//  - a balance term, the negative entropy of the batch's mean prediction (weight `entropyWeight`).
import { MlpHeads, type MlpHeadsWeights } from '../../ml/mlp-heads.ts';
import { rowDots } from '../../ml/spice-linalg.ts';
import { maxWeightAssignment } from './hungarian.ts';
import { createRng } from '../../base/random.ts';
import { gatherRows, predictOverViews, randomViews, yieldToEventLoop, type SpiceBank } from './spice-bank.ts';
import { randomNeighbour } from './view-agreement.ts';
import { crossEntropy, meanEntropyPenalty, neighbourConsistency, softmaxRows } from './spice-losses.ts';

export interface SpiceSelfOptions {
  heads: number;
  hidden: number;
  epochs: number;
  /** Images per step (at most n*repeat/10, but at least 32, so a small project still gets ~10 steps an epoch). */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  seed: number;
  /** Weight of the prototype pseudo-label cross-entropy (0 = off). */
  prototypeWeight: number;
  /** Weight of the neighbour-consistency term (0 = off). */
  neighbourWeight: number;
  /** Weight of the balance (negative mean entropy) term. */
  entropyWeight: number;
  /** Without fixed views, neighbours are drawn from the `neighbourK` nearest (the caller builds bank.neighbours). */
  neighbourK: number;
  /** Share of B/k top-scoring rows averaged into a prototype (reference 0.5). */
  prototypeRatio: number;
  /** Steps per batch of pseudo-labels (reference num_repeat = 8). */
  repeat: number;
  /** Train at least this many steps: a small project gets more epochs than `epochs` (0 = off). */
  minSteps: number;
}

export interface SpiceSelfHooks {
  signal?: AbortSignal;
  /** After every epoch: mean loss per head over that epoch. */
  onEpoch?: (epoch: number, epochs: number, headLosses: number[]) => void;
  /** After every step, for finer progress. */
  onStep?: (step: number, steps: number) => void;
}

export interface SpiceSelfResult {
  selectedHead: number;
  /** Mean loss per head over the last epoch: what the selection compares. */
  headLosses: number[];
  /** headLosses of every epoch. */
  lossHistory: number[][];
  /** Cluster sizes per head averaged over bank.predictionViews. */
  headSizes: number[][];
  /** n x k probabilities of the selected head averaged over bank.predictionViews. */
  probs: Float32Array;
  /** heads x n x k: every head's probabilities averaged over bank.predictionViews (for reports and ablations). */
  allProbs: Float32Array;
  /** The selected head's weights (one-head set). */
  weights: MlpHeadsWeights;
  /** Every head's weights. */
  allWeights: MlpHeadsWeights;
  steps: number;
  /** Epochs and batch size used (small projects: more epochs, smaller batches than asked). */
  epochs: number;
  batchSize: number;
}

export async function trainSpiceSelf(bank: SpiceBank, k: number, options: SpiceSelfOptions, hooks: SpiceSelfHooks = {}): Promise<SpiceSelfResult> {
  const o = options;
  const { n, dim } = bank;
  if (n < k) throw new Error(`SPICE-Self needs at least k=${k} images, got ${n}`);
  if (o.prototypeWeight <= 0 && o.neighbourWeight <= 0) throw new Error('SPICE-Self needs a prototype or a neighbour loss (both weights are 0)');
  const rng = createRng(o.seed);
  const heads = MlpHeads.create({ inputDim: dim, hidden: o.hidden, k, heads: o.heads }, rng.next);
  const H = o.heads;
  // Small projects: at least ~10 steps per epoch (counting repeats), so an epoch still means learning.
  const B = Math.min(o.batchSize, Math.max(32, Math.floor((n * o.repeat) / 10)), n);
  const batchesPerEpoch = Math.ceil(n / B);
  const epochs = Math.max(o.epochs, Math.ceil(o.minSteps / (batchesPerEpoch * o.repeat)));
  const totalSteps = epochs * batchesPerEpoch * o.repeat;
  const useProto = o.prototypeWeight > 0;
  const useNb = o.neighbourWeight > 0;
  const lossHistory: number[][] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const perm = rng.permutation(n);
      const epochLoss = new Float64Array(H);
      let epochSteps = 0;
      for (let start = 0; start < n; start += B) {
        const batch = perm.subarray(start, Math.min(n, start + B));
        const b = batch.length;
        const protoTargets = useProto ? prototypeTargets(bank, heads, batch, k, o.prototypeRatio, rng.int) : null;
        for (let rep = 0; rep < o.repeat; rep++) {
          throwIfAborted(hooks.signal);
          // Rows of the forward pass: [anchors | neighbours | anchors (strong)].
          const blocks = 1 + (useNb ? 1 : 0) + (useProto ? 1 : 0);
          const rows = blocks * b;
          const x = new Float32Array(rows * dim);
          const views = bank.consistencyViews;
          gatherRows(views, randomViews(b, views.length, rng.int), batch, dim, x, 0);
          let at = b;
          const nbOffset = at;
          if (useNb) {
            const nb = new Int32Array(b);
            for (let r = 0; r < b; r++) nb[r] = randomNeighbour(bank.neighbours, batch[r], rng.int);
            gatherRows(views, randomViews(b, views.length, rng.int), nb, dim, x, at);
            at += b;
          }
          const strongOffset = at;
          if (useProto) gatherRows(bank.strong, randomViews(b, bank.strong.length, rng.int), batch, dim, x, at);
          const pass = heads.forward(x, rows);
          const grad = new Float32Array(pass.logits.length);
          for (let h = 0; h < H; h++) {
            const base = h * rows * k;
            const pa = softmaxRows(pass.logits, base, b, k);
            let loss = meanEntropyPenalty(pa, b, k, o.entropyWeight, grad, base);
            if (useNb) {
              const pn = softmaxRows(pass.logits, base + nbOffset * k, b, k);
              loss += neighbourConsistency(pa, pn, b, k, o.neighbourWeight, grad, base, base + nbOffset * k);
            }
            if (protoTargets) {
              const ps = softmaxRows(pass.logits, base + strongOffset * k, b, k);
              loss += crossEntropy(ps, protoTargets.subarray(h * b, (h + 1) * b), b, k, o.prototypeWeight, grad, base + strongOffset * k);
            }
            epochLoss[h] += loss;
          }
          heads.backward(pass, grad, { lr: o.lr });
          epochSteps++;
          step++;
          hooks.onStep?.(step, totalSteps);
          await yieldToEventLoop();
        }
      }
      const losses = Array.from(epochLoss, (v) => v / epochSteps);
      lossHistory.push(losses);
      hooks.onEpoch?.(epoch, epochs, losses);
    }
    const headLosses = lossHistory[lossHistory.length - 1] ?? new Array<number>(H).fill(0);
    let selectedHead = 0;
    for (let h = 1; h < H; h++) if (headLosses[h] < headLosses[selectedHead]) selectedHead = h;
    const all = predictOverViews(bank.predictionViews, (x) => heads.predict(x, n));
    const headSizes = Array.from({ length: H }, (_, h) => {
      const sizes = new Array<number>(k).fill(0);
      for (let i = 0; i < n; i++) sizes[argmax(all, (h * n + i) * k, k)]++;
      return sizes;
    });
    return {
      selectedHead,
      headLosses,
      lossHistory,
      headSizes,
      probs: all.slice(selectedHead * n * k, (selectedHead + 1) * n * k),
      allProbs: all,
      weights: heads.weights({ head: selectedHead }),
      allWeights: heads.weights(),
      steps: step,
      epochs,
      batchSize: B,
    };
  } finally {
    heads.dispose();
  }
}

/**
 * Prototype pseudo-labels of one batch for every head: H x b targets (-1 = none). Scores come from the
 * heads on weak views; prototypes and similarities use the original embeddings.
 */
function prototypeTargets(bank: SpiceBank, heads: MlpHeads, batch: Int32Array, k: number, ratio: number, int: (n: number) => number): Int32Array {
  const b = batch.length;
  const H = heads.spec.heads;
  const { dim, embDim } = bank;
  const x = new Float32Array(b * dim);
  gatherRows(bank.weak, randomViews(b, bank.weak.length, int), batch, dim, x, 0);
  const probs = heads.predict(x, b);
  const top = Math.max(1, Math.floor((ratio * b) / k));
  const pick = Math.max(1, Math.floor(b / k));
  const emb = new Float32Array(b * embDim);
  gatherRows([bank.embeddings], null, batch, embDim, emb, 0);
  // Prototypes of every head and cluster: (H*k) x embDim, L2-normalised means.
  const protos = new Float32Array(H * k * embDim);
  const order = new Int32Array(b);
  for (let h = 0; h < H; h++) {
    for (let c = 0; c < k; c++) {
      topRows(order, b, (r) => probs[(h * b + r) * k + c]);
      const proto = protos.subarray((h * k + c) * embDim, (h * k + c + 1) * embDim);
      for (let t = 0; t < top; t++) {
        const o = order[t] * embDim;
        for (let d = 0; d < embDim; d++) proto[d] += emb[o + d];
      }
      let norm = 0;
      for (let d = 0; d < embDim; d++) norm += proto[d] * proto[d];
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < embDim; d++) proto[d] /= norm;
    }
  }
  const sims = rowDots(emb, b, protos, H * k, embDim); // b x (H*k)
  const targets = new Int32Array(H * b).fill(-1);
  const best = new Float32Array(b);
  for (let h = 0; h < H; h++) {
    best.fill(-Infinity);
    for (let c = 0; c < k; c++) {
      const col = h * k + c;
      topRows(order, b, (r) => sims[r * H * k + col]);
      for (let t = 0; t < pick; t++) {
        const r = order[t];
        const s = sims[r * H * k + col];
        if (s > best[r]) {
          best[r] = s;
          targets[h * b + r] = c;
        }
      }
    }
  }
  return targets;
}

/** Fills order with 0..b-1 sorted by score, highest first (ties by index, for determinism). */
function topRows(order: Int32Array, b: number, score: (r: number) => number): void {
  const scores = new Float64Array(b);
  for (let r = 0; r < b; r++) {
    order[r] = r;
    scores[r] = score(r);
  }
  order.sort((p, q) => scores[q] - scores[p] || p - q);
}

function argmax(a: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (a[offset + c] > a[offset + best]) best = c;
  return best;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/**
 * The heads' consensus: every head's clusters renumbered onto the reference head's (Hungarian matching
 * on how many images they share), then the probabilities averaged. Uses no ground truth.
 */
export function headConsensus(allProbs: Float32Array, heads: number, n: number, k: number, reference: number): { probs: Float32Array; rowToCol: ArrayLike<number>[] } {
  const labelsOf = (h: number) => {
    const l = new Int32Array(n);
    for (let i = 0; i < n; i++) l[i] = argmax(allProbs, (h * n + i) * k, k);
    return l;
  };
  const ref = labelsOf(reference);
  const out = new Float32Array(n * k);
  const perHead: ArrayLike<number>[] = [];
  for (let h = 0; h < heads; h++) {
    const own = labelsOf(h);
    const overlap = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < n; i++) overlap[own[i]][ref[i]]++;
    const { rowToCol } = maxWeightAssignment(overlap);
    perHead.push(rowToCol);
    for (let i = 0; i < n; i++) {
      const o = (h * n + i) * k;
      for (let c = 0; c < k; c++) out[i * k + rowToCol[c]] += allProbs[o + c] / heads;
    }
  }
  return { probs: out, rowToCol: perHead };
}

/** All heads' weights with head h's output c moved to rowToCol[h][c], so every head numbers clusters alike. */
export function alignHeadOutputs(w: MlpHeadsWeights, rowToCol: ArrayLike<number>[]): MlpHeadsWeights {
  const { hidden: hid, k, heads: H } = w.spec;
  const w2 = new Float32Array(w.w2.length);
  const b2 = new Float32Array(w.b2.length);
  for (let h = 0; h < H; h++) {
    for (let c = 0; c < k; c++) {
      const to = rowToCol[h][c];
      b2[h * k + to] = w.b2[h * k + c];
      for (let j = 0; j < hid; j++) w2[(h * hid + j) * k + to] = w.w2[(h * hid + j) * k + c];
    }
  }
  return { ...w, spec: { ...w.spec }, w2, b2 };
}
