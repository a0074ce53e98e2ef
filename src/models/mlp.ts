import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';
import { denseModel, type Activation, type OutputKind } from './denseModel';
import { initialWeights } from './initialWeights';
import type { Model } from './Model';

/** Options of `mlp`. */
export interface MlpOptions {
  /** Hidden-layer activation (default `'relu'`). */
  readonly activation?: Activation;
  /** `'linear'` (regression, default), `'sigmoid'` (binary, last width 1), `'softmax'` (k classes). */
  readonly output?: OutputKind;
  /** Seed of the initial weights (default 1); layer l uses seed + l − 1. */
  readonly seed?: number;
}

/**
 * A multilayer perceptron with widths `[d, h₁, …, out]` and parameters `w1, b1, w2, b2, …`
 * (w_l [fan_in, fan_out], b_l [fan_out] = 0). Weights feeding a ReLU are He-uniform,
 * U(±√(6/fan_in)), the others (tanh, sigmoid, the output layer) Glorot-uniform,
 * U(±√(6/(fan_in + fan_out))), drawn from the seed.
 *
 *   h₀ = x,   h_l = act(h_{l−1} W_l + b_l) (l < L),   z = h_{L−1} W_L + b_L
 *
 * The loss by output: linear, (1/(n·out)) Σ (z − y)² / 2; sigmoid, binary cross-entropy
 * (1/n) Σ softplus(z) − y z; softmax, cross-entropy (1/n) Σ logsumexp(z) − z_y with integer
 * labels. See `denseModel` for predictions and `scoreRows`.
 *
 * @example
 * const model = mlp([6, 16, 1], { activation: 'tanh', output: 'sigmoid', seed: 7 });
 * Object.keys(model.params); // ['w1', 'b1', 'w2', 'b2']
 */
export function mlp(sizes: readonly number[], { activation = 'relu', output = 'linear', seed = 1 }: MlpOptions = {}): Model {
  if (!Array.isArray(sizes) || sizes.length < 2) throw new RxgradError('sizes', 'widths [d, ...hidden, out] (at least 2)', sizes);
  sizes.forEach((s, i) => positiveInt(`sizes[${i}]`, s));
  if (!['relu', 'tanh', 'sigmoid'].includes(activation)) throw new RxgradError('activation', "'relu', 'tanh' or 'sigmoid'", activation);
  if (!['linear', 'sigmoid', 'softmax'].includes(output)) throw new RxgradError('output', "'linear', 'sigmoid' or 'softmax'", output);
  positiveInt('seed', seed, 0);
  const layers = sizes.length - 1;
  return denseModel({
    sizes,
    names: Array.from({ length: layers }, (_, l) => ({ w: `w${l + 1}`, b: `b${l + 1}` })),
    activation,
    output,
    weights: Array.from({ length: layers }, (_, l) => initialWeights([sizes[l], sizes[l + 1]], { scheme: activation === 'relu' && l < layers - 1 ? 'he' : 'glorot', seed: seed + l })),
  });
}
