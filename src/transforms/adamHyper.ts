import type { HyperValue } from '../types';
import type { HyperSpec } from './hyperparameters';

/** The hyperparameters every Adam-family transform (Adam, Adamax, NAdam, RAdam) has. */
export interface AdamHyperOptions {
  /** β1, the decay of the first moment (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the second moment, or of Adamax's infinity norm (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), added to the denominator (Adamax: to |g| inside the maximum). */
  readonly eps?: HyperValue;
}

const BETA = { min: 0, max: 1, maxOpen: true } as const;

/**
 * The `[option, interval]` specs of β1, β2 ∈ [0, 1) and ε ≥ 0 (PyTorch's ranges), for `paramwise`.
 *
 * @example
 * paramwise({ name: 'scaleByAdam', hyper: adamHyper({ beta1: 0.9, beta2: 0.999, eps: 1e-8 }), … });
 */
export function adamHyper(o: Required<AdamHyperOptions>): Record<'beta1' | 'beta2' | 'eps', HyperSpec> {
  return { beta1: [o.beta1, BETA], beta2: [o.beta2, BETA], eps: [o.eps, { min: 0 }] };
}
