import type { Activation, OutputKind } from '../models/denseModel';

/** The shape of a dense network for its analytic pass: widths [d, h₁, …, out], hidden activation, output. */
export interface DenseLayout {
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly output: OutputKind;
}

/**
 * Scores of n rows as the model's `scoreRows` writes them (k per row: the value for a linear
 * output, [1 − p, p] for a sigmoid one), from the parameters' arrays.
 */
export type DenseScore = (params: readonly Float32Array[], x: Float32Array, n: number, out: Float32Array) => void;

/**
 * One analytic forward/backward pass over a batch: writes ∂L/∂θ for every parameter into `grads`
 * (same order and lengths as `params`: w₁, b₁, w₂, b₂, … row-major) and returns L. Where it has
 * `score` (one layer, one output), scoring rows and then running the pass over the same rows
 * computes their forward pass once.
 */
export type DenseBackward = ((params: readonly Float32Array[], x: Float32Array, y: ArrayLike<number>, n: number, grads: readonly Float32Array[]) => number) & {
  readonly score?: DenseScore;
};

/** act'(z) written with h = act(z), as the backward pass keeps only h. */
function derivative(activation: Activation, h: number): number {
  if (activation === 'relu') return h > 0 ? 1 : 0;
  if (activation === 'tanh') return 1 - h * h;
  return h * (1 - h);
}

/**
 * b + Σ_k x[at + k]·w[k] over k < d, in float64 with two partial sums (even and odd k, added at
 * the end): the loop carries two additions per two products instead of one chain of d, ~15 %
 * less time at d = 100. Every forward pass of one output sums this way.
 */
function dot(x: Float32Array | Float64Array, at: number, w: Float32Array, d: number, b: number): number {
  let even = b;
  let odd = 0;
  const pairs = d - (d & 1);
  for (let k = 0; k < pairs; k += 2) {
    even += x[at + k] * w[k];
    odd += x[at + k + 1] * w[k + 1];
  }
  if (pairs < d) even += x[at + pairs] * w[pairs];
  return even + odd;
}

/** σ(z) from e = e^{−|z|} (the exponential softplus(z) = max(z, 0) + log1p(e) takes too): 1/(1 + e) for z ≥ 0, e/(1 + e) below. */
function sigmoidOf(z: number, e: number): number {
  return (z >= 0 ? 1 : e) / (1 + e);
}

function activate(activation: Activation, s: number): number {
  if (activation === 'relu') return s > 0 ? s : 0;
  if (activation === 'tanh') return Math.tanh(s);
  return 1 / (1 + Math.exp(-s));
}

/**
 * `denseBackward` of one layer with one output (linear and logistic regression: z_i = b + x_i·w),
 * the same sums in the same order without the general pass's scratch layers:
 *
 *   linear:  L = (1/n) Σ (z_i − y_i)² / 2,            δ_i = (z_i − y_i)·(1/n)
 *   sigmoid: L = (1/n) Σ softplus(z_i) − y_i·z_i,      δ_i = (σ(z_i) − y_i)/n
 *   ∂L/∂b = Σ_i δ_i,   ∂L/∂w_k = Σ_i x_{i,k}·δ_i   (float64 sums from 0, i ascending; z by `dot`: bit-identical to the general pass)
 *
 * 1. Only the n deltas are kept (a float64 scratch grown to the largest batch seen).
 * 2. `score(params, x, n, out)` writes what the model's `scoreRows` writes — z rounded to
 *    float32 (linear), or [1 − p, p] with p = σ(fround(z)) (sigmoid) — and keeps the rows' z.
 *    The next pass over the same rows (the same `x`, `w` and `b` arrays, and n) takes those z
 *    instead of computing them again (test-then-train scores a batch, then learns it, with the
 *    same parameters: the caller changes no value of w or b in between); any pass forgets
 *    them, so they serve once.
 *
 * @example
 * const gw = new Float32Array(2), gb = new Float32Array(1);
 * oneOutput(2, 'sigmoid')([Float32Array.of(0, 0), Float32Array.of(0)], Float32Array.of(1, 2), [1], 1, [gw, gb]); // log 2; gw = [−0.5, −1], gb = [−0.5]
 */
