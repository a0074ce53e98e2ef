import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';
import { inRange } from '../validate';

/**
 * How a weight matrix starts: `'zeros'` (River's and Vowpal Wabbit's default for linear models),
 * N(0, std²) from a seed (`{ seed, std = 0.01 }`), or scaled uniform for a layer of a network:
 * Glorot `{ scheme: 'glorot', seed }`, U(−a, a) with a = √(6 / (fan_in + fan_out)), or He
 * `{ scheme: 'he', seed }`, a = √(6 / fan_in) (for ReLU layers).
 */
export type WeightInit =
  | 'zeros'
  | { readonly seed: number; readonly std?: number }
  | { readonly scheme: 'glorot' | 'he'; readonly seed: number };

/**
 * A [fanIn, fanOut] weight matrix drawn as `init` says (see `WeightInit`); the same seed gives the
 * same values.
 *
 * @example
 * const w = initialWeights([3, 2], { scheme: 'glorot', seed: 1 }); // U(−1.095, 1.095)
 */
export function initialWeights([fanIn, fanOut]: readonly [number, number], init: WeightInit): tf.Tensor2D {
  if (init === 'zeros') return tf.zeros([fanIn, fanOut]);
  if (init === null || typeof init !== 'object') throw new RxgradError('init', "'zeros' or { seed, std? }", init);
  if (!Number.isInteger(init.seed)) throw new RxgradError('init.seed', 'an integer', init.seed);
  if ('scheme' in init) {
    if (init.scheme !== 'glorot' && init.scheme !== 'he') throw new RxgradError('init.scheme', "'glorot' or 'he'", init.scheme);
    const a = Math.sqrt(6 / (init.scheme === 'glorot' ? fanIn + fanOut : fanIn));
    return tf.randomUniform([fanIn, fanOut], -a, a, 'float32', init.seed);
  }
  const std = inRange('init.std', init.std ?? 0.01, { min: 0, minOpen: true });
  return tf.randomNormal([fanIn, fanOut], 0, std, 'float32', init.seed);
}
