import type { HyperValue, Transform } from '../types';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByAdadelta } from '../transforms/scaleByAdadelta';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';
import { fusedMode, type FusedMode } from '../kernels/useFused';
import { adadeltaKernel, adadeltaKernelInPlace } from '../kernels/adadeltaKernel';
import { fusedChain, IN_PLACE, type PlansOf } from './fusedChain';
import type { SteadyKernel } from './SteadyLane';
import { NO_VALUES, values } from '../kernels/values';

/** Options of `adadelta` (PyTorch's `Adadelta`, camelCase). Hyperparameters accept a number or a schedule. */
export interface AdadeltaOptions {
  /** η, a coefficient scaling the step (≥ 0; 1 in the original AdaDelta). */
  readonly lr?: HyperValue;
  /** ρ, the decay of both running averages (in [0, 1]). */
  readonly rho?: HyperValue;
  /** ε (≥ 0), inside both roots. */
  readonly eps?: HyperValue;
  /** λ, L2 weight decay added to the gradient (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** Run the fused kernel: `'auto'` where the backend allows (cpu), `true` always, `false` never (the chain). */
  readonly fused?: FusedMode;
}

/**
 * Defaults of `adadelta` (PyTorch's `Adadelta`).
 *
 * @example
 * adadeltaDefaults.lr; // 1
 */
export const adadeltaDefaults: Readonly<Required<AdadeltaOptions>> = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, fused: 'auto' };

/**
 * AdaDelta, exactly PyTorch's `Adadelta`:
 *
 *   g'_t = g_t + λ·x_{t-1}
 *   s_t  = ρ·s_{t-1} + (1 − ρ)·g'_t²
 *   d_t  = √(Δx_{t-1} + ε)/√(s_t + ε) · g'_t
 *   Δx_t = ρ·Δx_{t-1} + (1 − ρ)·d_t²
 *   x_t  = x_{t-1} − η·d_t
 *
 * Built as `chain(addDecayedWeights(λ), scaleByAdadelta({ rho, eps }), scaleByLearningRate(η))`, run by
 * `adadeltaKernel` in one pass per parameter where the backend allows (see `fusedChain`), and by
 * `adadeltaKernelInPlace` on the state `optimize` owns.
 *
 * @example
 * const opt = adadelta({ rho: 0.9 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function adadelta(options: AdadeltaOptions = {}): Transform<unknown[]> {
  const o = withDefaults('adadelta', options, adadeltaDefaults);
  const parts = [addDecayedWeights(o.weightDecay), scaleByAdadelta({ rho: o.rho, eps: o.eps }), scaleByLearningRate(o.lr)] as const;
  // The kernel's hyperparameters from the plans (by index).
  const hyperOf = (plans: PlansOf<typeof parts>) => ({ lr: plans[2].hyper.lr, rho: plans[1].hyper.rho, eps: plans[1].hyper.eps, weightDecay: plans[0].hyper.weightDecay });
  return fusedChain(parts, fusedMode(o.fused), (plans, name, g, p) => {
    const s = plans[1].params[name];
    const h = hyperOf(plans);
    const r = adadeltaKernel(g, h.weightDecay === 0 ? undefined : values(p!), { square: values(s.square), delta: values(s.delta) }, h);
    return { update: r.update, fields: [{}, { square: r.square, delta: r.delta }, undefined] };
  }, (plans, name, g, x, writable, out, own) => {
    const s = plans[1].params[name];
    const square = writable(s.square);
    const delta = writable(s.delta);
    const h = hyperOf(plans);
    const check = adadeltaKernelInPlace(g, x, { square, delta }, h, out);
    const ownOf = own ?? values;
    const keptSquare = ownOf(s.square) === square;
    const keptDelta = ownOf(s.delta) === delta;
    if (own && keptSquare && keptDelta) return { check, fields: IN_PLACE };
    return { check, fields: [{}, { square: keptSquare ? s.square : square, delta: keptDelta ? s.delta : delta }, undefined] };
  }, undefined, (plans, name, own): SteadyKernel => {
    // While the plans hold (`SteadyLane`): both accumulators written into their tensors' own storage.
    const s = plans[1].params[name];
    const h = hyperOf(plans);
    const moments = { square: NO_VALUES, delta: NO_VALUES };
    return {
      run: (g, x, out) => {
        moments.square = own(s.square)!;
        moments.delta = own(s.delta)!;
        const check = adadeltaKernelInPlace(g, x, moments, h, out);
        moments.square = moments.delta = NO_VALUES; // holds no state array after the call
        return check;
      },
      ready: () => own(s.square) !== undefined && own(s.delta) !== undefined,
    };
  });
}
