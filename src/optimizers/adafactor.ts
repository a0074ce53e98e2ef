import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { scaleByFactoredRms } from '../transforms/scaleByFactoredRms';
import { clipByBlockRms } from '../transforms/clipByBlockRms';
import { scaleByParamBlockRms } from '../transforms/scaleByParamBlockRms';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `adafactor` (Optax's `adafactor`, camelCase). Hyperparameters accept a number or a schedule. */
export interface AdafactorOptions {
  /** ρ_t, the relative step size (≥ 0); the default is the paper's min(1e-2, 1/√t). */
  readonly lr?: HyperValue;
  /** Factor the second moments of parameters of rank ≥ 2. */
  readonly factored?: boolean;
  /** d: β̂2_t = 1 − t^(−d) (≥ 0). */
  readonly decayRate?: HyperValue;
  /** Factor only if the second-largest dimension is at least this (an integer ≥ 1). */
  readonly minDimSizeToFactor?: number;
  /** ε₁ (≥ 0), added to g². */
  readonly eps?: HyperValue;
  /** d_clip, the update clipping threshold (> 0). */
  readonly clippingThreshold?: HyperValue;
  /** ε₂, the smallest parameter scale (≥ 0). */
  readonly minScale?: HyperValue;
}

/**
 * The paper's relative step size ρ_t = min(1e-2, 1/√t) (Shazeer & Stern 2018, section 8), the
 * default `lr` of `adafactor`.
 *
 * @example
 * adafactorRelativeStep(1e6); // 1e-3
 */
export function adafactorRelativeStep(step: number): number {
  return Math.min(1e-2, 1 / Math.sqrt(step));
}

/**
 * Defaults of `adafactor`: Optax's `adafactor` (factored, decay_rate 0.8, min_dim_size_to_factor
 * 128, eps 1e-30, clipping_threshold 1, multiply_by_parameter_scale with min scale 1e-3); Optax's
 * `learning_rate=None` leaves ρ out (= `lr: 1`), here `lr` is the paper's relative step.
 *
 * @example
 * adafactorDefaults.decayRate; // 0.8
 */
export const adafactorDefaults: Readonly<Required<AdafactorOptions>> = {
  lr: adafactorRelativeStep,
  factored: true,
  decayRate: 0.8,
  minDimSizeToFactor: 128,
  eps: 1e-30,
  clippingThreshold: 1,
  minScale: 1e-3,
};

/**
 * Adafactor (Shazeer & Stern 2018, Algorithms 4–5 with relative step), as Optax's `adafactor`
 * (no momentum, no weight decay), per parameter:
 *
 *   β̂2_t = 1 − t^(−0.8),   G_t = g_t² + ε₁
 *   rank ≥ 2, factored: R_t = β̂2_t·R + (1 − β̂2_t)·rowmean(G_t),  C_t = β̂2_t·C + (1 − β̂2_t)·colmean(G_t),
 *                       U_t = g_t / √(R_t C_t / mean(R_t))
 *   otherwise:          V_t = β̂2_t·V + (1 − β̂2_t)·G_t,            U_t = g_t / √V_t
 *   Û_t = U_t / max(1, RMS(U_t)/d_clip)
 *   x_t = x_{t-1} − ρ_t·max(ε₂, RMS(x_{t-1}))·Û_t,   ρ_t = min(1e-2, 1/√t) by default
 *
 * Built as `chain(scaleByFactoredRms({ factored, decayRate, minDimSizeToFactor, eps }), clipByBlockRms(d_clip), scaleByParamBlockRms(ε₂), scaleByLearningRate(ρ))`.
 *
 * @example
 * const opt = adafactor();
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function adafactor(options: AdafactorOptions = {}): Transform<unknown[]> {
  const o = withDefaults('adafactor', options, adafactorDefaults);
  return chain(
    scaleByFactoredRms({ factored: o.factored, decayRate: o.decayRate, minDimSizeToFactor: o.minDimSizeToFactor, eps: o.eps }),
    clipByBlockRms(o.clippingThreshold),
    scaleByParamBlockRms(o.minScale),
    scaleByLearningRate(o.lr),
  );
}
