import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { bool, positiveInt } from '../validate';
import { withDefaults } from './withDefaults';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByMuon` (Keller Jordan's `muon_update`). */
export interface ScaleByMuonOptions {
  /** β, the momentum (in [0, 1)). */
  readonly momentum?: HyperValue;
  /** Nesterov's form: orthogonalise (1 − β)·g + β·m instead of m. */
  readonly nesterov?: boolean;
  /** How many Newton–Schulz iterations (an integer ≥ 1). */
  readonly nsSteps?: number;
}

/** One parameter's momentum m. */
export interface ScaleByMuonParamState {
  readonly m: tf.Tensor;
}

/**
 * Defaults of `scaleByMuon` (Keller Jordan's reference, KellerJordan/Muon).
 *
 * @example
 * scaleByMuonDefaults.momentum; // 0.95
 */
export const scaleByMuonDefaults: Readonly<Required<ScaleByMuonOptions>> = { momentum: 0.95, nesterov: true, nsSteps: 5 };

/** Keller Jordan's quintic Newton–Schulz coefficients (a, b, c). */
const NS: readonly [number, number, number] = [3.4445, -4.775, 2.0315];

/**
 * The Newton–Schulz orthogonalisation of a matrix G (r × c), Keller Jordan's
 * `zeropower_via_newtonschulz5`, in float32 (the reference runs it in bfloat16):
 *
 *   X_0 = G'/(‖G'‖_F + 1e-7),   G' = Gᵀ if r > c else G
 *   A = X Xᵀ,   X ← a·X + (b·A + c·A²)·X        (k times; a, b, c = 3.4445, −4.7750, 2.0315)
 *   result Xᵀ if r > c else X                  (≈ U·S'·Vᵀ with S' ∈ [0.5, 1.5], G = U·S·Vᵀ)
 *
 * @example
 * newtonSchulz(tf.tensor2d([[3, 0], [0, 1]]), 5); // ≈ diag(0.753, 1.134): singular values 0.949, 0.316 pushed into [0.5, 1.5]
 */
export function newtonSchulz(g: tf.Tensor2D, steps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [a, b, c] = NS;
    const tall = g.shape[0] > g.shape[1];
    let x: tf.Tensor2D = tall ? g.transpose() : g;
    x = x.div(tf.norm(x).add(1e-7));
    for (let k = 0; k < steps; k++) {
      const A = tf.matMul(x, x, false, true);
      const B = A.mul(b).add(tf.matMul(A, A).mul(c));
      x = x.mul(a).add(tf.matMul(B, x));
    }
    return tall ? x.transpose() : x;
  });
}

/**
 * Muon's orthogonalised momentum (Keller Jordan 2024, "Muon: An optimizer for hidden layers in
 * neural networks"; the reference `muon_update`), for 2-D parameters (r × c), without the
 * learning rate and weight decay:
 *
 *   m_t = β·m_{t-1} + (1 − β)·g_t
 *   d_t = (1 − β)·g_t + β·m_t  (nesterov)   or   d_t = m_t
 *   u_t = NS_k(d_t) · √max(1, r/c)
 *
 * NS_k is `newtonSchulz` (k = `nsSteps`). m_0 = 0. `momentum` accepts a number or a schedule and
 * is overridden by `ctx.hyper`. A parameter that is not 2-D throws an `RxgradError` naming it
 * (`muon` sends those to Adam).
 *
 * @example
 * const t = scaleByMuon();
 * const p = { w: tf.zeros([2, 2]) };
 * const { updates } = t.update({ w: tf.tensor2d([[2, 0], [0, 1]]) }, t.init(p)); // ≈ diag(0.689, 1.114): near-orthogonal
 */
export function scaleByMuon(options: ScaleByMuonOptions = {}): ParamwiseTransform<ScaleByMuonParamState> {
  const o = withDefaults('scaleByMuon', options, scaleByMuonDefaults);
  const nesterov = bool('nesterov', o.nesterov);
  const steps = positiveInt('nsSteps', o.nsSteps);
  return paramwise({
    name: 'scaleByMuon',
    hyper: { momentum: [o.momentum, { min: 0, max: 1, maxOpen: true }] },
    init: (p): ScaleByMuonParamState => {
      if (p.rank !== 2) throw new RxgradError('params', 'matrices (Muon orthogonalises 2-D parameters; muon() sends the others to Adam)', shown(`a tensor of shape [${p.shape.join(', ')}]`));
      return { m: tf.zerosLike(p) };
    },
    update: (g, s, h) => {
      const m = ema(s.m, g, h.momentum);
      const d = nesterov ? ema(g, m, 1 - h.momentum) : m;
      const [r, c] = g.shape;
      return [newtonSchulz(d as tf.Tensor2D, steps).mul(Math.sqrt(Math.max(1, r / c))), { m }];
    },
  });
}
