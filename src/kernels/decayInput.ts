import { RxgradError } from '../RxgradError';

/**
 * The parameter values a pure kernel hands its in-place kernel: `x` itself, or — when the update
 * does not read x (weight decay λ = 0) and none was given — `g` in its place (only the discarded
 * x + u would differ).
 *
 * 1. λ ≠ 0 without `x` is an error naming `x`: the decay term λ·x needs the values.
 *
 * @example
 * decayInput(undefined, Float32Array.of(1), 0); // the gradient, standing in for x
 * decayInput(undefined, Float32Array.of(1), 0.1); // throws "Expected `x` the parameter's values …"
 */
export function decayInput(x: Float32Array | undefined, g: Float32Array, weightDecay: number): Float32Array {
  if (x !== undefined) return x;
  if (weightDecay !== 0) throw new RxgradError('x', `the parameter's values (weight decay ${weightDecay} reads them)`, x);
  return g;
}