function oneOutput(d: number, output: 'linear' | 'sigmoid'): DenseBackward {
  let delta = new Float64Array(1);
  // The z of the rows `score` saw last, and what it saw them with (none once a pass has run).
  let logits = new Float64Array(1);
  let scoredX: Float32Array | undefined;
  let scoredW: Float32Array | undefined;
  let scoredB: Float32Array | undefined;
  let scoredN = 0;
  const score: DenseScore = (params, x, n, out) => {
    const w = params[0];
    const b = params[1][0];
    if (n > logits.length) logits = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = dot(x, i * d, w, d, b);
      logits[i] = z;
      if (output === 'linear') out[i] = z;
      else {
        const p = 1 / (1 + Math.exp(-Math.fround(z)));
        out[2 * i] = 1 - p;
        out[2 * i + 1] = p;
      }
    }
    scoredX = x;
    scoredW = w;
    scoredB = params[1];
    scoredN = n;
  };
  const backward = (params: readonly Float32Array[], x: Float32Array, y: ArrayLike<number>, n: number, grads: readonly Float32Array[]): number => {
    const w = params[0];
    const b = params[1][0];
    const gw = grads[0];
    const scored = x === scoredX && w === scoredW && params[1] === scoredB && n === scoredN;
    scoredX = scoredW = scoredB = undefined;
    if (n > delta.length) delta = new Float64Array(n);
    const scale = 1 / n;
    let loss = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const z = scored ? logits[i] : dot(x, i * d, w, d, b);
      let dz: number;
      if (output === 'linear') {
        const r = z - y[i];
        loss += r * r;
        dz = r * scale;
      } else {
        const e = Math.exp(-Math.abs(z));
        loss += Math.max(z, 0) + Math.log1p(e) - y[i] * z;
        dz = (sigmoidOf(z, e) - y[i]) / n;
      }
      delta[i] = dz;
      gb += dz;
    }
    grads[1][0] = gb;
    if (n === 1) {
      // The sum of one term (+ 0 as the sum from 0 gives: −0 becomes 0), without a loop of one per
      // weight; two weights per iteration (~30 % less time at d = 100).
      const d0 = delta[0];
      const pairs = d - (d & 1);
      for (let k = 0; k < pairs; k += 2) {
        gw[k] = x[k] * d0 + 0;
        gw[k + 1] = x[k + 1] * d0 + 0;
      }
      if (pairs < d) gw[pairs] = x[pairs] * d0 + 0;
    } else {
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += x[i * d + k] * delta[i];
        gw[k] = s;
      }
    }
    return output === 'linear' ? loss * (scale / 2) : loss / n;
  };
  return Object.assign(backward, { score });
}

/**
 * The loss and gradient of a dense network (`denseModel`'s, and `linearRegression`'s) on plain
 * arrays, without tfjs. With h₀ = x [n, d], z_l = h_{l−1} W_l + b_l, h_l = act(z_l) (l < L), z = z_L:
 *
 * | output  | L                                   | δ_L = ∂L/∂z                   |
 * |---------|-------------------------------------|-------------------------------|
 * | linear  | (1/(n·out)) Σ (z − y)² / 2          | (z − y)/(n·out)               |
 * | sigmoid | (1/n) Σ softplus(z) − y·z           | (σ(z) − y)/n                  |
 * | softmax | (1/n) Σ logsumexp(z_i) − z_{i,y_i}  | (softmax(z_i) − onehot(y_i))/n |
 *
 * then for l = L … 1:  ∂L/∂W_l = h_{l−1}ᵀ δ_l,  ∂L/∂b_l = Σ_i δ_{l,i},
 * δ_{l−1} = (δ_l W_lᵀ) ⊙ act'(z_{l−1})  (act' from h: relu [h > 0], tanh 1 − h², sigmoid h(1 − h)).
 *
 * 1. `y` holds n·out targets (linear) or n labels (sigmoid: any real in [0, 1]; softmax: class
 *    indices, checked by the caller).
 * 2. Sums run in float64; activations and deltas are kept in float64 scratch owned by the
 *    returned function and grown to the largest batch seen (no allocation per call in steady state).
 *    One layer with one output (linear, logistic regression) runs `oneOutput`: the same sums in
 *    the same order, bit-identical, keeping only the n deltas.
 * 3. `grads` are overwritten, never read.
 *
 * @example
 * const pass = denseBackward({ sizes: [2, 1], activation: 'relu', output: 'sigmoid' });
 * const gw = new Float32Array(2), gb = new Float32Array(1);
 * pass([new Float32Array(2), new Float32Array(1)], Float32Array.of(1, 2), [1], 1, [gw, gb]);
 * // log 2; gw = [−0.5, −1], gb = [−0.5]   (σ(0) − 1 = −½, times x)
 */
