import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { bool, positiveInt } from '../validate';
import { withDefaults } from './withDefaults';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByFactoredRms` (Optax's `scale_by_factored_rms`, camelCase). */
export interface ScaleByFactoredRmsOptions {
  /** Factor the second moments of parameters of rank ≥ 2. */
  readonly factored?: boolean;
  /** d, the decay exponent: β̂_t = 1 − t^(−d) (≥ 0). */
  readonly decayRate?: HyperValue;
  /** A parameter is factored only if its second-largest dimension is at least this (an integer ≥ 1). */
  readonly minDimSizeToFactor?: number;
  /** ε₁ (≥ 0), added to g². */
  readonly eps?: HyperValue;
}

/**
 * One parameter's second moments: the row and column statistics `vRow`, `vCol` when factored,
 * else the full `v` (the other fields null).
 */
export interface ScaleByFactoredRmsParamState {
  readonly vRow: tf.Tensor | null;
  readonly vCol: tf.Tensor | null;
  readonly v: tf.Tensor | null;
}

/**
 * Defaults of `scaleByFactoredRms` (Optax's `scale_by_factored_rms`).
 *
 * @example
 * scaleByFactoredRmsDefaults.decayRate; // 0.8
 */
export const scaleByFactoredRmsDefaults: Readonly<Required<ScaleByFactoredRmsOptions>> = { factored: true, decayRate: 0.8, minDimSizeToFactor: 128, eps: 1e-30 };

/**
 * The axes Adafactor factors a shape over, as Optax's `_factored_dims`: `[d1, d0]`, the axes of
 * the second-largest and the largest dimension (ties: the later axis is d0), or `null` when not
 * factored (rank < 2, `factored` false, or the second-largest dimension below `minDim`).
 *
 * @example
 * factoredDims([3, 5], true, 1); // [0, 1]
 */
export function factoredDims(shape: readonly number[], factored: boolean, minDim: number): [number, number] | null {
  if (!factored || shape.length < 2) return null;
  const sorted = shape.map((size, axis) => [size, axis] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const [second, largest] = sorted.slice(-2);
  return second[0] < minDim ? null : [second[1], largest[1]];
}

/**
 * Adafactor's scaling by factored second moments (Shazeer & Stern 2018, "Adafactor: Adaptive
 * Learning Rates with Sublinear Memory Cost", Algorithms 4–5, without clipping and the step
 * size), as Optax's `scale_by_factored_rms`:
 *
 *   β̂_t = 1 − t^(−d),   G_t = g_t² + ε₁
 *   factored (axes d1, d0 of `factoredDims`):
 *     R_t = β̂_t·R_{t-1} + (1 − β̂_t)·mean_{d0}(G_t)          (row statistics)
 *     C_t = β̂_t·C_{t-1} + (1 − β̂_t)·mean_{d1}(G_t)          (column statistics)
 *     u_t = g_t · (R_t / mean(R_t))^(−½) · C_t^(−½)        (broadcast back over d0 and d1)
 *   otherwise:
 *     V_t = β̂_t·V_{t-1} + (1 − β̂_t)·G_t,   u_t = g_t · V_t^(−½)
 *
 * A gradient whose shape does not fit the statistics held throws an `RxgradError` (with
 * `params`, paramwise names the parameter and both shapes first). t counts this parameter's updates (β̂_1 = 0: the first step uses G_1 alone). `decayRate` and
 * `eps` accept a number or a schedule and are overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByFactoredRms({ minDimSizeToFactor: 1 });
 * const p = { w: tf.zeros([2, 2]) };
 * const { updates } = t.update({ w: tf.tensor2d([[1, 1], [1, 1]]) }, t.init(p)); // all ones (R = C = 1)
 */
export function scaleByFactoredRms(options: ScaleByFactoredRmsOptions = {}): ParamwiseTransform<ScaleByFactoredRmsParamState> {
  const o = withDefaults('scaleByFactoredRms', options, scaleByFactoredRmsDefaults);
  const factored = bool('factored', o.factored);
  const minDim = positiveInt('minDimSizeToFactor', o.minDimSizeToFactor);
  return paramwise({
    name: 'scaleByFactoredRms',
    stateShaped: false,
    hyper: { decayRate: [o.decayRate, { min: 0 }], eps: [o.eps, { min: 0 }] },
    init: (p): ScaleByFactoredRmsParamState => {
      const dims = factoredDims(p.shape, factored, minDim);
      if (dims === null) return { vRow: null, vCol: null, v: tf.zerosLike(p) };
      const [d1, d0] = dims;
      return { vRow: tf.zeros(p.shape.filter((_, i) => i !== d0)), vCol: tf.zeros(p.shape.filter((_, i) => i !== d1)), v: null };
    },
    update: (g, s, h, t) => {
      const decay = 1 - t ** -h.decayRate;
      const g2 = g.square().add(h.eps);
      const dims = factoredDims(g.shape, factored, minDim);
      const stats = dims === null ? [g.shape] : [g.shape.filter((_, i) => i !== dims[1]), g.shape.filter((_, i) => i !== dims[0])];
      const held = [s.v, s.vRow, s.vCol].filter((v) => v !== null).map((v) => v!.shape);
      if (held.length !== stats.length || held.some((shape, i) => !tf.util.arraysEqual(shape, stats[i]))) {
        throw new RxgradError('grads', `a gradient whose statistics fit the state's (shapes ${held.map((x) => `[${x.join(', ')}]`).join(', ')})`, shown(`shape [${g.shape.join(', ')}]`));
      }
      if (dims === null) {
        const v = ema(s.v!, g2, decay);
        return [g.mul(v.rsqrt()), { vRow: null, vCol: null, v }];
      }
      const [d1, d0] = dims;
      const vRow = ema(s.vRow!, g2.mean(d0), decay);
      const vCol = ema(s.vCol!, g2.mean(d1), decay);
      const rowFactor = vRow.div(vRow.mean(d1 > d0 ? d1 - 1 : d1, true)).rsqrt();
      return [g.mul(rowFactor.expandDims(d0)).mul(vCol.rsqrt().expandDims(d1)), { vRow, vCol, v: null }];
    },
  });
}
