import type * as tf from '@tensorflow/tfjs';
import type { HyperValue, Transform } from '../types';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByRms } from '../transforms/scaleByRms';
import { trace } from '../transforms/trace';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';
import { fusedMode, type FusedMode } from '../kernels/useFused';
import { rmspropKernel, rmspropKernelInPlace } from '../kernels/rmspropKernel';
import { fusedChain, IN_PLACE, type PlansOf } from './fusedChain';
import type { SteadyKernel } from './SteadyLane';
import { NO_VALUES, values } from '../kernels/values';

/** Options of `rmsprop` (PyTorch's `RMSprop`, camelCase). Hyperparameters accept a number or a schedule. */
export interface RmspropOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** α, the decay of the running averages (in [0, 1]; the book's γ). */
  readonly alpha?: HyperValue;
  /** ε (≥ 0). */
  readonly eps?: HyperValue;
  /** `true`: g/√(s + ε), the book's form (use with eps 1e-6); `false`: g/(√s + ε), PyTorch's. */
  readonly epsInSqrt?: boolean;
  /** Divide by the centred second moment s − m². */
  readonly centered?: boolean;
  /** μ, momentum on the scaled gradient (≥ 0). */
  readonly momentum?: HyperValue;
  /** λ, L2 weight decay added to the gradient (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** Run the fused kernel: `'auto'` where the backend allows (cpu), `true` always, `false` never (the chain). */
  readonly fused?: FusedMode;
}

/**
 * Defaults of `rmsprop` (PyTorch's `RMSprop`).
 *
 * @example
 * rmspropDefaults.lr; // 1e-2
 */
export const rmspropDefaults: Readonly<Required<RmspropOptions>> = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  epsInSqrt: false,
  centered: false,
  momentum: 0,
  weightDecay: 0,
  fused: 'auto',
};

/**
 * RMSProp, exactly PyTorch's `RMSprop`:
 *
 *   g'_t = g_t + λ·x_{t-1}
 *   s_t  = α·s_{t-1} + (1 − α)·g'_t²
 *   m_t  = α·m_{t-1} + (1 − α)·g'_t                (centered only; then s_t − m_t² below)
 *   d_t  = g'_t/(√s_t + ε)                          (epsInSqrt: g'_t/√(s_t + ε))
 *   b_t  = μ·b_{t-1} + d_t                          (b_0 = 0; with μ = 0, b_t = d_t)
 *   x_t  = x_{t-1} − η·b_t
 *
 * The book's RMSProp is `rmsprop({ lr, alpha: γ, eps: 1e-6, epsInSqrt: true })`. Built as
 * `chain(addDecayedWeights(λ), scaleByRms({ alpha, eps, epsInSqrt, centered }), trace({ momentum }), scaleByLearningRate(η))`,
 * run by `rmspropKernel` in one pass per parameter where the backend allows (see `fusedChain`), and
 * by `rmspropKernelInPlace` on the state `optimize` owns.
 *
 * @example
 * const opt = rmsprop({ lr: 0.01, alpha: 0.9 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function rmsprop(options: RmspropOptions = {}): Transform<unknown[]> {
  const o = withDefaults('rmsprop', options, rmspropDefaults);
  const parts = [
    addDecayedWeights(o.weightDecay),
    scaleByRms({ alpha: o.alpha, eps: o.eps, epsInSqrt: o.epsInSqrt, centered: o.centered }),
    trace({ momentum: o.momentum, dampening: 0 }),
    scaleByLearningRate(o.lr),
  ] as const;
  const epsInSqrt = o.epsInSqrt;
  // The kernel's hyperparameters from the plans (by index).
  const hyperOf = (plans: PlansOf<typeof parts>) => ({
    lr: plans[3].hyper.lr,
    alpha: plans[1].hyper.alpha,
    eps: plans[1].hyper.eps,
    epsInSqrt,
    momentum: plans[2].hyper.momentum,
    dampening: plans[2].hyper.dampening,
    weightDecay: plans[0].hyper.weightDecay,
  });
  return fusedChain(parts, fusedMode(o.fused), (plans, name, g, p) => {
    const s = plans[1].params[name];
    const b = plans[2].params[name];
    const h = hyperOf(plans);
    const r = rmspropKernel(
      g,
      h.weightDecay === 0 ? undefined : values(p!),
      { square: values(s.square), mean: s.mean && values(s.mean), trace: b.trace && values(b.trace) },
      h,
    );
    return { update: r.update, fields: [{}, { square: r.square, mean: r.mean }, { trace: r.trace ?? b.trace }, undefined] };
  }, (plans, name, g, x, writable, out, own) => {
    const s = plans[1].params[name];
    const b = plans[2].params[name];
    const h = hyperOf(plans);
    const square = writable(s.square);
    const mean = s.mean && writable(s.mean);
    const trace = h.momentum === 0 ? null : b.trace ? writable(b.trace) : new Float32Array(g.length);
    const check = rmspropKernelInPlace(g, x, { square, mean, trace }, b.trace === null, h, out);
    const ownOf = own ?? values;
    const kept = (t: tf.Tensor | null, arr: Float32Array | null) => (t !== null && arr !== null && ownOf(t) === arr ? t : arr);
    const moments = { square: kept(s.square, square), mean: kept(s.mean, mean) };
    const buffer = { trace: trace === null ? b.trace : kept(b.trace, trace) };
    if (own && moments.square === s.square && moments.mean === s.mean && buffer.trace === b.trace) return { check, fields: IN_PLACE };
    return { check, fields: [{}, moments, buffer, undefined] };
  }, undefined, (plans, name, own): SteadyKernel | undefined => {
    // While the plans hold (`SteadyLane`): the square, the mean (centered) and the momentum buffer written into their tensors' own storage.
    const s = plans[1].params[name];
    const b = plans[2].params[name];
    const h = hyperOf(plans);
    const mu = h.momentum;
    if (mu !== 0 && b.trace === null) return undefined;
    const state: { square: Float32Array; mean: Float32Array | null; trace: Float32Array | null } = { square: NO_VALUES, mean: null, trace: null };
    return {
      run: (g, x, out) => {
        state.square = own(s.square)!;
        state.mean = s.mean && own(s.mean)!;
        state.trace = mu === 0 ? null : own(b.trace!)!;
        const check = rmspropKernelInPlace(g, x, state, false, h, out);
        state.square = NO_VALUES; // holds no state array after the call
        state.mean = state.trace = null;
        return check;
      },
      ready: () => own(s.square) !== undefined && (s.mean === null || own(s.mean) !== undefined) && (mu === 0 || own(b.trace!) !== undefined),
    };
  });
}
