/** Hyperparameters of one fused Adamax update: the values in force, and t, the parameter's 1-based update count. */
export interface AdamaxKernelHyper {
  /** η */
  readonly lr: number;
  /** β1 */
  readonly beta1: number;
  /** β2 */
  readonly beta2: number;
  /** ε */
  readonly eps: number;
  /** λ (L2, added to the gradient) */
  readonly weightDecay: number;
  readonly t: number;
}

/** One parameter's Adamax state: the first moment and the exponentially weighted infinity norm. */
export interface AdamaxKernelState {
  readonly m: Float32Array;
  readonly norm: Float32Array;
}

/** One parameter's update and new state. */
export interface AdamaxKernelResult extends AdamaxKernelState {
  readonly update: Float32Array;
}

/**
 * PyTorch's Adamax on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), scaleByAdamax({ beta1, beta2, eps }), scaleByLearningRate(η))`:
 *
 *   g'_i = g_i + λ·x_i
 *   m_i  = β1·m_i + (1 − β1)·g'_i
 *   n_i  = max(β2·n_i, |g'_i| + ε)
 *   u_i  = −η · m_i/n_i/(1 − β1^t)
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and the state, returns new arrays.
 *
 * @example
 * adamaxKernel(Float32Array.of(2), undefined, { m: Float32Array.of(0), norm: Float32Array.of(0) },
 *   { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, t: 1 });
 * // m = 0.2, n = 2: u = −0.1·0.2/2/0.1 = −0.1
 */
export function adamaxKernel(g: Float32Array, x: Float32Array | undefined, s: AdamaxKernelState, h: AdamaxKernelHyper): AdamaxKernelResult {
  const n = g.length;
  const lambda = h.weightDecay;
  const b1 = h.beta1;
  const c1 = 1 - b1;
  const b2 = h.beta2;
  const bc1 = 1 - b1 ** h.t;
  const eps = h.eps;
  const eta = -h.lr;
  const update = new Float32Array(n);
  const m = new Float32Array(n);
  const norm = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const gi = lambda === 0 ? g[i] : g[i] + lambda * x![i];
    const mi = b1 * s.m[i] + c1 * gi;
    const ni = Math.max(b2 * s.norm[i], Math.abs(gi) + eps);
    m[i] = mi;
    norm[i] = ni;
    update[i] = (eta * (mi / ni)) / bc1;
  }
  return { update, m, norm };
}
