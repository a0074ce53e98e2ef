import type { HyperValue, Transform } from '../types';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByRss } from '../transforms/scaleByRss';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';
import { fusedMode, type FusedMode } from '../kernels/useFused';
import { adagradKernel, adagradKernelInPlace } from '../kernels/adagradKernel';
import { fusedChain, IN_PLACE, type PlansOf } from './fusedChain';
import type { SteadyKernel } from './SteadyLane';
import { values } from '../kernels/values';

/** Options of `adagrad` (PyTorch's `Adagrad`, camelCase). Hyperparameters accept a number or a schedule. */
export interface AdagradOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** δ, the learning-rate decay: η_t = η/(1 + (t − 1)·δ) (≥ 0). */
  readonly lrDecay?: HyperValue;
  /** λ, L2 weight decay added to the gradient (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** s_0, the accumulator's starting value (≥ 0). */
  readonly initialAccumulatorValue?: number;
  /** ε (≥ 0). */
  readonly eps?: HyperValue;
  /** `true`: η/√(s + ε), the book's form (use with eps 1e-6); `false`: η/(√s + ε), PyTorch's. */
  readonly epsInSqrt?: boolean;
  /** Run the fused kernel: `'auto'` where the backend allows (cpu), `true` always, `false` never (the chain). */
  readonly fused?: FusedMode;
}

/**
 * Defaults of `adagrad` (PyTorch's `Adagrad`).
 *
 * @example
 * adagradDefaults.lr; // 1e-2
 */
export const adagradDefaults: Readonly<Required<AdagradOptions>> = {
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  epsInSqrt: false,
  fused: 'auto',
};

/**
 * AdaGrad, exactly PyTorch's `Adagrad`:
 *
 *   g'_t = g_t + λ·x_{t-1}
 *   s_t  = s_{t-1} + g'_t²                          (s_0 = initialAccumulatorValue)
 *   x_t  = x_{t-1} − η/(1 + (t − 1)·δ) · g'_t/(√s_t + ε)
 *
 * `epsInSqrt: true` uses g'_t/√(s_t + ε) instead: the book's AdaGrad is
 * `adagrad({ lr, eps: 1e-6, epsInSqrt: true })`. Built as
 * `chain(addDecayedWeights(λ), scaleByRss({ lrDecay, initialAccumulatorValue, eps, epsInSqrt }), scaleByLearningRate(η))`,
 * run by `adagradKernel` in one pass per parameter where the backend allows (see `fusedChain`), and
 * by `adagradKernelInPlace` on the state `optimize` owns.
 *
 * @example
 * const opt = adagrad({ lr: 0.1 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function adagrad(options: AdagradOptions = {}): Transform<unknown[]> {
  const o = withDefaults('adagrad', options, adagradDefaults);
  const parts = [
    addDecayedWeights(o.weightDecay),
    scaleByRss({ lrDecay: o.lrDecay, initialAccumulatorValue: o.initialAccumulatorValue, eps: o.eps, epsInSqrt: o.epsInSqrt }),
    scaleByLearningRate(o.lr),
  ] as const;
  const epsInSqrt = o.epsInSqrt;
  // The kernel's hyperparameters from the plans (by index), t the parameter's count + 1.
  const hyperOf = (plans: PlansOf<typeof parts>, t: number) => ({
    lr: plans[2].hyper.lr,
    lrDecay: plans[1].hyper.lrDecay,
    eps: plans[1].hyper.eps,
    epsInSqrt,
    weightDecay: plans[0].hyper.weightDecay,
    t,
  });
  return fusedChain(parts, fusedMode(o.fused), (plans, name, g, p) => {
    const s = plans[1].params[name];
    const h = hyperOf(plans, s.count + 1);
    const r = adagradKernel(g, h.weightDecay === 0 ? undefined : values(p!), values(s.sum), h);
    return { update: r.update, fields: [{}, { sum: r.sum }, undefined] };
  }, (plans, name, g, x, writable, out, own) => {
    const s = plans[1].params[name];
    const sum = writable(s.sum);
    const h = hyperOf(plans, s.count + 1);
    const check = adagradKernelInPlace(g, x, sum, h, out);
    const kept = (own ?? values)(s.sum) === sum;
    return { check, fields: own && kept ? IN_PLACE : [{}, { sum: kept ? s.sum : sum }, undefined] };
  }, undefined, (plans, name, own): SteadyKernel => {
    // While the plans hold (`SteadyLane`): the sum written into its tensor's own storage, t the parameter's count + 1.
    const s = plans[1].params[name];
    const h = hyperOf(plans, 0);
    return {
      run: (g, x, out) => {
        h.t = s.count + 1;
        return adagradKernelInPlace(g, x, own(s.sum)!, h, out);
      },
      ready: () => own(s.sum) !== undefined,
    };
  });
}