export function denseBackward({ sizes, activation, output }: DenseLayout): DenseBackward {
  if (sizes.length === 2 && sizes[1] === 1 && output !== 'softmax') return oneOutput(sizes[0], output);
  const layers = sizes.length - 1;
  const out = sizes[layers];
  const widest = Math.max(...sizes.slice(1));
  let rows = 0;
  let hidden: Float64Array[] = [];
  let delta = new Float64Array(0);
  let next = new Float64Array(0);
  // ∂L/∂W_l accumulated in float64, one per layer.
  const sums = sizes.slice(1).map((fanOut, l) => new Float64Array(sizes[l] * fanOut));
  const grow = (n: number): void => {
    rows = n;
    hidden = sizes.slice(1, layers).map((h) => new Float64Array(n * h));
    delta = new Float64Array(n * widest);
    next = new Float64Array(n * widest);
  };
  return (params, x, y, n, grads) => {
    if (n > rows) grow(n);
    // Forward: hidden layers into `hidden`, the output's z into `delta`.
    for (let l = 0; l < layers; l++) {
      const src = l === 0 ? x : hidden[l - 1];
      const dst = l === layers - 1 ? delta : hidden[l];
      const w = params[2 * l];
      const b = params[2 * l + 1];
      const fanIn = sizes[l];
      const fanOut = sizes[l + 1];
      const last = l === layers - 1;
      for (let i = 0; i < n; i++) {
        const at = i * fanIn;
        const row = i * fanOut;
        if (fanOut === 1) dst[row] = dot(src, at, w, fanIn, b[0]);
        else {
          for (let j = 0; j < fanOut; j++) dst[row + j] = b[j];
          // Row-major W: the inner loop runs along a row of W and of the output (contiguous).
          for (let k = 0; k < fanIn; k++) {
            const a = src[at + k];
            const wk = k * fanOut;
            for (let j = 0; j < fanOut; j++) dst[row + j] += a * w[wk + j];
          }
        }
        if (!last) for (let j = 0; j < fanOut; j++) dst[row + j] = activate(activation, dst[row + j]);
      }
    }
    // Loss and δ_L in place of z.
    let loss = 0;
    if (output === 'linear') {
      const scale = 1 / (n * out);
      for (let i = 0; i < n * out; i++) {
        const r = delta[i] - y[i];
        loss += r * r;
        delta[i] = r * scale;
      }
      loss *= scale / 2;
    } else if (output === 'sigmoid') {
      for (let i = 0; i < n; i++) {
        const z = delta[i];
        const e = Math.exp(-Math.abs(z));
        loss += Math.max(z, 0) + Math.log1p(e) - y[i] * z;
        delta[i] = (sigmoidOf(z, e) - y[i]) / n;
      }
      loss /= n;
    } else {
      for (let i = 0; i < n; i++) {
        const at = i * out;
        let max = -Infinity;
        for (let j = 0; j < out; j++) if (delta[at + j] > max) max = delta[at + j];
        let sum = 0;
        for (let j = 0; j < out; j++) sum += Math.exp(delta[at + j] - max);
        const label = y[i];
        loss += max + Math.log(sum) - delta[at + label];
        for (let j = 0; j < out; j++) delta[at + j] = (Math.exp(delta[at + j] - max) / sum - (j === label ? 1 : 0)) / n;
      }
      loss /= n;
    }
    // Backward.
    for (let l = layers - 1; l >= 0; l--) {
      const src = l === 0 ? x : hidden[l - 1];
      const w = params[2 * l];
      const gw = grads[2 * l];
      const gb = grads[2 * l + 1];
      const fanIn = sizes[l];
      const fanOut = sizes[l + 1];
      for (let j = 0; j < fanOut; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += delta[i * fanOut + j];
        gb[j] = s;
      }
      const acc = sums[l];
      acc.fill(0);
      for (let i = 0; i < n; i++) {
        const row = i * fanOut;
        for (let k = 0; k < fanIn; k++) {
          const a = src[i * fanIn + k];
          const wk = k * fanOut;
          for (let j = 0; j < fanOut; j++) acc[wk + j] += a * delta[row + j];
        }
      }
      for (let q = 0; q < acc.length; q++) gw[q] = acc[q];
      if (l > 0) {
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < fanIn; k++) {
            let s = 0;
            for (let j = 0; j < fanOut; j++) s += delta[i * fanOut + j] * w[k * fanOut + j];
            next[i * fanIn + k] = s * derivative(activation, src[i * fanIn + k]);
          }
        }
        const t = delta;
        delta = next;
        next = t;
      }
    }
    return loss;
  };
}
